"""Server exposure: the app binds 127.0.0.1 only and sends no usage statistics.

The app is started the way the README starts it (`streamlit run dashboard/streamlit_app.py` from
the project root, so `.streamlit/config.toml` applies), on a free port, with its database in a
temporary directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

APP = ROOT / "dashboard" / "streamlit_app.py"
CONFIG = ROOT / ".streamlit" / "config.toml"
STREAMLIT = Path(sys.executable).parent / "streamlit"
START_TIMEOUT_S = 90.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> list[str]:
    """Return the local addresses (hex, as /proc/net/tcp* shows them) listening on `port`."""
    out: list[str] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                out.append(address)
    return out


def _refused(host: str, port: int, family: socket.AddressFamily) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(2.0)
        try:
            s.connect((host, port))
        except (ConnectionRefusedError, TimeoutError):
            return True
        except OSError:
            return True  # address not usable on this machine: nothing can reach the app there
        return False


def _outward_address() -> str | None:
    """Return this machine's address on its default route (no packet is sent), if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the route
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


def test_config_binds_loopback_and_sends_no_usage_statistics() -> None:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False


@pytest.fixture
def app_port(tmp_path: Path) -> Iterator[int]:
    """Start the app as the README does, on a free port; yield the port once it is healthy."""
    if not APP.exists():
        pytest.skip("dashboard/streamlit_app.py is not there yet: nothing to start")
    port = _free_port()
    env = {**os.environ, "LU_SEATS_DB": str(tmp_path / "seats.duckdb")}
    log = (tmp_path / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [str(STREAMLIT), "run", "dashboard/streamlit_app.py", "--server.port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                log.flush()
                output = (tmp_path / "streamlit.log").read_text(errors="replace")
                pytest.fail(f"the app exited with {proc.returncode}:\n{output[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer /_stcore/health in {START_TIMEOUT_S:.0f} s")
            time.sleep(0.25)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_app_answers_health_on_loopback_and_nowhere_else(app_port: int) -> None:
    response = httpx.get(f"http://127.0.0.1:{app_port}/_stcore/health", timeout=5)
    assert response.status_code == 200
    assert response.text == "ok"

    # The kernel's own listing: every listening socket on the port is 127.0.0.1 (0100007F).
    listening = _listening(app_port)
    assert listening, "nothing listens on the app's port"
    assert set(listening) == {"0100007F"}, listening

    # A socket bound to 0.0.0.0 or :: would answer on these too.
    assert _refused("127.0.0.2", app_port, socket.AF_INET)
    if socket.has_ipv6:
        assert _refused("::1", app_port, socket.AF_INET6)
    outward = _outward_address()
    if outward is not None:
        assert _refused(outward, app_port, socket.AF_INET)
