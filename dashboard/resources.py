"""Objects shared by every browser session: the Store, the first-start demo load, cached data."""

from __future__ import annotations

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
    from dashboard.demo import ensure_demo

    return ensure_demo(_store(path)) is not None


def ensure_demo_once(store: Store) -> bool:
    """Load the demo portal when the database is empty; checked once per database per process.

    Returns True when that first check found the database empty and loaded the demo.
    """
    return _demo_checked(str(store.path))
