"""End to end in real headless Chromium: the app started as the README starts it, on a free port."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dashboard.store import Store
from tests.conftest import ROOT
from tests.test_app import users_csv

CHROMIUM = Path("/usr/bin/chromium")
STREAMLIT = Path(sys.executable).parent / "streamlit"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.browser

# Locally a missing browser skips these tests; under CI (CI=true) each of them fails instead.
if not CHROMIUM.exists() and os.environ.get("CI") != "true":
    pytest.skip(f"Chromium is not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

# The demo load on first start and the first render on 2 cores take seconds, not milliseconds.
expect.set_options(timeout=TIMEOUT_MS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    """A running app: its base URL and its database."""

    url: str
    store: Store


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """Start `streamlit run dashboard/streamlit_app.py --server.port PORT` on an empty database."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}; CI must install it", pytrace=False)
    store = Store(tmp_path / "seats.duckdb")
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(STREAMLIT), "run", "dashboard/streamlit_app.py", "--server.port", str(port)],
        cwd=ROOT,
        env={**os.environ, "LU_SEATS_DB": str(store.path)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the app never answered /_stcore/health"
            time.sleep(0.2)
        yield Served(url, store)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def page(served: Served) -> Iterator[Page]:
    """A Chromium page (1400 x 1000) opened on the app's first page."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 1000}, accept_downloads=True
            )
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            tab.goto(served.url)
            expect(tab.get_by_text("snapshot #", exact=False).first).to_be_visible()
            yield tab
        finally:
            browser.close()


def go_to(page: Page, title: str) -> None:
    """Open a page through the sidebar (the session, and so the rules, carry over)."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_idle(page)


def wait_idle(page: Page) -> None:
    """Wait until the script has finished running and no element is still loading."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=TIMEOUT_MS)


def metric_value(page: Page, label: str) -> str:
    """Return the text of the metric whose label starts with `label`."""
    card = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(re.compile("^" + re.escape(label)))
    )
    return card.get_by_test_id("stMetricValue").inner_text().strip()


def test_first_start_shows_the_demo_portal(served: Served, page: Page) -> None:
    snap = served.store.snapshot()
    assert snap.is_demo
    expect(page.get_by_text("DEMO DATA").first).to_be_visible()
    expect(page.get_by_text(f"snapshot #{snap.snapshot_id} (demo portal").first).to_be_visible()
    wait_idle(page)
    from dashboard.review import review, rules_from_options

    used = review(served.store, rules_from_options(served.store)).figures.used
    assert metric_value(page, "Seats used") == f"{used:,}"
    expect(page.locator(".js-plotly-plot").first).to_be_visible()


def test_uploading_a_users_file_on_data_and_settings(
    served: Served, page: Page, tmp_path: Path
) -> None:
    before = served.store.snapshot().snapshot_id
    go_to(page, "Data & settings")
    users = tmp_path / "team users.csv"
    users.write_bytes(users_csv(30))
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(users))
    expect(page.get_by_text("team users.csv").first).to_be_visible()
    page.get_by_role("button", name="Load reports").click()
    expect(page.get_by_text(re.compile(r"Loaded snapshot #\d+: 30 accounts")).first).to_be_visible()
    snap = served.store.snapshot()
    assert snap.snapshot_id > before and snap.users == 30 and not snap.is_demo
    expect(page.get_by_text(f"snapshot #{snap.snapshot_id} (team users.csv").first).to_be_visible()


def test_changing_the_cutoff_on_review(served: Served, page: Page) -> None:
    from dashboard.review import review, rules_from_options

    go_to(page, "Review")
    default = review(served.store, rules_from_options(served.store)).flagged
    assert metric_value(page, "Flagged") == f"{default:,}"
    page.get_by_role("radio", name="365 days", exact=True).click()
    year = review(served.store, rules_from_options(served.store, inactive_days=365)).flagged
    assert year != default
    expect(
        page.get_by_test_id("stMetric")
        .filter(has_text=re.compile("^Flagged"))
        .get_by_test_id("stMetricValue")
    ).to_have_text(f"{year:,}")


def test_exported_deactivation_file_matches_the_cli(
    served: Served, page: Page, tmp_path: Path
) -> None:
    from dashboard.cli import main

    go_to(page, "Review")
    page.get_by_role("radio", name="180 days", exact=True).click()
    wait_idle(page)
    go_to(page, "Export")
    page.get_by_role("button", name="Prepare export").click()
    wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Deactivation file").click()
    browser_bytes = Path(info.value.path()).read_bytes()
    with served.store.read() as cur:
        exports = cur.execute("SELECT actor FROM exports").fetchall()
    assert exports == [("app",)]

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(served.store.path, copy)
    out = tmp_path / "cli.csv"
    rc = main(["export", "--db", str(copy), "--inactive-days", "180", "--out", str(out)])
    assert rc == 0
    assert browser_bytes == out.read_bytes()
    assert browser_bytes.startswith(b"email,enabled\r\n")
