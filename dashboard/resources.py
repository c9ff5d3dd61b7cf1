"""Objects shared by every browser session: the Store, the first-start demo load, cached data."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import review as reviewing
from dashboard.demo import ensure_demo
from dashboard.review import ReviewResult
from dashboard.rules import ReviewRules
from dashboard.sandbox import Sandbox
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
    return store.is_empty() and ensure_demo(store) is not None


def ensure_demo_once(store: Store) -> bool:
    """Load the demo portal when the database is empty; checked once per database per process.

    Returns True when that first check found the database empty and loaded the demo.
    """
    return _demo_checked(str(store.path))


def _close_sandbox(sandbox: Sandbox) -> None:
    sandbox.close()


# A sandbox holds a snapshot's tables in memory: keep few, and free them when evicted.
@st.cache_resource(
    show_spinner="Preparing the SQL sandbox…", max_entries=2, ttl=3600, on_release=_close_sandbox
)
def _sandbox(path: str, snapshot_id: int) -> Sandbox:
    return Sandbox.build(_store(path), snapshot_id=snapshot_id)


def get_sandbox(store: Store, snapshot_id: int) -> Sandbox:
    """Return the read-only SQL sandbox for one snapshot, built once per database and snapshot."""
    return _sandbox(str(store.path), snapshot_id)


def _rules_key(rules: ReviewRules) -> str:
    return json.dumps(rules.to_json(), sort_keys=True)


# Cached per database, snapshot and rules; this app clears them whenever it writes (loads,
# decisions, settings), and a load by the command line makes a new snapshot id, so a new key.
@st.cache_data(max_entries=32, ttl=600, show_spinner=False)
def _review(path: str, snapshot_id: int, rules_key: str, _rules: ReviewRules) -> ReviewResult:
    return reviewing.review(_store(path), _rules, snapshot_id=snapshot_id)


def cached_review(store: Store, rules: ReviewRules, snapshot_id: int) -> ReviewResult:
    """Return the ReviewResult for these rules on this snapshot (cached until the data changes)."""
    return _review(str(store.path), snapshot_id, _rules_key(rules), rules)


@st.cache_data(max_entries=16, ttl=600, show_spinner=False)
def _breakdowns(
    path: str, snapshot_id: int, rules_key: str, _rules: ReviewRules
) -> dict[str, pd.DataFrame]:
    store = _store(path)
    return {
        "by_type": reviewing.breakdown_by_type(store, _rules, snapshot_id=snapshot_id),
        "by_group": reviewing.breakdown_by_group(store, _rules, snapshot_id=snapshot_id, limit=15),
        "recency": reviewing.recency_buckets(store, snapshot_id=snapshot_id),
        "trend": reviewing.seat_trend(store),
    }


def cached_breakdowns(
    store: Store, rules: ReviewRules, snapshot_id: int
) -> dict[str, pd.DataFrame]:
    """Return the Overview's frames: by_type, by_group, recency and trend (cached like reviews)."""
    return _breakdowns(str(store.path), snapshot_id, _rules_key(rules), rules)


# One entry per page of the flagged table a session looked at; selecting rows reruns the page,
# and at a million accounts recomputing the page costs a few hundred milliseconds each time.
@st.cache_data(max_entries=64, ttl=600, show_spinner=False)
def _flagged_page(
    path: str,
    snapshot_id: int,
    rules_key: str,
    search: str,
    categories: tuple[str, ...],
    offset: int,
    limit: int,
    _rules: ReviewRules,
) -> tuple[pd.DataFrame, int]:
    return reviewing.flagged_page(
        _store(path),
        _rules,
        snapshot_id=snapshot_id,
        search=search,
        categories=categories,
        offset=offset,
        limit=limit,
    )


def cached_flagged_page(
    store: Store,
    rules: ReviewRules,
    snapshot_id: int,
    *,
    search: str,
    categories: tuple[str, ...],
    offset: int,
    limit: int,
) -> tuple[pd.DataFrame, int]:
    """Return one page of the flagged table and the total (cached like reviews)."""
    return _flagged_page(
        str(store.path),
        snapshot_id,
        _rules_key(rules),
        search,
        tuple(categories),
        offset,
        limit,
        rules,
    )


def clear_data_caches() -> None:
    """Forget cached results after this app changed the database (load, decision, settings)."""
    _review.clear()
    _breakdowns.clear()
    _flagged_page.clear()
