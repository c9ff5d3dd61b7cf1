"""Review: cutoff and protection rules, what-if figures, the flagged accounts and keep decisions."""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard.contract import save_review_defaults
from dashboard.resources import (
    cached_flagged_page,
    cached_review,
    clear_data_caches,
    get_store,
)
from dashboard.review import list_decisions, set_decision
from dashboard.rules import FLAGGED
from dashboard.ui import (
    PRESET_DAYS,
    current_rules,
    money,
    page_start,
    percent,
    rule_options,
    split_list,
    user_errors,
)

USER_TYPES = ["learner", "manager", "instructor", "admin"]
PAGE_SIZES = [100, 1_000, 10_000]
MAX_SHOWN = 10_000  # rows sent to the browser by any one table
CATEGORY_FILTER = {
    None: "All flagged",
    "inactive": "Inactive",
    "never_signed_in": "Never signed in",
}


def decide(keys: list[str], decision: str) -> None:
    """Store a keep or release decision for each account, then rerun on fresh figures."""
    with user_errors():
        for key in keys:
            set_decision(store, key, decision)
    st.session_state["rv_version"] = st.session_state.get("rv_version", 0) + 1
    clear_data_caches()
    st.rerun()


store = get_store()
snap = page_start("Review", store)
opts = rule_options()

with user_errors():
    resolved = current_rules(store)

# Widgets are keyed; their keys vanish when another page runs, so seed them from the shared
# rule options each time this page starts.
seed = {
    "rv_cutoff": (
        "date"
        if opts["cutoff_mode"] == "date"
        else (resolved.inactive_days if resolved.cutoff is None else "date")
    ),
    "rv_date": resolved.cutoff or resolved.cutoff_for(snap.as_of),
    "rv_types": list(resolved.protect_types),
    "rv_domains": ", ".join(resolved.protect_domains),
    "rv_groups": ", ".join(resolved.protect_groups),
    "rv_grace": resolved.grace_days,
    "rv_keep": "\n".join(opts["keep"]),
}
for key, value in seed.items():
    st.session_state.setdefault(key, value)

cutoff_choices = [*PRESET_DAYS, "date"]
if st.session_state["rv_cutoff"] not in cutoff_choices:
    cutoff_choices.insert(-1, st.session_state["rv_cutoff"])

with st.container(border=True):
    st.markdown("**Rules**")
    c1, c2 = st.columns([3, 2])
    choice = c1.segmented_control(
        "Cutoff: flag accounts with no activity in the last (days before as-of) or since a date",
        cutoff_choices,
        format_func=lambda v: "a date" if v == "date" else f"{v} days",
        required=True,
        key="rv_cutoff",
    )
    if choice == "date":
        cutoff_date = c2.date_input(
            "Cutoff date",
            format="YYYY-MM-DD",
            max_value=snap.as_of + timedelta(days=3650),
            key="rv_date",
        )
    else:
        cutoff_date = None
        c2.metric("Cutoff date", f"{snap.as_of - timedelta(days=int(choice)):%Y-%m-%d}")
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
    types = c1.multiselect("Protect user types", USER_TYPES, key="rv_types")
    domains = c2.text_input(
        "Protect e-mail domains", placeholder="example.com, partner.org", key="rv_domains"
    )
    groups = c3.text_input("Protect groups", placeholder="Board, Auditors", key="rv_groups")
    grace = c4.number_input(
        "Grace days",
        min_value=0,
        step=1,
        key="rv_grace",
        help="Protect accounts created in the last N days before as-of.",
    )
    keep_text = st.text_area(
        "Keep list (one e-mail per line, never flagged)",
        height=80,
        key="rv_keep",
    )

opts.update(
    cutoff_mode="date" if choice == "date" else "preset",
    inactive_days=None if choice == "date" else int(choice),
    cutoff=cutoff_date if choice == "date" else None,
    protect_types=list(types) or ["none"],
    protect_domains=split_list(domains),
    protect_groups=split_list(groups),
    keep=split_list(keep_text),
    grace_days=int(grace),
)

with user_errors():
    rules = current_rules(store)
    result = cached_review(store, rules, snap.snapshot_id)

fig = result.figures
currency = fig.currency or "USD"
st.subheader(f"What if: cutoff {result.cutoff:%Y-%m-%d} (data as of {result.as_of:%Y-%m-%d})")
m = st.columns(5)
m[0].metric(
    "Flagged",
    f"{result.flagged:,}",
    help=f"{result.counts['inactive']:,} inactive + "
    f"{result.counts['never_signed_in']:,} never signed in",
)
m[1].metric(
    "Seats after",
    f"{fig.after_used:,}",
    delta=f"-{result.flagged:,}" if result.flagged else None,
    delta_color="inverse",
    help=f"{fig.used:,} used now" + (f" of {fig.limit:,}" if fig.limit else ""),
)
m[2].metric(
    "Utilization after",
    percent(fig.after_utilization),
    help="Set the seat limit under Data & settings" if fig.limit is None else None,
)
m[3].metric(
    "Tier after",
    fig.tier.name if fig.tier else "—",
    help=f"Smallest tier that holds the recommended renewal of {fig.recommended_renewal:,} "
    f"seats ({fig.buffer:.0%} buffer)",
)
m[4].metric(
    "Annual savings (estimate)",
    "—" if fig.annual_savings_estimate is None else money(fig.annual_savings_estimate, currency),
    help="An estimate: flagged × price per seat per month × 12. "
    "Set the price under Data & settings.",
)
if result.keep_unmatched:
    st.warning(
        "Keep-list entries that match no account (check the spelling): "
        + ", ".join(result.keep_unmatched),
        icon=":material/warning:",
    )

