"""Overview: seats against the plan, the renewal recommendation, recency, breakdowns and trend."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard import charts
from dashboard.contract import load_contract
from dashboard.resources import cached_breakdowns, cached_review, get_store
from dashboard.ui import current_rules, money, page_start, percent, user_errors

# Lower bound in days of each recency bucket of review.recency_buckets (None: never signed in).
BUCKET_FLOOR = {
    "< 30 days": 0,
    "30-90 days": 30,
    "90-180 days": 90,
    "180-365 days": 180,
    "> 365 days": 366,
    "never": None,
}

store = get_store()
snap = page_start("Overview", store)

with user_errors():
    contract = load_contract(store)
    rules = current_rules(store)
    result = cached_review(store, rules, snap.snapshot_id)
    frames = cached_breakdowns(store, rules, snap.snapshot_id)

fig = result.figures
currency = fig.currency or contract.currency
cutoff_days = (result.as_of - result.cutoff).days

k = st.columns(4)
k[0].metric(
    f"Seats used of {fig.limit:,}" if fig.limit else "Seats used",
    f"{fig.used:,}",
    help="Enabled accounts"
    + (" plus disabled ones (contract setting)" if contract.count_disabled else "")
    + ("" if fig.limit else ". Set the seat limit under Data & settings."),
    border=True,
)
k[1].metric("Utilization", percent(fig.utilization), border=True)
k[2].metric(
    "Flagged now",
    f"{result.flagged:,}",
    help=f"No activity since {result.cutoff:%Y-%m-%d} ({cutoff_days} days before as-of): "
    f"{result.counts['inactive']:,} inactive, {result.counts['never_signed_in']:,} never "
    "signed in. Change the rules on Review.",
    border=True,
)
k[3].metric(
    "Annual savings (estimate)",
    "—" if fig.annual_savings_estimate is None else money(fig.annual_savings_estimate, currency),
    help="An estimate: flagged × price per seat per month × 12."
    + ("" if fig.annual_savings_estimate is not None else " Set the price under Data & settings."),
    border=True,
)

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(
        charts.seats_against_tier(
            fig.used,
            fig.after_used,
            fig.recommended_renewal,
            limit=fig.limit,
            tiers=[(t.name, t.seats) for t in contract.tiers],
        ),
        key="ov_tier",
    )
with right:
    st.subheader("Renewal")
    tier = fig.tier.name if fig.tier else "no tier holds it"
    st.markdown(
        f"Renew **{fig.recommended_renewal:,} seats**: {fig.after_used:,} after disabling the "
        f"{result.flagged:,} flagged accounts, plus a {fig.buffer:.0%} buffer. "
        f"Smallest tier that holds it: **{tier}**"
        + (f" (today: {fig.tier_now.name})." if fig.tier_now else ".")
    )
    today = datetime.now(UTC).date()
    if contract.renewal_date:
        left_days = (contract.renewal_date - today).days
        st.markdown(f"Renewal date: **{contract.renewal_date:%Y-%m-%d}** ({left_days:,} days left)")
        deadline = contract.notice_deadline()
        if deadline:
            notice_left = (deadline - today).days
            text = f"Notice deadline: **{deadline:%Y-%m-%d}** ({notice_left:,} days left)"
            if notice_left < 0:
                st.error(text + ": passed.", icon=":material/event_busy:")
            elif notice_left <= 30:
                st.warning(text, icon=":material/alarm:")
            else:
                st.markdown(text)
    else:
        st.caption("Enter the renewal date and notice period under Data & settings.")

recency = frames["recency"].copy()
recency["flagged"] = [
    floor is None or floor >= cutoff_days
    for floor in (BUCKET_FLOOR.get(b, 0) for b in recency["bucket"])
]
c1, c2 = st.columns(2)
with c1:
    st.plotly_chart(charts.recency_bar(recency), key="ov_recency")
    st.caption(
        f"Orange: buckets entirely before the cutoff ({cutoff_days} days before as-of). "
        "Activity is the later of the last sign-in and the activity reports."
    )
with c2:
    trend = frames["trend"]
    st.plotly_chart(charts.trend_line(trend, limit=fig.limit), key="ov_trend")
    n = trend["as_of"].nunique()
    st.caption(
        f"{n:,} data date{'s' if n != 1 else ''} across {len(trend):,} snapshot"
        f"{'s' if len(trend) != 1 else ''}; load new reports later to see the trend move."
    )

c1, c2 = st.columns(2)
with c1:
    st.plotly_chart(
        charts.breakdown_bar(frames["by_type"], "user_type", "By user type"), key="ov_type"
    )
with c2:
    st.plotly_chart(
        charts.breakdown_bar(frames["by_group"], "group", "By group (largest 15)"),
        key="ov_group",
    )
