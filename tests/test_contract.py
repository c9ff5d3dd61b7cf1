"""Contract settings and saved review defaults in the settings table."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dashboard.contract import (
    DEFAULT_TIERS,
    Contract,
    load_contract,
    load_review_defaults,
    save_contract,
    save_review_defaults,
)
from dashboard.errors import InputRefused
from dashboard.rules import ReviewRules, Tier
from dashboard.store import Store


def test_defaults_when_nothing_was_saved(store: Store) -> None:
    contract = load_contract(store)
    assert contract == Contract()
    assert contract.seat_limit is None
    assert contract.buffer == 0.10
    assert contract.tiers == DEFAULT_TIERS
    assert Tier("Essential", 150) in contract.tiers
    assert load_review_defaults(store) == ReviewRules()


def test_contract_round_trips_through_the_settings_table(store: Store) -> None:
    contract = Contract(
        seat_limit=400,
        tiers=(Tier("Essential", 150), Tier("Growth", 500), Tier("Enterprise", None)),
        price_per_seat_month=6.5,
        currency="eur",
        renewal_date=date(2026, 9, 1),
        notice_days=60,
        buffer=0.15,
        count_disabled=True,
    )
    saved = save_contract(store, contract)
    assert saved.currency == "EUR"
    assert load_contract(store) == saved
    assert store.get_setting("contract")["renewal_date"] == "2026-09-01"
    assert saved.notice_deadline() == date(2026, 7, 3)


def test_contract_accepts_a_form_dict_with_text_values(store: Store) -> None:
    saved = save_contract(
        store,
        {
            "seat_limit": "250",
            "tiers": [{"name": "Essential", "seats": "150"}, {"name": "Custom", "seats": ""}],
            "price_per_seat_month": "7",
            "renewal_date": "2026-12-31",
            "notice_days": 30,
        },
    )
    assert saved.seat_limit == 250
    assert saved.tiers == (Tier("Essential", 150), Tier("Custom", None))
    assert saved.price_per_seat_month == 7.0
    assert saved.notice_deadline() == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("data", "column", "message"),
    [
        ({"seat_limit": -5}, "seat_limit", "whole number of 1 or more"),
        ({"seat_limit": 2.5}, "seat_limit", "whole number"),
        ({"seat_limit": "many"}, "seat_limit", "not a whole number"),
        ({"price_per_seat_month": -1}, "price_per_seat_month", "0 or more"),
        ({"price_per_seat_month": "cheap"}, "price_per_seat_month", "not a number"),
        ({"currency": "US Dollars"}, "currency", "not a currency code"),
        ({"renewal_date": "31/12/2026"}, "renewal_date", "not a date"),
        ({"notice_days": -1}, "notice_days", "0 or more"),
        ({"buffer": 10}, "buffer", "more than 100%"),
        ({"count_disabled": "yes"}, "count_disabled", "not true/false"),
        ({"tiers": [{"name": "", "seats": 10}]}, "tiers", "no name"),
        ({"tiers": [{"name": "A", "seats": 0}]}, "tiers", "1 or more"),
        ({"tiers": [{"name": "A", "seats": 5}, {"name": "a", "seats": 9}]}, "tiers", "twice"),
        ({"tiers": "Essential"}, "tiers", "must be a list"),
    ],
)
def test_bad_contract_values_are_refused_and_nothing_is_saved(
    store: Store, data: dict[str, Any], column: str, message: str
) -> None:
    with pytest.raises(InputRefused, match=message) as err:
        save_contract(store, data)
    assert err.value.column == column
    assert err.value.file == "Contract settings"
    assert store.get_setting("contract") is None


def test_review_defaults_are_saved_without_the_keep_list(store: Store) -> None:
    rules = ReviewRules(
        cutoff=date(2026, 1, 1),
        protect_types=("admin", "instructor"),
        protect_domains=("partner.org",),
        protect_groups=("Board",),
        keep=("someone@example.com",),
        grace_days=14,
    )
    saved = save_review_defaults(store, rules)
    assert saved.keep == ()
    loaded = load_review_defaults(store)
    assert loaded == saved
    assert loaded.protect_groups == ("board",)
    assert loaded.grace_days == 14


def test_broken_saved_defaults_are_reported(store: Store) -> None:
    store.set_setting("review_defaults", {"inactive_days": -4})
    with pytest.raises(InputRefused, match="review_defaults"):
        load_review_defaults(store)
