"""Concurrency: sessions and processes loading and reviewing the same database at the same time.

A "mixed snapshot" would be a review or a snapshot row whose accounts come from two loads (or from
half of one). Every check below compares a snapshot's recorded `users` figure with the accounts
actually stored or counted for it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from dashboard.store import Store
from tests.conftest import ROOT, TESTS
from tests.test_crash import write_reports

SMALL = TESTS / "corpus" / "ok_users.csv"


def _assert_no_mixed_snapshots(store: Store) -> None:
    """Assert that every snapshot holds exactly the accounts and activity rows it says it holds."""
    with store.read() as cur:
        rows = cur.execute(
            "SELECT s.snapshot_id, s.users, s.activity_rows,"
            " (SELECT count(*) FROM accounts a WHERE a.snapshot_id = s.snapshot_id),"
            " (SELECT count(*) FROM activity v WHERE v.snapshot_id = s.snapshot_id)"
            " FROM snapshots s ORDER BY s.snapshot_id"
        ).fetchall()
        orphans = cur.execute(
            "SELECT count(*) FROM accounts WHERE snapshot_id NOT IN (SELECT snapshot_id FROM"
            " snapshots)"
        ).fetchone()[0]
    assert rows
    for sid, users, activity_rows, accounts, activity in rows:
        assert (accounts, activity) == (users, activity_rows), f"snapshot #{sid} is mixed"
    assert orphans == 0


def _review_total(store: Store, snapshot_id: int | None) -> int:
    """Return how many accounts a review of that snapshot (or the latest) categorised."""
    from dashboard.review import review, rules_from_options

    result = review(store, rules_from_options(store), snapshot_id=snapshot_id).to_json()
    return sum(result["categories"].values())


@pytest.fixture
def seeded(store: Store) -> Store:
    """The test's store, holding one small snapshot."""
    from dashboard.loading import ReportFile, load_reports

    load_reports(store, ReportFile.from_path(SMALL), [])
    return store


def test_two_sessions_load_and_review_at_the_same_time(seeded: Store, tmp_path: Path) -> None:
    """Two threads of one process, as two browser sessions: each loads its file and reviews."""
    from dashboard.loading import ReportFile, load_reports

    sizes = {"a": 3_000, "b": 5_000}
    files = {}
    for name, n in sizes.items():
        files[name] = (tmp_path / f"users_{name}.csv", tmp_path / f"act_{name}.csv")
        write_reports(*files[name], n, n * 3)
    baseline = seeded.snapshot().users
    errors: list[BaseException] = []
    latest_totals: list[int] = []
    start = threading.Barrier(len(sizes))

    def session(name: str) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(3):
                users, act = files[name]
                result = load_reports(
                    seeded, ReportFile.from_path(users), [ReportFile.from_path(act)]
                )
                assert result.users == sizes[name]
                for _ in range(4):
                    assert _review_total(seeded, result.snapshot_id) == sizes[name]
                    latest_totals.append(_review_total(seeded, None))
        except BaseException as exc:  # collected and re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(name,)) for name in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    assert len(latest_totals) == 2 * 3 * 4
    assert set(latest_totals) <= {baseline, *sizes.values()}
    assert len(seeded.snapshots()) == 1 + 2 * 3
    _assert_no_mixed_snapshots(seeded)


READER = """
import json, sys, time
from dashboard.store import Store
from dashboard.review import review, rules_from_options
store, want, deadline = Store(sys.argv[1]), int(sys.argv[2]), time.monotonic() + 120
while time.monotonic() < deadline:
    done = len(store.snapshots()) >= want  # checked first, so the last pass reviews the last load
    snap = store.snapshot()
    result = review(store, rules_from_options(store), snapshot_id=snap.snapshot_id).to_json()
    print(json.dumps([snap.snapshot_id, snap.users, sum(result["categories"].values())]),
          flush=True)
    if done:
        break
    time.sleep(0.01)
else:
    sys.exit("the reader never saw the last snapshot")
"""


@pytest.mark.slow
def test_cli_writes_while_another_process_reviews(seeded: Store, tmp_path: Path) -> None:
    """A `load` subprocess and a reviewing subprocess take turns on the file lock; both succeed."""
    loads = 2
    users, act = tmp_path / "users.csv", tmp_path / "act.csv"
    write_reports(users, act, 20_000, 60_000)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(seeded.path), str(1 + loads)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = reader.stdout.readline()  # the reader has reviewed the first snapshot
        assert first, reader.stderr.read()
        for _ in range(loads):
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "dashboard",
                    "load",
                    str(users),
                    "--activity",
                    str(act),
                    "--db",
                    str(seeded.path),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 0, proc.stderr
            assert json.loads(proc.stdout)["users"] == 20_000
        out, err = reader.communicate(timeout=150)
    finally:
        reader.kill()
    assert reader.returncode == 0, err
    seen = [json.loads(line) for line in [first, *out.splitlines()]]
    assert seen[0][0] == 1
    for snapshot_id, users, reviewed in seen:
        assert reviewed == users, f"review of snapshot #{snapshot_id} saw {reviewed} of {users}"
    assert seen[-1][0] == seeded.snapshot().snapshot_id
    _assert_no_mixed_snapshots(seeded)


def test_app_shows_a_snapshot_the_cli_loaded_after_a_rerun(
    seeded: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app (AppTest, in this process) and a CLI load (another process) share one database."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LU_SEATS_DB", str(seeded.path))
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    first = seeded.snapshot().snapshot_id
    assert any(f"snapshot #{first}" in c.value for c in at.caption)

    users = tmp_path / "users.csv"
    write_reports(users, None, 2_000, 0)
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard", "load", str(users), "--db", str(seeded.path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    second = json.loads(proc.stdout)["snapshot_id"]

    at.run()
    assert not at.exception
    assert any(f"snapshot #{second}" in c.value for c in at.caption)
    _assert_no_mixed_snapshots(seeded)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_running_server_and_cli_load_share_the_database(seeded: Store, tmp_path: Path) -> None:
    """A served app and a CLI load share the database: the CLI succeeds, a reload shows it."""
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing at /usr/bin/chromium")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    env = {**os.environ, "LU_SEATS_DB": str(seeded.path)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "streamlit_app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "the server never became healthy"
            time.sleep(0.25)

        first = seeded.snapshot().snapshot_id
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
            try:
                page = browser.new_page()
                page.goto(base)
                expect(page.get_by_text(f"snapshot #{first}", exact=False).first).to_be_visible(
                    timeout=30_000
                )
                users = tmp_path / "users.csv"
                write_reports(users, None, 2_000, 0)
                proc = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "dashboard",
                        "load",
                        str(users),
                        "--db",
                        str(seeded.path),
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert proc.returncode == 0, proc.stderr
                second = json.loads(proc.stdout)["snapshot_id"]
                page.reload()
                expect(page.get_by_text(f"snapshot #{second}", exact=False).first).to_be_visible(
                    timeout=30_000
                )
            finally:
                browser.close()
        assert httpx.get(f"{base}/_stcore/health", timeout=5).text == "ok"
    finally:
        server.terminate()
        server.wait(timeout=30)
    _assert_no_mixed_snapshots(seeded)
