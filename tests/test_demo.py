"""The bundled demo portal: reproducible files and a clearly labelled demo snapshot."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dashboard import demo
from dashboard.store import Store


def test_the_generator_reproduces_the_committed_files_byte_for_byte() -> None:
    users, activity = demo.generate()
    assert users == (demo.DEMO_DIR / "users.csv").read_bytes()
    assert activity == (demo.DEMO_DIR / "activity.csv").read_bytes()


def test_the_committed_demo_files_stay_small() -> None:
    total = sum(p.stat().st_size for p in demo.DEMO_DIR.glob("*.csv"))
    assert total < 2_000_000


def test_load_demo_stores_a_labelled_demo_snapshot(store: Store) -> None:
    result = demo.load_demo(store)
    snap = store.snapshot()
    assert (snap.source, snap.label, snap.is_demo, snap.as_of) == (
        "demo",
        "Demo portal",
        True,
        date(2026, 11, 1),
    )
    assert result.as_of == date(2026, 11, 1) and snap.users == result.users == demo.ACCOUNTS
    assert result.activity_rows > 10_000 and result.activity_unmatched > 0
    assert "demo portal" in snap.freshness()


def test_the_demo_portal_has_every_kind_of_account(store: Store) -> None:
    demo.load_demo(store)
    with store.read() as cur:
        types = dict(
            cur.execute("SELECT user_type, count(*) FROM accounts GROUP BY ALL").fetchall()
        )
        (disabled, never, lapsed, new, multi, domains, accented, groups) = cur.execute(
            """
            SELECT count(*) FILTER (NOT enabled),
                   count(*) FILTER (enabled AND last_sign_in_at IS NULL),
                   count(*) FILTER (enabled AND last_sign_in_at < TIMESTAMP '2026-05-01'),
                   count(*) FILTER (created_at >= TIMESTAMP '2026-10-01'),
                   count(*) FILTER (len(groups) > 1),
                   count(DISTINCT split_part(user_key, '@', 2)),
                   count(*) FILTER (NOT regexp_full_match(first_name || last_name, '[ -~]*')),
                   (SELECT count(DISTINCT g) FROM (SELECT unnest(groups) AS g FROM accounts))
            FROM accounts
            """
        ).fetchone()
        matched = cur.execute(
            "SELECT count(*) FROM accounts WHERE last_activity_at IS NOT NULL"
        ).fetchone()[0]
    assert set(types) == {"learner", "manager", "instructor", "admin"}
    assert types["learner"] > types["manager"] > types["admin"]
    assert min(disabled, never, lapsed, new, multi, accented) > 20
    assert domains >= 4 and groups == 12 and matched > 1000


def test_ensure_demo_loads_only_into_an_empty_store(store: Store) -> None:
    first = demo.ensure_demo(store)
    assert first is not None and first.users == demo.ACCOUNTS
    assert demo.ensure_demo(store) is None
    assert len(store.snapshots()) == 1


def test_regenerate_rewrites_the_files_before_loading(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "DEMO_DIR", tmp_path / "demo")
    demo.load_demo(store, regenerate=True)
    assert (tmp_path / "demo" / "users.csv").read_bytes() == demo.generate()[0]
    assert store.snapshot().is_demo
