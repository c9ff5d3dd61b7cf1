"""Storage: a real DuckDB file per test."""

from __future__ import annotations

from datetime import date, datetime

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
