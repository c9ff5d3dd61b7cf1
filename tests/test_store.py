"""Storage: a real DuckDB file per test."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from dashboard.errors import NoData
from dashboard.store import Snapshot, Store


def _snap(store: Store) -> int:
    with store.write() as cur:
        sid = store.next_snapshot_id(cur)
        store.insert_snapshot(
            cur,
            Snapshot(
                sid,
                "csv",
                "users.csv",
                [],
                date(2026, 1, 1),
                datetime(2026, 1, 1),
                "email",
                0,
                0,
                0,
                False,
            ),
        )
    return sid


def test_empty_store_has_no_snapshot(store: Store) -> None:
    assert store.is_empty()
    with pytest.raises(NoData, match="no data loaded yet"):
        store.snapshot()


def test_failed_write_rolls_back(store: Store) -> None:
    before = store.table_checksums()
    with pytest.raises(RuntimeError), store.write() as cur:
        sid = store.next_snapshot_id(cur)
        cur.execute("INSERT INTO settings VALUES ('k', '1')")
        raise RuntimeError(sid)
    after = store.table_checksums()
    assert after == before


def test_latest_snapshot_is_the_newest(store: Store) -> None:
    first = _snap(store)
    second = _snap(store)
    assert store.snapshot().snapshot_id == second
    assert store.snapshot(first).snapshot_id == first
    assert [s.snapshot_id for s in store.snapshots()] == [second, first]


def test_settings_round_trip_as_json(store: Store) -> None:
    store.set_setting("contract", {"seat_limit": 150, "price": 7.5})
    assert store.get_setting("contract") == {"seat_limit": 150, "price": 7.5}
    assert store.get_setting("missing", 3) == 3


def test_an_earlier_schema_is_migrated_once_and_keeps_its_rows(tmp_path: Path) -> None:
    """Activity rows used to hold their account's key; they now hold its number."""
    import duckdb

    from tests.conftest import TESTS

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute((TESTS / "data" / "schema_by_key.sql").read_text(encoding="utf-8"))
        con.execute("SELECT nextval('snapshot_ids'), nextval('snapshot_ids')")
        con.execute(
            "INSERT INTO snapshots VALUES "
            "(1, 'csv', 'a.csv', '[]', DATE '2026-01-01', TIMESTAMP '2026-01-01', 'email', 2, 3, "
            "1, false), "
            "(2, 'csv', 'b.csv', '[]', DATE '2026-02-01', TIMESTAMP '2026-02-01', 'email', 1, 1, "
            "0, false)"
        )
        con.execute(
            "INSERT INTO accounts (snapshot_id, user_key, email, enabled, last_activity_at) "
            "VALUES (1, 'zed@x.com', 'Zed@x.com', true, TIMESTAMP '2026-01-02'), "
            "(1, 'amy@x.com', 'amy@x.com', false, NULL), "
            "(2, 'amy@x.com', 'amy@x.com', true, TIMESTAMP '2026-01-20')"
        )
        con.execute(
            "INSERT INTO activity VALUES "
            "(1, 1, 'zed@x.com', NULL, TIMESTAMP '2026-01-02', MAP {'Course': 'Intro'}), "
            "(1, 1, NULL, 'gone@x.com', TIMESTAMP '2026-01-03', NULL), "
            "(1, 1, 'zed@x.com', NULL, TIMESTAMP '2026-01-01', NULL), "
            "(2, 1, 'amy@x.com', NULL, TIMESTAMP '2026-01-20', NULL)"
        )
    store = Store(path)
    with store.read() as cur:
        accounts = cur.execute(
            "SELECT snapshot_id, account_no, user_key, email, enabled, last_activity_at "
            "FROM accounts ORDER BY ALL"
        ).fetchall()
        activity = cur.execute(
            "SELECT v.snapshot_id, v.account_no, a.user_key, v.identity, v.activity_at, v.extra "
            "FROM activity v LEFT JOIN accounts a USING (snapshot_id, account_no) ORDER BY ALL"
        ).fetchall()
        leftovers = cur.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%by_key'"
        ).fetchone()[0]
    assert accounts == [
        (1, 1, "zed@x.com", "Zed@x.com", True, datetime(2026, 1, 2)),
        (1, 2, "amy@x.com", "amy@x.com", False, None),
        (2, 1, "amy@x.com", "amy@x.com", True, datetime(2026, 1, 20)),
    ]
    assert activity == [
        (1, 1, "zed@x.com", None, datetime(2026, 1, 1), None),
        (1, 1, "zed@x.com", None, datetime(2026, 1, 2), '{"Course":"Intro"}'),
        (1, None, None, "gone@x.com", datetime(2026, 1, 3), None),
        (2, 1, "amy@x.com", None, datetime(2026, 1, 20), None),
    ]
    assert leftovers == 0
    # A second open finds nothing to migrate, and the database takes new snapshots.
    assert _snap(Store(path)) == 3
