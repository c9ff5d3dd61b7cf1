"""Plotly figures for the pages: pure functions of small, already-aggregated frames."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

# One colour per review category, the same on every chart.
CATEGORY_COLORS = {
    "active": "#2e7d32",
    "protected": "#1565c0",
    "inactive": "#ef6c00",
    "never_signed_in": "#c62828",
    "disabled": "#9e9e9e",
}
CATEGORY_LABELS = {
    "active": "Active",
    "protected": "Protected",
    "inactive": "Inactive",
    "never_signed_in": "Never signed in",
    "disabled": "Disabled",
}
ACCENT = "#1565c0"
MUTED = "#9e9e9e"
FLAG = "#ef6c00"


def _layout(fig: go.Figure, title: str, *, height: int = 320) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        # Fixed entry widths: auto-sized entries overlapped when a narrow legend wrapped.
        legend={
            "orientation": "h",
            "y": -0.2,
            "x": 0,
            "entrywidth": 120,
            "entrywidthmode": "pixels",
        },
        bargap=0.25,
    )
    return fig


def recency_bar(frame: pd.DataFrame) -> go.Figure:
    """Return a bar chart of enabled accounts per sign-in recency bucket.

    `frame` has columns `bucket` (label, in display order) and `accounts`, and optionally a boolean
    `flagged` column that colours the buckets lying before the cutoff.
    """
    colors = [FLAG if flagged else ACCENT for flagged in frame.get("flagged", [False] * len(frame))]
    fig = go.Figure(
        go.Bar(
            x=frame["bucket"],
            y=frame["accounts"],
            marker_color=colors,
            text=frame["accounts"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y:,} accounts<extra></extra>",
        )
    )
    fig.update_yaxes(title="Enabled accounts", rangemode="tozero")
    fig.update_xaxes(title="Last activity", type="category")
    return _layout(fig, "Sign-in recency (enabled accounts)")


def breakdown_bar(frame: pd.DataFrame, label: str, title: str, *, top: int = 15) -> go.Figure:
    """Return a horizontal stacked bar of accounts per `label` value, split by review category.

    `frame` has the column `label` plus one count column per category present in
    CATEGORY_COLORS; only the `top` largest rows are drawn.
    """
    cats = [c for c in CATEGORY_COLORS if c in frame.columns]
    data = frame.copy()
    data["_total"] = data[cats].sum(axis=1) if cats else 0
    data = data.sort_values("_total", ascending=False).head(top).iloc[::-1]
    fig = go.Figure()
    for cat in cats:
        fig.add_bar(
            y=data[label].astype(str),
            x=data[cat],
            name=CATEGORY_LABELS[cat],
            orientation="h",
            marker_color=CATEGORY_COLORS[cat],
            hovertemplate="%{y}: %{x:,} " + CATEGORY_LABELS[cat].lower() + "<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    # No axis title: in a short chart it collided with the legend below; hover names the unit.
    fig.update_xaxes(title=None, rangemode="tozero")
    fig.update_yaxes(type="category")
    return _layout(fig, title, height=max(260, 60 + 26 * len(data)))


def trend_line(frame: pd.DataFrame, *, limit: int | None = None) -> go.Figure:
    """Return a line chart of seats used per snapshot.

    `frame` has columns `as_of` (date), `used` (enabled accounts) and optionally `snapshot_id`.
    A dashed line shows the seat limit when known.
    """
    # A reload of the same as-of date replaces that day's figure rather than adding a point.
    keys = ["as_of", "snapshot_id"] if "snapshot_id" in frame.columns else ["as_of"]
    data = frame.sort_values(keys).drop_duplicates("as_of", keep="last")
    # One date alone gives plotly no scale: show it as a labelled category instead.
    single = len(data) < 2
    x = [f"{d:%Y-%m-%d}" for d in pd.to_datetime(data["as_of"])] if single else data["as_of"]
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=data["used"],
            mode="lines+markers",
            name="Seats used",
            line={"color": ACCENT, "width": 3},
            hovertemplate="%{x|%Y-%m-%d}: %{y:,} seats<extra></extra>",
        )
    )
    if limit:
        fig.add_hline(
            y=limit,
            line_dash="dash",
            line_color=MUTED,
            annotation_text=f"limit {limit:,}",
            annotation_position="top left",
        )
    fig.update_yaxes(title="Seats used", rangemode="tozero")
    fig.update_xaxes(title="Data as of", type="category" if single else "date")
    return _layout(fig, "Seat trend across snapshots")


def seats_against_tier(
    used: int,
    after: int,
    recommended: int,
    *,
    limit: int | None,
    tiers: Sequence[tuple[str, int | None]] = (),
) -> go.Figure:
    """Return a horizontal bar of seats now, after the review and recommended, against the tiers.

    `tiers` are (name, seat cap) pairs; uncapped tiers and tiers far beyond every figure are not
    drawn. The seat limit is a solid line, the tiers dotted lines.
    """
    rows = [("Used now", used, ACCENT), ("After review", after, FLAG)]
    rows.append(("Recommended renewal", recommended, CATEGORY_COLORS["active"]))
    fig = go.Figure(
        go.Bar(
            y=[r[0] for r in rows][::-1],
            x=[r[1] for r in rows][::-1],
            marker_color=[r[2] for r in rows][::-1],
            orientation="h",
            text=[f"{r[1]:,}" for r in rows][::-1],
            textposition="auto",
            hovertemplate="%{y}: %{x:,} seats<extra></extra>",
        )
    )
    top = max([used, after, recommended, limit or 0])
    labels: dict[int, list[str]] = {}
    for name, seats in sorted((t for t in tiers if t[1]), key=lambda t: t[1]):
        if seats <= top * 1.6:
            labels.setdefault(seats, []).append(f"{name} {seats:,}")
    if limit:
        labels.setdefault(limit, []).append(f"limit {limit:,}")
    for x, texts in labels.items():
        is_limit = x == limit
        fig.add_vline(
            x=x,
            line_dash="solid" if is_limit else "dot",
            line_color="#212121" if is_limit else MUTED,
            line_width=2 if is_limit else 1,
        )
        # Labels sit above the plot area, where they never cover a bar.
        fig.add_annotation(
            x=x,
            y=1,
            yref="paper",
            yanchor="bottom",
            text=" · ".join(texts),
            showarrow=False,
            font={"size": 11, "color": "#212121" if is_limit else "#616161"},
        )
    fig.update_xaxes(title="Seats", range=[0, max([top, *labels]) * 1.2])
    fig = _layout(fig, "Seats against the plan", height=280)
    fig.update_layout(margin={"t": 70})
    return fig


def quick_chart(frame: pd.DataFrame, x: str, y: str, kind: str = "bar") -> go.Figure:
    """Return a bar, line or scatter chart of column `y` against column `x` (Explore page)."""
    data = frame[[x, y]].head(10_000) if x != y else frame[[x]].head(10_000)
    if kind == "line":
        trace = go.Scatter(x=data[x], y=data[y], mode="lines+markers", line={"color": ACCENT})
    elif kind == "scatter":
        trace = go.Scatter(x=data[x], y=data[y], mode="markers", marker={"color": ACCENT})
    else:
        trace = go.Bar(x=data[x], y=data[y], marker_color=ACCENT)
    fig = go.Figure(trace)
    fig.update_xaxes(title=x)
    fig.update_yaxes(title=y)
    return _layout(fig, f"{y} by {x}", height=380)
