"""Explore: read-only SQL on the sandbox, schema list, example queries, result table and chart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.errors import SeatReviewError
from dashboard.resources import get_sandbox, get_store
from dashboard.sandbox import example_queries
from dashboard.ui import page_start, show_error

SHOWN_ROWS = 10_000
DOWNLOAD_ROWS = 1_000_000
EDITOR = "explore_sql"

store = get_store()
snap = page_start("Explore", store)
sandbox = get_sandbox(store, snap.snapshot_id)

st.write(
    f"Ad-hoc SQL on snapshot #{snap.snapshot_id}, read-only: no files, network or extensions; "
    f"a query stops after 30 s. At most {SHOWN_ROWS:,} rows are shown here and "
    f"{DOWNLOAD_ROWS:,} downloaded."
)


def _fill(query: str) -> None:
    st.session_state[EDITOR] = query
    st.session_state.pop("explore_result", None)


left, right = st.columns([3, 1])
with right:
    st.subheader("Example queries")
    for title, query in example_queries():
        st.button(title, key=f"example_{title}", on_click=_fill, args=(query,), width="stretch")
    st.subheader("Tables")
    schema = pd.DataFrame(sandbox.schema(), columns=["table", "column", "type"])
    for table, cols in schema.groupby("table", sort=True):
        with st.expander(f"`{table}`"):
            st.dataframe(cols[["column", "type"]], hide_index=True, width="stretch")

with left:
    if EDITOR not in st.session_state:
        st.session_state[EDITOR] = example_queries()[0][1] if example_queries() else ""
    query = st.text_area("SQL", key=EDITOR, height=180)
    run = st.button("Run", type="primary", icon=":material/play_arrow:", key="explore_run")
    if run:
        with st.spinner("Running…"):
            try:
                result = sandbox.run(query, max_rows=SHOWN_ROWS)
            except SeatReviewError as exc:
                st.session_state["explore_result"] = {"query": query, "error": str(exc)}
            else:
                st.session_state["explore_result"] = {"query": query, "result": result}

    outcome = st.session_state.get("explore_result")
    if outcome and "error" in outcome:
        show_error(outcome["error"])
    elif outcome:
        result = outcome["result"]
        frame = result.frame
        note = f"{len(frame):,} rows"
        if result.truncated:
            note = (
                f"Showing the first {SHOWN_ROWS:,} rows; the query returns more. "
                f"The download holds up to {DOWNLOAD_ROWS:,}."
            )
        st.caption(note)
        st.dataframe(
            frame, hide_index=True, width="stretch", height="auto" if len(frame) <= 10 else 400
        )

        def _csv(q: str = outcome["query"]) -> bytes:
            result = sandbox.run(q, max_rows=DOWNLOAD_ROWS)
            return result.to_csv(spreadsheet_safe=True).encode("utf-8")

        st.download_button(
            "Download CSV",
            data=_csv,
            file_name=f"query-snapshot-{snap.snapshot_id}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key="explore_csv",
        )
        if len(frame.columns) and len(frame):
            st.subheader("Quick chart")
            cols = [str(c) for c in frame.columns]
            numeric = [str(c) for c in frame.select_dtypes("number").columns] or cols
            c1, c2, c3 = st.columns(3)
            x = c1.selectbox("x", cols, key="explore_x")
            y = c2.selectbox("y", numeric, index=len(numeric) - 1, key="explore_y")
            kind = c3.segmented_control(
                "Chart", ["bar", "line", "scatter"], default="bar", key="explore_kind"
            )
            st.plotly_chart(charts.quick_chart(frame, x, y, kind or "bar"), key="explore_chart")