st.subheader("Flagged accounts")
c1, c2, c3 = st.columns([3, 2, 1])
search = c1.text_input(
    "Search",
    placeholder="Search e-mail, name, type or group",
    key="rv_search",
    label_visibility="collapsed",
)
category = c2.selectbox(
    "Category",
    list(CATEGORY_FILTER),
    format_func=CATEGORY_FILTER.get,
    key="rv_category",
    label_visibility="collapsed",
)
size = c3.selectbox(
    "Rows per page",
    PAGE_SIZES,
    key="rv_size",
    label_visibility="collapsed",
    format_func=lambda n: f"{n:,} a page",
)
categories = FLAGGED if category is None else (category,)
page_key = f"rv_page_{search}_{category}_{size}"
page_no = int(st.session_state.get(page_key, 1))
with user_errors():
    frame, total = cached_flagged_page(
        store,
        rules,
        snap.snapshot_id,
        search=search,
        categories=tuple(categories),
        offset=(page_no - 1) * size,
        limit=size,
    )
pages = max(1, math.ceil(total / size))
if page_no > pages:
    # The filter or the rules shrank the list under the page we were on: back to the first.
    st.session_state.pop(page_key, None)
    page_no = 1
    with user_errors():
        frame, total = cached_flagged_page(
            store,
            rules,
            snap.snapshot_id,
            search=search,
            categories=tuple(categories),
            offset=0,
            limit=size,
        )
offset = (page_no - 1) * size
st.caption(
    f"{total:,} accounts match"
    + (f"; showing {offset + 1:,}–{offset + len(frame):,}" if len(frame) else "")
    + ". Select rows and keep them to protect them in this and every later review."
)
selection = st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    height=420,
    on_select="rerun",
    selection_mode="multi-row",
    # A new key whenever the rows change, so a selection never points at other accounts.
    key=f"rv_table_{page_key}_{page_no}_{st.session_state.get('rv_version', 0)}",
    column_order=[
        c
        for c in [
            "email",
            "username",
            "name",
            "user_type",
            "reason",
            "last_activity",
            "created_at",
            "sign_in_count",
            "groups",
            "category",
        ]
        # e-mail portals have no usernames (and username portals may lack e-mails)
        if c in ("name", "reason") or frame[c].notna().any()
    ],
    column_config={
        "email": st.column_config.TextColumn("E-mail"),
        "username": st.column_config.TextColumn("Username"),
        "name": st.column_config.TextColumn("Name"),
        "user_type": st.column_config.TextColumn("Type"),
        "groups": st.column_config.ListColumn("Groups"),
        "last_activity": st.column_config.DatetimeColumn("Last activity", format="YYYY-MM-DD"),
        "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD"),
        "sign_in_count": st.column_config.NumberColumn("Sign-ins"),
        "category": st.column_config.TextColumn("Category"),
        "reason": st.column_config.TextColumn("Reason", width="large"),
    },
)
if pages > 1:
    st.pagination(pages, key=page_key)
picked = [frame.iloc[i]["user_key"] for i in selection.selection.rows if i < len(frame)]
if st.button(
    f"Keep selected ({len(picked)})",
    disabled=not picked,
    icon=":material/bookmark_add:",
    key="rv_keep_selected",
):
    decide(picked, "keep")

st.subheader("Kept accounts")
with user_errors():
    kept = pd.DataFrame(
        list_decisions(store), columns=["user_key", "decision", "note", "decided_at"]
    )
if len(kept) > MAX_SHOWN:
    st.caption(f"The {MAX_SHOWN:,} most recent of {len(kept):,} decisions.")
    kept = kept.head(MAX_SHOWN)
if len(kept):
    kept_sel = st.dataframe(
        kept,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key=f"rv_kept_{st.session_state.get('rv_version', 0)}",
        column_config={
            "user_key": st.column_config.TextColumn("Account"),
            "decision": st.column_config.TextColumn("Decision"),
            "note": st.column_config.TextColumn("Note"),
            "decided_at": st.column_config.TextColumn("Decided (UTC)"),
        },
    )
    released = [kept.iloc[i]["user_key"] for i in kept_sel.selection.rows if i < len(kept)]
    if st.button(
        f"Release selected ({len(released)})",
        disabled=not released,
        icon=":material/bookmark_remove:",
        key="rv_release_selected",
    ):
        decide(released, "release")
else:
    st.caption("No account is kept by decision yet.")

with st.expander("Save these rules as the defaults"):
    st.write(
        "Every later review (here, on Export and on the command line) starts from the saved "
        "defaults. The keep list is not saved with them; keep decisions are kept anyway."
    )
    if st.button("Save as defaults", key="rv_save_defaults"):
        with user_errors():
            save_review_defaults(store, rules)
        st.success("Saved.", icon=":material/check_circle:")
