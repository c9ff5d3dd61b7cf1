"""The review use cases: categorise one snapshot's accounts, seat figures, pages and breakdowns.

All categorisation and aggregation runs in DuckDB through the `review_accounts` table macro
(dashboard/sql/review_accounts.sql); Python only binds parameters and shapes results. Every
function works on the latest snapshot unless `snapshot_id` names another, and on the snapshot's
as_of unless `as_of` overrides it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboard.contract import Contract, load_contract, load_review_defaults
from dashboard.errors import InputRefused
from dashboard.rules import (
    CATEGORIES,
    FLAGGED,
    PROTECTIONS,
    ReviewRules,
    SeatFigures,
    day_start,
    identity_key,
    seat_figures,
)
from dashboard.store import Snapshot, Store, sql

MAX_PAGE_ROWS = 10_000
DECISIONS = ("keep", "release")


def rules_from_options(
    store: Store,
    *,
    cutoff: date | None = None,
    inactive_days: int | None = None,
    protect_types: Sequence[str] | None = None,
    protect_domains: Sequence[str] = (),
    protect_groups: Sequence[str] = (),
    keep: Sequence[str] = (),
    grace_days: int | None = None,
) -> ReviewRules:
    """Return the rules: given options win, then the saved review defaults, then the built-ins.

    `protect_types` replaces the saved set; the type 'none' stands for "no type is protected".
    Empty domain or group lists mean "not given" and keep the saved ones.
    """
    saved = load_review_defaults(store)
    if cutoff is not None or inactive_days is not None:
        saved_cutoff, days = cutoff, saved.inactive_days if inactive_days is None else inactive_days
    else:
        saved_cutoff, days = saved.cutoff, saved.inactive_days
    if protect_types is None:
        types: Iterable[str] = saved.protect_types
    else:
        types = [t for t in protect_types if identity_key(t) != "none"]
    return ReviewRules(
        cutoff=saved_cutoff,
        inactive_days=days,
        protect_types=tuple(types),
        protect_domains=tuple(protect_domains) or saved.protect_domains,
        protect_groups=tuple(protect_groups) or saved.protect_groups,
        keep=tuple(keep),
        grace_days=saved.grace_days if grace_days is None else grace_days,
    )


def read_keep_file(path: str | Path) -> list[str]:
    """Return the e-mails of a keep file: one a line, blank lines and '#' comment lines ignored.

    A line holding a comma, semicolon or a space is refused rather than guessed at: a keep entry
    that silently matches nobody would leave that person flagged.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputRefused(
            path.name, f"cannot read the keep file ({exc.strerror})", hint="Check the path"
        ) from None
    except UnicodeDecodeError:
        raise InputRefused(
            path.name, "the keep file is not UTF-8 text", hint="Save it as UTF-8 and try again"
        ) from None
    out: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if any(ch in entry for ch in ",; \t"):
            raise InputRefused(
                path.name,
                f"{entry!r} is not a single e-mail",
                row=number,
                hint="Write one e-mail per line, nothing else on the line",
            )
        out.append(entry)
    return out


# -- shared plumbing --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewScope:
    """One open review: the cursor (macro registered), the snapshot, as_of and macro parameters."""

    cur: duckdb.DuckDBPyConnection
    snapshot: Snapshot
    as_of: date
    params: dict[str, Any]
    keep_unmatched: tuple[str, ...]

    def run(self, name: str, **extra: Any) -> duckdb.DuckDBPyConnection:
        """Run `dashboard/sql/NAME.sql` with the macro parameters plus `extra`."""
        return self.cur.execute(sql(name), {**self.params, **extra})


