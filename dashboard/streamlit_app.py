"""Seat review for LearnUpon: the Streamlit entry point (router only; pages are in app_pages/)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
# `streamlit run dashboard/streamlit_app.py` puts dashboard/ on sys.path, not the project root.
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from dashboard.resources import ensure_demo_once, get_store  # noqa: E402
from dashboard.ui import user_errors  # noqa: E402

st.set_page_config(
    page_title="Seat review for LearnUpon", page_icon=":material/event_seat:", layout="wide"
)

PAGES = [
    st.Page(HERE / "app_pages" / "overview.py", title="Overview", icon=":material/dashboard:"),
    st.Page(HERE / "app_pages" / "review.py", title="Review", icon=":material/rule:"),
    st.Page(HERE / "app_pages" / "export.py", title="Export", icon=":material/download:"),
    st.Page(HERE / "app_pages" / "explore.py", title="Explore", icon=":material/query_stats:"),
    st.Page(HERE / "app_pages" / "data.py", title="Data & settings", icon=":material/settings:"),
]

page = st.navigation(PAGES)
store = get_store()
with user_errors(), st.spinner("First start: loading the demo portal…"):
    ensure_demo_once(store)
# Holding one connection while the page runs lets DuckDB share the open database with every
# connection the use cases open meanwhile: each then costs microseconds instead of a file open.
# It is released when the page is done, so the command line can take its turn.
with user_errors(), store.read():
    page.run()
