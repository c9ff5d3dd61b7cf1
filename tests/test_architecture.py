"""Layering: only the page layer may import streamlit."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PAGE_LAYER = {"streamlit_app", "ui", "resources", "__main__"}


def core_modules() -> list[str]:
    """Every module of the package outside the page layer (app_pages/ is page layer too)."""
    return sorted(
        f"dashboard.{path.stem}"
        for path in (ROOT / "dashboard").glob("*.py")
        if path.stem not in PAGE_LAYER and path.stem != "__init__"
    )


def test_the_core_is_more_than_the_skeleton() -> None:
    names = core_modules()
    for expected in (
        "dashboard.loading",
        "dashboard.review",
        "dashboard.exporting",
        "dashboard.syncing",
        "dashboard.sandbox",
        "dashboard.store",
    ):
        assert expected in names


def test_core_modules_do_not_import_streamlit() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit')[:3])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
