"""Contract terms and saved review defaults, kept as JSON in the settings table.

Precedence for review rules: command-line (or page) options, then the saved defaults here, then
the built-in defaults (90 inactive days, protect admins, no grace period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dashboard.errors import InputRefused
from dashboard.rules import DEFAULT_BUFFER, ReviewRules, Tier
from dashboard.store import Store

CONTRACT_KEY = "contract"
REVIEW_DEFAULTS_KEY = "review_defaults"
DEFAULT_TIERS = (Tier("Essential", 150), Tier("Custom", None))
WHERE = "Contract settings"


def _refuse(field: str, message: str, hint: str) -> InputRefused:
    return InputRefused(WHERE, message, column=field, hint=hint)


def _whole(data: dict[str, Any], field: str, *, minimum: int, hint: str) -> int | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _refuse(field, f"{value!r} is not a whole number", hint)
    try:
        number = float(value)
    except ValueError:
        raise _refuse(field, f"{value!r} is not a whole number", hint) from None
    if not number.is_integer() or number < minimum:
        raise _refuse(field, f"{value!r} is not a whole number of {minimum} or more", hint)
    return int(number)


def _number(data: dict[str, Any], field: str, hint: str) -> float | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _refuse(field, f"{value!r} is not a number", hint)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _refuse(field, f"{value!r} is not a number", hint) from None
    if number != number or number < 0 or number == float("inf"):
        raise _refuse(field, f"{value!r} must be 0 or more", hint)
    return number


def _day(data: dict[str, Any], field: str) -> date | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _refuse(field, f"{value!r} is not a date", "Write it as YYYY-MM-DD") from None


def _tiers(value: Any) -> tuple[Tier, ...]:
    if value is None:
        return DEFAULT_TIERS
    hint = "Give each tier a name and a seat cap (leave the cap empty for an uncapped plan)"
    if not isinstance(value, (list, tuple)):
        raise _refuse("tiers", "tiers must be a list", hint)
    tiers: list[Tier] = []
    for item in value:
        if isinstance(item, Tier):
            item = item.to_json()
        if not isinstance(item, dict):
            raise _refuse("tiers", f"{item!r} is not a tier", hint)
        name = str(item.get("name") or "").strip()
        if not name:
            raise _refuse("tiers", "a tier has no name", hint)
        try:
            seats = _whole(item, "seats", minimum=1, hint=hint)
        except InputRefused as exc:
            raise _refuse("tiers", f"tier {name!r}: seats {exc.message}", hint) from None
        if any(t.name.lower() == name.lower() for t in tiers):
            raise _refuse("tiers", f"tier {name!r} appears twice", "Give each tier its own name")
        tiers.append(Tier(name, seats))
    return tuple(tiers)


@dataclass(frozen=True)
class Contract:
    """The customer's LearnUpon contract as entered on the settings page."""

    seat_limit: int | None = None
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    price_per_seat_month: float | None = None
    currency: str = "USD"
    renewal_date: date | None = None
    notice_days: int | None = None
    buffer: float = DEFAULT_BUFFER
    count_disabled: bool = False

    def notice_deadline(self) -> date | None:
        """Return the last day to give notice (renewal date minus notice days), when both known."""
        if self.renewal_date is None or self.notice_days is None:
            return None
        return self.renewal_date - timedelta(days=self.notice_days)

    def to_json(self) -> dict[str, Any]:
        """Return the contract as a JSON-able dict (the form stored in settings)."""
        return {
            "seat_limit": self.seat_limit,
            "tiers": [t.to_json() for t in self.tiers],
            "price_per_seat_month": self.price_per_seat_month,
            "currency": self.currency,
            "renewal_date": self.renewal_date.isoformat() if self.renewal_date else None,
            "notice_days": self.notice_days,
            "buffer": self.buffer,
            "count_disabled": self.count_disabled,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Contract:
        """Return a validated contract from a dict; raise InputRefused naming the bad field."""
        if not isinstance(data, dict):
            raise _refuse("contract", "the stored contract is not an object", "Save it again")
        currency = str(data.get("currency") or "USD").strip().upper()
        if not currency.isalpha() or len(currency) > 8:
            raise _refuse("currency", f"{currency!r} is not a currency code", "Write e.g. USD")
        buffer = _number(data, "buffer", "Write 0.10 for a 10% buffer")
        if buffer is not None and buffer > 1:
            raise _refuse(
                "buffer", f"{buffer!r} is more than 100%", "Write the buffer as a fraction: 0.10"
            )
        count_disabled = data.get("count_disabled", False)
        if not isinstance(count_disabled, bool):
            raise _refuse("count_disabled", f"{count_disabled!r} is not true/false", "Tick it")
        return cls(
            seat_limit=_whole(data, "seat_limit", minimum=1, hint="Enter the seats you bought"),
            tiers=_tiers(data.get("tiers")),
            price_per_seat_month=_number(
                data, "price_per_seat_month", "Enter the price of one seat per month"
            ),
            currency=currency,
            renewal_date=_day(data, "renewal_date"),
            notice_days=_whole(data, "notice_days", minimum=0, hint="Enter days, e.g. 60"),
            buffer=DEFAULT_BUFFER if buffer is None else buffer,
            count_disabled=count_disabled,
        )


def load_contract(store: Store) -> Contract:
    """Return the saved contract, or the defaults when none has been saved."""
    data = store.get_setting(CONTRACT_KEY)
    return Contract() if data is None else Contract.from_json(data)


def save_contract(store: Store, contract: Contract | dict[str, Any]) -> Contract:
    """Validate and save the contract; return it as stored."""
    data = contract.to_json() if isinstance(contract, Contract) else contract
    checked = Contract.from_json(data)
    store.set_setting(CONTRACT_KEY, checked.to_json())
    return checked


def load_review_defaults(store: Store) -> ReviewRules:
    """Return the saved review defaults (no keep list), or the built-in ones."""
    data = store.get_setting(REVIEW_DEFAULTS_KEY)
    if data is None:
        return ReviewRules()
    if not isinstance(data, dict):
        raise _refuse("review_defaults", "the saved defaults are not an object", "Save again")
    try:
        return ReviewRules.from_json({**data, "keep": ()})
    except (TypeError, ValueError) as exc:
        raise _refuse("review_defaults", str(exc), "Save the review defaults again") from None


def save_review_defaults(store: Store, rules: ReviewRules) -> ReviewRules:
    """Save `rules` (without its keep list) as the review defaults; return what was saved."""
    saved = ReviewRules.from_json({**rules.to_json(), "keep": ()})
    store.set_setting(REVIEW_DEFAULTS_KEY, saved.to_json())
    return saved
