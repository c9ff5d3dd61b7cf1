"""The review rules of SPEC section 3 as pure values: rules, cutoff resolution, seat math, tiers.

Nothing here touches the database. The per-account categorisation itself runs inside DuckDB
(dashboard/sql/review_accounts.sql) because it has to stay fast at a million accounts; this module
supplies its parameters and turns its counts into seat figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

DEFAULT_INACTIVE_DAYS = 90
DEFAULT_PROTECT_TYPES = ("admin",)
DEFAULT_BUFFER = 0.10

CATEGORIES = ("active", "inactive", "never_signed_in", "protected", "disabled")
FLAGGED = ("inactive", "never_signed_in")
PROTECTIONS = ("decision", "keep_list", "user_type", "domain", "group", "grace")


def identity_key(text: str) -> str:
    """Return `text` as an account key: trimmed and lower-cased, like the loader's user_key."""
    return text.strip().lower()


def _domain(text: str) -> str:
    return identity_key(text).lstrip("@")


def _names(values: Any, normalise: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    cleaned = {normalise(v) for v in values or () if v is not None and str(v).strip()}
    return tuple(sorted(cleaned))


def day_start(day: date) -> datetime:
    """Return 00:00:00 UTC (naive) of `day`: every date a user gives means the start of that day."""
    return datetime.combine(day, time.min)


@dataclass(frozen=True)
class ReviewRules:
    """Which accounts a review flags and which it protects (SPEC section 3).

    `cutoff` is a fixed date; when it is None the cutoff is `inactive_days` before as_of. Lists
    are normalised on creation (trimmed, lower-cased, de-duplicated, sorted), so two rules that
    mean the same compare equal and serialise to the same JSON.
    """

    cutoff: date | None = None
    inactive_days: int = DEFAULT_INACTIVE_DAYS
    protect_types: tuple[str, ...] = DEFAULT_PROTECT_TYPES
    protect_domains: tuple[str, ...] = ()
    protect_groups: tuple[str, ...] = ()
    keep: tuple[str, ...] = field(default=(), repr=False)
    grace_days: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.cutoff, datetime):
            object.__setattr__(self, "cutoff", self.cutoff.date())
        if int(self.inactive_days) < 0:
            raise ValueError("inactive_days must be 0 or more")
        if int(self.grace_days) < 0:
            raise ValueError("grace_days must be 0 or more")
        object.__setattr__(self, "inactive_days", int(self.inactive_days))
        object.__setattr__(self, "grace_days", int(self.grace_days))
        object.__setattr__(self, "protect_types", _names(self.protect_types, identity_key))
        object.__setattr__(self, "protect_domains", _names(self.protect_domains, _domain))
        object.__setattr__(self, "protect_groups", _names(self.protect_groups, identity_key))
        object.__setattr__(self, "keep", _names(self.keep, identity_key))

    def cutoff_for(self, as_of: date) -> date:
        """Return the cutoff date: the fixed one, or `inactive_days` before `as_of`."""
        if self.cutoff is not None:
            return self.cutoff
        return as_of - timedelta(days=self.inactive_days)

    def grace_start(self, as_of: date) -> datetime | None:
        """Return the creation time from which accounts are protected, or None (no grace period)."""
        if self.grace_days <= 0:
            return None
        return day_start(as_of - timedelta(days=self.grace_days))

    def parameters(self, snapshot_id: int, as_of: date) -> dict[str, Any]:
        """Return the named parameters of the `review_accounts` table macro."""
        return {
            "snap": snapshot_id,
            "cutoff_ts": day_start(self.cutoff_for(as_of)),
            "grace_ts": self.grace_start(as_of),
            "protect_types": list(self.protect_types),
            "protect_domains": list(self.protect_domains),
            "protect_groups": list(self.protect_groups),
            "keep_keys": list(self.keep),
            # whether a keep list names accounts; open_review also sets it when decisions exist
            "any_kept": bool(self.keep),
        }

    def to_json(self) -> dict[str, Any]:
        """Return the rules as a JSON-able dict (recorded with every export)."""
        return {
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "inactive_days": None if self.cutoff else self.inactive_days,
            "protect_types": list(self.protect_types),
            "protect_domains": list(self.protect_domains),
            "protect_groups": list(self.protect_groups),
            "keep": list(self.keep),
            "grace_days": self.grace_days,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewRules:
        """Return the rules that `to_json` described."""
        cutoff = data.get("cutoff")
        days = data.get("inactive_days")
        return cls(
            cutoff=date.fromisoformat(cutoff) if cutoff else None,
            inactive_days=DEFAULT_INACTIVE_DAYS if days is None else days,
            protect_types=tuple(data.get("protect_types", DEFAULT_PROTECT_TYPES)),
            protect_domains=tuple(data.get("protect_domains", ())),
            protect_groups=tuple(data.get("protect_groups", ())),
            keep=tuple(data.get("keep", ())),
            grace_days=data.get("grace_days") or 0,
        )


# -- seat math --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """A plan tier: a name and the seats it covers (None: no cap, a custom plan)."""

    name: str
    seats: int | None

    def to_json(self) -> dict[str, Any]:
        """Return the tier as a JSON-able dict."""
        return {"name": self.name, "seats": self.seats}


def smallest_tier(tiers: tuple[Tier, ...] | list[Tier], seats: int) -> Tier | None:
    """Return the smallest tier that holds `seats` (an uncapped tier last), or None if none does."""
    capped = sorted((t for t in tiers if t.seats is not None), key=lambda t: (t.seats, t.name))
    for tier in capped:
        if seats <= tier.seats:  # type: ignore[operator]
            return tier
    return next((t for t in tiers if t.seats is None), None)


def utilization(used: int, limit: int | None) -> float | None:
    """Return used / limit as a fraction rounded to 4 places, or None when no limit is known."""
    if not limit:
        return None
    return round(used / limit, 4)


def recommended_renewal(after: int, buffer: float) -> int:
    """Return ceil(after x (1 + buffer)) computed exactly (100 x 1.1 must give 110, not 111)."""
    return math.ceil(Fraction(after) * (1 + Fraction(str(buffer))))


def annual_savings(flagged: int, price_per_seat_month: float | None) -> float | None:
    """Return the savings estimate flagged x price x 12, or None when no price is known."""
    if price_per_seat_month is None:
        return None
    return float(round(Decimal(flagged) * Decimal(str(price_per_seat_month)) * 12, 2))


@dataclass(frozen=True)
class SeatFigures:
    """Seat use now and after disabling the flagged accounts (SPEC section 3, 'Seat math')."""

    used: int
    disabled: int
    limit: int | None
    flagged: int
    buffer: float
    recommended_renewal: int
    tier: Tier | None
    tier_now: Tier | None
    annual_savings_estimate: float | None
    currency: str | None

    @property
    def utilization(self) -> float | None:
        """Return used / limit as a fraction, or None without a limit."""
        return utilization(self.used, self.limit)

    @property
    def after_used(self) -> int:
        """Return the seats used once the flagged accounts are disabled."""
        return self.used - self.flagged

    @property
    def after_utilization(self) -> float | None:
        """Return after_used / limit as a fraction, or None without a limit."""
        return utilization(self.after_used, self.limit)


def seat_figures(
    *,
    enabled: int,
    disabled: int,
    flagged: int,
    limit: int | None,
    buffer: float = DEFAULT_BUFFER,
    tiers: tuple[Tier, ...] | list[Tier] = (),
    price_per_seat_month: float | None = None,
    currency: str | None = None,
    count_disabled: bool = False,
) -> SeatFigures:
    """Return the seat figures for these counts and contract terms."""
    used = enabled + disabled if count_disabled else enabled
    renewal = recommended_renewal(used - flagged, buffer)
    return SeatFigures(
        used=used,
        disabled=disabled,
        limit=limit or None,
        flagged=flagged,
        buffer=buffer,
        recommended_renewal=renewal,
        tier=smallest_tier(tiers, renewal),
        tier_now=smallest_tier(tiers, used),
        annual_savings_estimate=annual_savings(flagged, price_per_seat_month),
        currency=currency,
    )