@contextmanager
def open_review(
    store: Store,
    rules: ReviewRules,
    snapshot_id: int | None,
    as_of: date | None,
    *,
    check_keep: bool = False,
) -> Iterator[ReviewScope]:
    """Yield a `ReviewScope` on one snapshot: run review_accounts(...) queries through `.run`.

    The database stays open throughout, so nested reads (snapshot, settings) are cheap.

    On username portals kept e-mails are first resolved to account keys. `check_keep` also works
    out which keep entries match no account (one extra join, so only the aggregate review asks).
    """
    with store.read() as cur:
        snap = store.snapshot(snapshot_id)
        as_of = as_of or snap.as_of
        params = rules.parameters(snap.snapshot_id, as_of)
        unmatched: tuple[str, ...] = ()
        by_email = snap.identity != "email"
        if rules.keep and (by_email or check_keep):
            pairs = cur.execute(
                sql("review_keep_keys"),
                {"snap": snap.snapshot_id, "keep_keys": list(rules.keep), "match_email": by_email},
            ).fetchall()
            matched = {entry for entry, _ in pairs}
            unmatched = tuple(k for k in rules.keep if k not in matched)
            if by_email:
                params["keep_keys"] = sorted({key for _, key in pairs})
        if not params["any_kept"]:
            params["any_kept"] = cur.execute(sql("review_any_decision")).fetchone()[0]
        cur.execute(sql("review_reason"))
        cur.execute(sql("review_accounts"))
        yield ReviewScope(cur, snap, as_of, params, unmatched)


@dataclass(frozen=True)
class ReviewResult:
    """The aggregate outcome of one review: category counts and seat figures."""

    snapshot: Snapshot
    as_of: date
    cutoff: date
    rules: ReviewRules
    counts: dict[str, int]
    protected_by: dict[str, int]
    figures: SeatFigures
    keep_unmatched: tuple[str, ...]

    @property
    def flagged(self) -> int:
        """Return the number of accounts to disable (inactive + never signed in)."""
        return sum(self.counts[c] for c in FLAGGED)

    def to_json(self) -> dict[str, Any]:
        """Return the SPEC section 6 `review --json` object."""
        f = self.figures
        return {
            "snapshot_id": self.snapshot.snapshot_id,
            "as_of": self.as_of.isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "seats": {
                "used": f.used,
                "disabled": f.disabled,
                "limit": f.limit,
                "utilization": f.utilization,
            },
            "categories": dict(self.counts),
            "flagged": self.flagged,
            "after": {"used": f.after_used, "utilization": f.after_utilization},
            "recommended_renewal": f.recommended_renewal,
            "buffer": f.buffer,
            "tier": f.tier.to_json() if f.tier else None,
            "annual_savings_estimate": {
                "amount": f.annual_savings_estimate,
                "currency": f.currency,
                "label": "estimate: flagged seats x price per seat per month x 12",
            },
            "protected_by": dict(self.protected_by),
            "keep_unmatched": list(self.keep_unmatched),
            "rules": self.rules.to_json(),
        }


def review(
    store: Store,
    rules: ReviewRules,
    *,
    snapshot_id: int | None = None,
    as_of: date | None = None,
    seat_limit: int | None = None,
    contract: Contract | None = None,
) -> ReviewResult:
    """Return the review of one snapshot under `rules` (counts in DuckDB, seat math in rules.py).

    `seat_limit` overrides the contract's; 0 means "no limit known".
    """
    with open_review(store, rules, snapshot_id, as_of, check_keep=True) as scope:
        contract = contract or load_contract(store)
        rows = scope.run("review_counts").fetchall()
    counts = dict.fromkeys(CATEGORIES, 0)
    protected_by = dict.fromkeys(PROTECTIONS, 0)
    for category_no, protection_no, accounts in rows:
        counts[CATEGORIES[category_no - 1]] += int(accounts)
        if protection_no is not None:
            protected_by[PROTECTIONS[protection_no - 1]] += int(accounts)
    flagged = counts["inactive"] + counts["never_signed_in"]
    figures = seat_figures(
        enabled=counts["active"] + counts["protected"] + flagged,
        disabled=counts["disabled"],
        flagged=flagged,
        limit=contract.seat_limit if seat_limit is None else seat_limit,
        buffer=contract.buffer,
        tiers=contract.tiers,
        price_per_seat_month=contract.price_per_seat_month,
        currency=contract.currency,
        count_disabled=contract.count_disabled,
    )
    return ReviewResult(
        snapshot=scope.snapshot,
        as_of=scope.as_of,
        cutoff=rules.cutoff_for(scope.as_of),
        rules=rules,
        counts=counts,
        protected_by=protected_by,
        figures=figures,
        keep_unmatched=scope.keep_unmatched,
    )


