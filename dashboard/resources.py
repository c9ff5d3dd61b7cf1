"""Objects shared by every browser session: the Store, the first-start demo load, cached data."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from dashboard.store import Store, default_db_path


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    """Return the Store for `$LU_SEATS_DB` (or data/seats.duckdb), one per path per process."""
    return _store(str(default_db_path()))


@st.cache_resource(show_spinner=False)
def _demo_checked(path: str) -> bool:
    store = _store(path)
    if not store.is_empty():
        return False
    from dashboard.demo import ensure_demo

    return ensure_demo(store) is not None


def ensure_demo_once(store: Store) -> bool:
    """Load the demo portal when the database is empty; checked once per database per process.

    Returns True when that first check found the database empty and loaded the demo.
    """
    return _demo_checked(str(store.path))


@st.cache_resource(show_spinner="Preparing the SQL sandbox…", max_entries=4)
def _sandbox(path: str, snapshot_id: int) -> Any:
    from dashboard.sandbox import Sandbox

    return Sandbox.build(_store(path), snapshot_id=snapshot_id)


def get_sandbox(store: Store, snapshot_id: int) -> Any:
    """Return the read-only SQL sandbox for one snapshot, built once per database and snapshot."""
    return _sandbox(str(store.path), snapshot_id)


@st.cache_data(max_entries=32, ttl=600, show_spinner=False)
def _review(path: str, snapshot_id: int, rules_key: str, _rules: Any) -> Any:
    from dashboard.review import review

    return review(_store(path), _rules, snapshot_id=snapshot_id)


def cached_review(store: Store, rules: Any, snapshot_id: int) -> Any:
    """Return the ReviewResult for these rules on this snapshot (cached until the data changes)."""
    key = json.dumps(rules.to_json(), sort_keys=True)
    return _review(str(store.path), snapshot_id, key, rules)


@st.cache_data(max_entries=16, ttl=600, show_spinner=False)
def _breakdowns(path: str, snapshot_id: int, rules_key: str, _rules: Any) -> dict[str, Any]:
    from dashboard import review

    store = _store(path)
    return {
        "by_type": review.breakdown_by_type(store, _rules, snapshot_id=snapshot_id),
        "by_group": review.breakdown_by_group(store, _rules, snapshot_id=snapshot_id, limit=15),
        "recency": review.recency_buckets(store, snapshot_id=snapshot_id),
        "trend": review.seat_trend(store),
    }


def cached_breakdowns(store: Store, rules: Any, snapshot_id: int) -> dict[str, Any]:
    """Return the Overview's frames: by_type, by_group, recency and trend (cached like reviews)."""
    key = json.dumps(rules.to_json(), sort_keys=True)
    return _breakdowns(str(store.path), snapshot_id, key, rules)


def clear_data_caches() -> None:
    """Forget cached results after this app changed the database (load, decision, settings)."""
    _review.clear()
    _breakdowns.clear()
