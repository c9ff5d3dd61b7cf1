"""Shared fixtures: a fresh DuckDB store per test, and the path of the repository's test data."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.store import Store

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A Store on a new DuckDB file under tmp_path."""
    return Store(tmp_path / "seats.duckdb")
