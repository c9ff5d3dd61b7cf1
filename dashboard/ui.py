"""Page building blocks: the freshness line, user-facing errors, the rule options pages share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.errors import NoData, SeatReviewError
from dashboard.review import rules_from_options
from dashboard.rules import ReviewRules
from dashboard.store import Snapshot, Store

RULES_KEY = "rule_options"
PRESET_DAYS = (30, 60, 90, 180, 365)


@contextmanager
def user_errors() -> Iterator[None]:
    """Show a SeatReviewError as st.error (the CLI's message, no traceback) and stop the page."""
    try:
        yield
    except SeatReviewError as exc:
        show_error(str(exc))
        st.stop()


def show_error(text: str) -> None:
    """Show a message a reviewer understands as an error box."""
    st.error(text, icon=":material/error:")


def progress_reporter(bar: DeltaGenerator) -> Callable[[float, str], None]:
    """Return a `progress(fraction, text)` callback that moves the st.progress element `bar`."""

    def report(fraction: float, text: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=text)

    return report


def freshness(snap: Snapshot) -> None:
    """Render the data-freshness line, led by a DEMO DATA badge for the demo portal."""
    badge = ":orange-badge[:material/science: DEMO DATA] " if snap.is_demo else ""
    st.caption(badge + snap.freshness())


def page_start(title: str, store: Store, *, need_data: bool = True) -> Snapshot | None:
    """Render the page title and freshness line; return the latest snapshot.

    When nothing is loaded, says so and stops the page if `need_data`, else returns None.
    """
    st.title(title)
    try:
        snap = store.snapshot()
    except NoData as exc:
        if need_data:
            st.info(f"{exc}. Use **Data & settings** to load reports.", icon=":material/info:")
            st.stop()
        st.caption("No data loaded yet.")
        return None
    except SeatReviewError as exc:
        show_error(str(exc))
        st.stop()
    freshness(snap)
    return snap


def rule_options() -> dict[str, Any]:
    """Return the rule options chosen on Review, kept in the session and shared by every page."""
    if RULES_KEY not in st.session_state:
        st.session_state[RULES_KEY] = {
            "cutoff_mode": "preset",
            "inactive_days": None,
            "cutoff": None,
            "protect_types": None,
            "protect_domains": None,
            "protect_groups": None,
            "keep": [],
            "grace_days": None,
        }
    return st.session_state[RULES_KEY]


def current_rules(store: Store) -> ReviewRules:
    """Return the ReviewRules for the session's rule options (saved defaults fill the gaps).

    Options left as None take the saved defaults. Domain and group lists set on Review replace
    the saved ones even when empty: clearing a field on the page must unprotect those accounts.
    """
    opts = rule_options()
    by_date = opts["cutoff_mode"] == "date" and opts["cutoff"] is not None
    rules = rules_from_options(
        store,
        cutoff=opts["cutoff"] if by_date else None,
        inactive_days=None if by_date else opts["inactive_days"],
        protect_types=opts["protect_types"],
        keep=tuple(opts["keep"]),
        grace_days=opts["grace_days"],
    )
    chosen = {
        name: tuple(opts[name])
        for name in ("protect_domains", "protect_groups")
        if opts[name] is not None
    }
    return replace(rules, **chosen) if chosen else rules


def split_list(text: str) -> list[str]:
    """Return the non-empty items of `text` split on newlines, commas and semicolons."""
    return [
        item.strip()
        for item in text.replace(";", "\n").replace(",", "\n").split("\n")
        if item.strip()
    ]


def money(amount: float, currency: str) -> str:
    """Return `amount` formatted with its currency code, no decimals (e.g. 'USD 12,600')."""
    return f"{currency} {amount:,.0f}"


def percent(fraction: float | None) -> str:
    """Return a fraction as a percentage with one decimal, or an em dash when unknown."""
    return "—" if fraction is None else f"{fraction:.1%}"
