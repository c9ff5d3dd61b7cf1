"""Crash safety: a load killed at a random moment leaves the previous snapshot exactly as it was.

Each trial starts `python -m dashboard load BIG.csv --activity BIG_ACT.csv` on a copy of a database
that already holds one snapshot, sends SIGKILL after a seeded random delay spread over the load's
measured duration, and then opens the database: it must open, and hold either exactly the previous
data (same checksums) or the previous data plus one complete new snapshot.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from dashboard.store import Store
from tests.conftest import ROOT, TESTS

pytestmark = pytest.mark.slow

SEED = 20260327
TRIALS = 10
N_USERS = 40_000
N_ACTIVITY = 200_000


def write_reports(users: Path, activity: Path | None, n_users: int, n_activity: int) -> None:
    """Write a users report of `n_users` accounts and an activity report of `n_activity` rows.

    Every 13th account is disabled, every 5th never signed in; every 100th activity row names an
    account that is not in the users report.
    """
    con = duckdb.connect()
    try:
        con.execute(
            f"""
            COPY (
              SELECT 'user' || i || '@example.com' AS "Email",
                     'First' || i AS "First Name",
                     'Last' || i AS "Last Name",
                     CASE WHEN i % 50 = 0 THEN 'admin' ELSE 'learner' END AS "User Type",
                     CASE WHEN i % 13 = 0 THEN 'false' ELSE 'true' END AS "Enabled",
                     strftime(DATE '2023-01-01' + CAST(i % 700 AS INTEGER), '%Y-%m-%d')
                       AS "Date Created",
                     CASE WHEN i % 5 <> 0 THEN strftime(TIMESTAMP '2025-01-01'
                       + to_days(CAST(i % 400 AS INTEGER))
                       + to_minutes(i % 1440), '%Y-%m-%d %H:%M') END AS "Last Login"
              FROM range({n_users}) t(i)
            ) TO '{users}' (HEADER, DELIMITER ',')
            """
        )
        if activity is None:
            return
        con.execute(
            f"""
            COPY (
              SELECT CASE WHEN i % 100 = 0 THEN 'ghost' || i || '@example.com'
                          ELSE 'user' || (i * 7919 % {n_users}) || '@example.com' END AS "Email",
                     strftime(TIMESTAMP '2025-01-01' + to_days(CAST(i % 500 AS INTEGER))
                       + to_seconds(i % 86400), '%Y-%m-%d %H:%M:%S') AS "Login Date",
                     'Course ' || (i % 50) AS "Course"
              FROM range({n_activity}) t(i)
            ) TO '{activity}' (HEADER, DELIMITER ',')
            """
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("big")
    users, activity = folder / "BIG.csv", folder / "BIG_ACT.csv"
    write_reports(users, activity, N_USERS, N_ACTIVITY)
    return users, activity


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding one small snapshot, closed and checkpointed, to copy per trial."""
    from dashboard.loading import ReportFile, load_reports

    db = tmp_path_factory.mktemp("seed") / "seeded.duckdb"
    load_reports(Store(db), ReportFile.from_path(TESTS / "corpus" / "ok_users.csv"), [])
    return db


def _copy(template: Path, db: Path) -> Store:
    shutil.copyfile(template, db)
    wal = template.with_name(template.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, db.with_name(db.name + ".wal"))
    return Store(db)


def _start_load(users: Path, activity: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dashboard",
            "load",
            str(users),
            "--activity",
            str(activity),
            "--as-of",
            "2026-03-01",
            "--db",
            str(db),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _startup_seconds() -> float:
    """Return how long the interpreter takes to import the command line and the loader."""
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", "import dashboard.cli, dashboard.loading"], cwd=ROOT, check=True
    )
    return time.monotonic() - t0


def _assert_complete_new_snapshot(store: Store, previous_id: int, prev_accounts: int) -> None:
    snaps = store.snapshots()
    assert [s.snapshot_id for s in snaps][1:] == [previous_id]
    new = snaps[0]
    assert new.users == N_USERS
    assert new.activity_rows == N_ACTIVITY
    with store.read() as cur:
        counts = dict(
            cur.execute("SELECT snapshot_id, count(*) FROM accounts GROUP BY ALL").fetchall()
        )
        activity = dict(
            cur.execute("SELECT snapshot_id, count(*) FROM activity GROUP BY ALL").fetchall()
        )
    assert counts == {previous_id: prev_accounts, new.snapshot_id: N_USERS}
    assert activity.get(new.snapshot_id) == N_ACTIVITY


def test_killed_load_leaves_the_previous_snapshot_intact(
    big_files: tuple[Path, Path], seeded_template: Path, tmp_path: Path, record_property
) -> None:
    users, activity = big_files
    template = Store(seeded_template)
    previous = template.snapshot()
    prev_accounts = previous.users

    # Calibrate: how long does the whole command take here, and how much of it is start-up?
    calib = _copy(seeded_template, tmp_path / "calibration.duckdb")
    t0 = time.monotonic()
    proc = _start_load(users, activity, calib.path)
    out, err = proc.communicate(timeout=120)
    total = time.monotonic() - t0
    assert proc.returncode == 0, err.decode()
    _assert_complete_new_snapshot(calib, previous.snapshot_id, prev_accounts)
    startup = min(_startup_seconds(), total * 0.5)
    record_property("load_seconds", round(total - startup, 2))

    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    for trial in range(TRIALS):
        store = _copy(seeded_template, tmp_path / f"trial{trial}.duckdb")
        before = store.table_checksums()
        # Stratified: trial k kills somewhere in the k-th slice of the load phase.
        delay = startup + (total - startup) * (trial + rng.random()) / TRIALS
        proc = _start_load(users, activity, store.path)
        time.sleep(delay)
        already_done = proc.poll() is not None
        proc.kill()
        proc.communicate(timeout=60)

        after = store.table_checksums()  # the database opens (and recovers) after the kill
        if after == before:
            assert not already_done, "the load finished but left nothing"
            outcomes["killed mid-load, previous intact"] += 1
        else:
            _assert_complete_new_snapshot(store, previous.snapshot_id, prev_accounts)
            outcomes["finished" if already_done else "killed after commit"] += 1

        # The recovered database accepts the next load.
        from dashboard.loading import ReportFile, load_reports

        result = load_reports(store, ReportFile.from_path(TESTS / "corpus" / "ok_users.csv"), [])
        assert store.snapshot().snapshot_id == result.snapshot_id

    for name, count in outcomes.items():
        record_property(name, count)
    assert sum(outcomes.values()) == TRIALS
    # The delays are spread over the load, so many kills must have landed while it ran (a busy
    # machine can make a run faster or slower than the calibration, hence not all of them).
    assert outcomes["killed mid-load, previous intact"] >= TRIALS // 3, dict(outcomes)
