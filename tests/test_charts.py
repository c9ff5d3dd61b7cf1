"""Figure builders: pure functions of small frames, checked on the traces they draw."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard import charts


def test_recency_bar_draws_one_bar_per_bucket_in_order() -> None:
    frame = pd.DataFrame({"bucket": ["< 30 d", "30-90 d", "never"], "accounts": [5, 3, 2]})
    fig = charts.recency_bar(frame)
    assert list(fig.data[0].x) == ["< 30 d", "30-90 d", "never"]
    assert list(fig.data[0].y) == [5, 3, 2]


def test_recency_bar_colours_buckets_before_the_cutoff() -> None:
    frame = pd.DataFrame(
        {"bucket": ["recent", "old"], "accounts": [4, 1], "flagged": [False, True]}
    )
    colors = list(charts.recency_bar(frame).data[0].marker.color)
    assert colors[0] != colors[1]
    assert colors[1] == charts.FLAG


def test_breakdown_bar_stacks_one_trace_per_category_present() -> None:
    frame = pd.DataFrame({"user_type": ["learner", "admin"], "active": [10, 2], "inactive": [4, 0]})
    fig = charts.breakdown_bar(frame, "user_type", "By user type")
    assert [t.name for t in fig.data] == ["Active", "Inactive"]
    assert fig.layout.barmode == "stack"
    # largest total drawn last, i.e. at the top of a horizontal bar chart
    assert list(fig.data[0].y) == ["admin", "learner"]


def test_breakdown_bar_keeps_only_the_largest_rows() -> None:
    frame = pd.DataFrame({"group": [f"g{i}" for i in range(30)], "active": list(range(30))})
    fig = charts.breakdown_bar(frame, "group", "By group", top=5)
    assert set(fig.data[0].y) == {"g25", "g26", "g27", "g28", "g29"}


def test_trend_line_sorts_by_date_and_marks_the_limit() -> None:
    frame = pd.DataFrame({"as_of": [date(2026, 3, 1), date(2026, 1, 1)], "used": [120, 100]})
    fig = charts.trend_line(frame, limit=150)
    assert list(fig.data[0].y) == [100, 120]
    assert [s.y0 for s in fig.layout.shapes] == [150]


def test_trend_line_without_limit_draws_no_line() -> None:
    frame = pd.DataFrame({"as_of": [date(2026, 1, 1)], "used": [7]})
    assert charts.trend_line(frame, limit=None).layout.shapes == ()


def test_seats_against_tier_shows_the_three_figures_and_the_limit() -> None:
    fig = charts.seats_against_tier(
        140,
        110,
        121,
        limit=150,
        tiers=[("Small", 100), ("Essential", 150), ("Mid", 200), ("Custom", None)],
    )
    assert dict(zip(fig.data[0].y, fig.data[0].x, strict=True)) == {
        "Used now": 140,
        "After review": 110,
        "Recommended renewal": 121,
    }
    lines = sorted(s.x0 for s in fig.layout.shapes)
    assert lines == [100, 150, 200]


def test_seats_against_tier_skips_far_away_tiers() -> None:
    fig = charts.seats_against_tier(10, 8, 9, limit=None, tiers=[("Big", 50), ("Huge", 1000)])
    assert [s.x0 for s in fig.layout.shapes] == []


def test_quick_chart_kinds() -> None:
    frame = pd.DataFrame({"t": ["a", "b"], "n": [1, 2]})
    assert charts.quick_chart(frame, "t", "n").data[0].type == "bar"
    assert charts.quick_chart(frame, "t", "n", "line").data[0].mode == "lines+markers"
    assert charts.quick_chart(frame, "t", "n", "scatter").data[0].mode == "markers"
