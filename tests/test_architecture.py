"""Layering: only the page layer may import streamlit."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CORE = [
    "dashboard.cli",
    "dashboard.store",
    "dashboard.errors",
]


def test_core_modules_do_not_import_streamlit() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError as exc:\n"
        "        if exc.name and exc.name.startswith('dashboard'):\n"
        "            continue\n"
        "        raise\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