def flagged_page(
    store: Store,
    rules: ReviewRules,
    *,
    snapshot_id: int | None = None,
    as_of: date | None = None,
    search: str = "",
    categories: Sequence[str] = FLAGGED,
    offset: int = 0,
    limit: int = 100,
) -> tuple[pd.DataFrame, int]:
    """Return one page of reviewed accounts (at most 10,000 rows) and how many match in total.

    Columns: user_key, email, username, name, user_type, groups, enabled, created_at,
    last_sign_in_at, sign_in_count, last_activity, last_activity_source, category, protected_by,
    decision, reason. Sorted by lower-cased e-mail like the deactivation file.
    """
    unknown = set(categories) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}; use {list(CATEGORIES)}")
    page = {
        "category_nos": [CATEGORIES.index(c) + 1 for c in categories],
        "search": search.strip().lower(),
    }
    with open_review(store, rules, snapshot_id, as_of) as scope:
        frame = scope.run(
            "review_flagged_page",
            **page,
            offset=max(0, int(offset)),
            limit=max(0, min(int(limit), MAX_PAGE_ROWS)),
        ).df()
        if len(frame):
            total = int(frame["total"].iloc[0])
        else:
            total = int(scope.run("review_flagged_count", **page).fetchone()[0])
    return frame.drop(columns="total"), total


def breakdown_by_type(
    store: Store,
    rules: ReviewRules,
    *,
    snapshot_id: int | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Return category counts per user type (columns user_type, the five categories, total)."""
    with open_review(store, rules, snapshot_id, as_of) as scope:
        return scope.run("review_by_type").df()


def breakdown_by_group(
    store: Store,
    rules: ReviewRules,
    *,
    snapshot_id: int | None = None,
    as_of: date | None = None,
    limit: int = 50,
) -> pd.DataFrame:
    """Return category counts per group, largest first (columns group, the categories, total)."""
    with open_review(store, rules, snapshot_id, as_of) as scope:
        return scope.run("review_by_group", limit=max(0, int(limit))).df()


def recency_buckets(
    store: Store, *, snapshot_id: int | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Return enabled accounts per last-activity age bucket (< 30 days ... > 365 days, never)."""
    with store.read() as cur:
        snap = store.snapshot(snapshot_id)
        as_of = as_of or snap.as_of
        return cur.execute(
            sql("review_recency"), {"snap": snap.snapshot_id, "as_of_ts": day_start(as_of)}
        ).df()


def seat_trend(store: Store, *, contract: Contract | None = None) -> pd.DataFrame:
    """Return seats per snapshot, oldest first (snapshot_id, as_of, ... enabled, disabled, used)."""
    contract = contract or load_contract(store)
    with store.read() as cur:
        frame = cur.execute(sql("review_trend")).df()
    frame["used"] = frame["enabled"] + (frame["disabled"] if contract.count_disabled else 0)
    return frame


# -- keep / release decisions -----------------------------------------------------------------


def set_decision(
    store: Store, user_key: str, decision: str | None, note: str | None = None
) -> None:
    """Record a keep decision for an account, or delete its decision ('release' or None)."""
    key = identity_key(user_key)
    if not key:
        raise ValueError("a decision needs an account key")
    if decision not in (*DECISIONS, None):
        raise ValueError(f"decision must be 'keep', 'release' or None, not {decision!r}")
    with store.write() as cur:
        if decision == "keep":
            cur.execute(
                "INSERT OR REPLACE INTO decisions (user_key, decision, note, decided_at) "
                "VALUES (?, 'keep', ?, ?)",
                [key, note, datetime.now(UTC).replace(tzinfo=None)],
            )
        else:
            cur.execute("DELETE FROM decisions WHERE user_key = ?", [key])


def list_decisions(store: Store) -> list[dict[str, Any]]:
    """Return every keep decision (user_key, decision, note, decided_at), newest first."""
    with store.read() as cur:
        rows = cur.execute(
            "SELECT user_key, decision, note, decided_at FROM decisions "
            "ORDER BY decided_at DESC, user_key"
        ).fetchall()
    return [
        {"user_key": k, "decision": d, "note": n, "decided_at": t.isoformat()}
        for k, d, n, t in rows
    ]
