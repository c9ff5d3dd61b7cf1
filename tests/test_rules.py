"""The review rules of SPEC section 3: one account per case, categorised in a fresh store.

as_of is 2026-03-31 throughout; most cases use the fixed cutoff 2026-03-01 (00:00:00 UTC).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from dashboard.review import flagged_page, review, set_decision
from dashboard.rules import (
    CATEGORIES,
    ReviewRules,
    Tier,
    annual_savings,
    recommended_renewal,
    seat_figures,
    smallest_tier,
    utilization,
)
from dashboard.store import Store
from tests.review_fixtures import account, add_snapshot

AS_OF = date(2026, 3, 31)
CUTOFF = date(2026, 3, 1)

# (case id, account fields, rule fields, category, protected_by, reason)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str | None, str | None]] = [
    (
        "sign_in_exactly_at_cutoff_is_active",
        {"last_sign_in_at": "2026-03-01 00:00:00"},
        {},
        "active",
        None,
        None,
    ),
    (
        "sign_in_one_second_before_cutoff_is_inactive",
        {"last_sign_in_at": "2026-02-28 23:59:59"},
        {},
        "inactive",
        None,
        "last sign-in 2026-02-28, before cutoff 2026-03-01",
    ),
    (
        "never_signed_in_created_before_cutoff",
        {"created_at": "2025-09-01 08:30"},
        {},
        "never_signed_in",
        None,
        "never signed in, created 2025-09-01",
    ),
    (
        "never_signed_in_creation_date_unknown",
        {"created_at": None},
        {},
        "never_signed_in",
        None,
        "never signed in, creation date unknown",
    ),
    (
        "created_exactly_at_cutoff_is_never_flagged",
        {"created_at": "2026-03-01 00:00:00"},
        {},
        "active",
        None,
        None,
    ),
    (
        "created_after_cutoff_is_never_flagged",
        {"created_at": "2026-03-20"},
        {},
        "active",
        None,
        None,
    ),
    (
        "created_after_cutoff_with_older_sign_in_is_never_flagged",
        {"created_at": "2026-03-20", "last_sign_in_at": "2025-06-01"},
        {},
        "active",
        None,
        None,
    ),
    (
        "admin_is_protected_by_default",
        {"user_type": "admin", "last_sign_in_at": "2025-11-02 10:00"},
        {},
        "protected",
        "user_type",
        "protected (user type admin): last sign-in 2025-11-02, before cutoff 2026-03-01",
    ),
    (
        "protect_type_none_flags_admins",
        {"user_type": "admin", "last_sign_in_at": "2025-11-02"},
        {"protect_types": ()},
        "inactive",
        None,
        "last sign-in 2025-11-02, before cutoff 2026-03-01",
    ),
    (
        "protected_types_replace_the_default",
        {"user_type": "manager"},
        {"protect_types": ("Manager",)},
        "protected",
        "user_type",
        "protected (user type manager): never signed in, created 2024-01-01",
    ),
    (
        "disabled_account_with_old_sign_in_is_disabled",
        {"enabled": False, "last_sign_in_at": "2024-01-01"},
        {},
        "disabled",
        None,
        None,
    ),
    (
        "disabled_account_never_signed_in_is_disabled",
        {"enabled": False},
        {},
        "disabled",
        None,
        None,
    ),
    (
        "activity_newer_than_sign_in_keeps_account_active",
        {"last_sign_in_at": "2025-01-01", "last_activity_at": "2026-03-10 12:00"},
        {},
        "active",
        None,
        None,
    ),
    (
        "activity_newer_than_sign_in_names_last_activity",
        {"last_sign_in_at": "2025-01-01", "last_activity_at": "2025-12-01 12:00"},
        {},
        "inactive",
        None,
        "last activity 2025-12-01, before cutoff 2026-03-01",
    ),
    (
        "activity_without_sign_in_counts_as_activity",
        {"last_activity_at": "2026-01-15"},
        {},
        "inactive",
        None,
        "last activity 2026-01-15, before cutoff 2026-03-01",
    ),
    (
        "sign_in_newer_than_activity_names_last_sign_in",
        {"last_sign_in_at": "2026-01-20", "last_activity_at": "2025-12-01"},
        {},
        "inactive",
        None,
        "last sign-in 2026-01-20, before cutoff 2026-03-01",
    ),
    (
        "activity_at_cutoff_keeps_never_signed_in_account_active",
        {"last_activity_at": "2026-03-01 00:00:00"},
        {},
        "active",
        None,
        None,
    ),
    (
        "keep_list_matches_trimmed_and_case_insensitively",
        {"email": "Keep.Me@Example.com", "last_sign_in_at": "2025-05-05"},
        {"keep": ("  KEEP.me@example.COM ",)},
        "protected",
        "keep_list",
        "protected (on the keep list): last sign-in 2025-05-05, before cutoff 2026-03-01",
    ),
    (
        "keep_list_of_someone_else_does_not_protect",
        {"email": "leaver@example.com"},
        {"keep": ("leaver@example.org",)},
        "never_signed_in",
        None,
        "never signed in, created 2024-01-01",
    ),
    (
        "protected_domain_matches_case_insensitively_with_or_without_at",
        {"email": "pat@Partner.ORG"},
        {"protect_domains": ("@partner.org",)},
        "protected",
        "domain",
        "protected (domain partner.org): never signed in, created 2024-01-01",
    ),
    (
        "protected_domain_does_not_match_a_subdomain",
        {"email": "pat@eu.partner.org"},
        {"protect_domains": ("partner.org",)},
        "never_signed_in",
        None,
        "never signed in, created 2024-01-01",
    ),
    (
        "protected_group_matches_case_insensitively",
        {"groups": ["Finance", " Sales Team "]},
        {"protect_groups": ("sales team",)},
        "protected",
        "group",
        "protected (group Sales Team): never signed in, created 2024-01-01",
    ),
    (
        "other_groups_do_not_protect",
        {"groups": ["Finance"]},
        {"protect_groups": ("Sales",)},
        "never_signed_in",
        None,
        "never signed in, created 2024-01-01",
    ),
    (
        "grace_period_protects_from_its_first_moment",
        {"created_at": "2026-03-01 00:00:00"},
        {"cutoff": date(2026, 3, 20), "grace_days": 30},
        "protected",
        "grace",
        "protected (created 2026-03-01, within the grace period): never signed in, "
        "created 2026-03-01",
    ),
    (
        "grace_period_does_not_reach_before_its_start",
        {"created_at": "2026-02-28 23:59:59"},
        {"cutoff": date(2026, 3, 20), "grace_days": 30},
        "never_signed_in",
        None,
        "never signed in, created 2026-02-28",
    ),
    (
        "grace_period_of_zero_days_protects_nobody",
        {"created_at": "2026-03-31 09:00"},
        {"cutoff": date(2026, 4, 10)},
        "never_signed_in",
        None,
        "never signed in, created 2026-03-31",
    ),
    (
        "relative_cutoff_is_n_days_before_as_of",
        {"last_sign_in_at": "2026-02-28 23:59:59"},
        {"cutoff": None, "inactive_days": 30},
        "inactive",
        None,
        "last sign-in 2026-02-28, before cutoff 2026-03-01",
    ),
    (
        "relative_cutoff_boundary_is_active",
        {"last_sign_in_at": "2026-03-01 00:00:00"},
        {"cutoff": None, "inactive_days": 30},
        "active",
        None,
        None,
    ),
    (
        "keep_list_outranks_user_type",
        {"user_type": "admin", "email": "boss@example.com"},
        {"keep": ("boss@example.com",)},
        "protected",
        "keep_list",
        "protected (on the keep list): never signed in, created 2024-01-01",
    ),
]


def _text(value: Any) -> str | None:
    """Return a frame cell as text, or None for a missing value (None or NaN)."""
    return value if isinstance(value, str) else None


def _rules(fields: dict[str, Any]) -> ReviewRules:
    return ReviewRules(**{"cutoff": CUTOFF, **fields})


@pytest.mark.parametrize(
    ("fields", "rule_fields", "category", "protected_by", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule(
    store: Store,
    fields: dict[str, Any],
    rule_fields: dict[str, Any],
    category: str,
    protected_by: str | None,
    reason: str | None,
) -> None:
    add_snapshot(
        store, [account(fields.pop("email", "someone@example.com"), **fields)], as_of=AS_OF
    )
    rules = _rules(rule_fields)
    result = review(store, rules)
    assert result.counts == {c: int(c == category) for c in CATEGORIES}
    frame, total = flagged_page(store, rules, categories=CATEGORIES)
    assert total == 1
    row = frame.iloc[0]
    assert row["category"] == category
    assert _text(row["protected_by"]) == protected_by
    assert _text(row["reason"]) == reason


def test_keep_decision_protects_and_release_deletes_it(store: Store) -> None:
    add_snapshot(store, [account("Dormant@Example.com", last_sign_in_at="2025-01-01")])
    rules = _rules({})
    set_decision(store, " dormant@example.com ", "keep", note="on leave")
    frame, _ = flagged_page(store, rules, categories=("protected",))
    assert list(frame["protected_by"]) == ["decision"]
    assert frame["reason"][0].startswith("protected (kept by decision): last sign-in 2025-01-01")
    set_decision(store, "dormant@example.com", "release")
    assert review(store, rules).counts["inactive"] == 1
    with store.read() as cur:
        assert cur.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_keep_list_matches_e_mail_on_username_portals(store: Store) -> None:
    add_snapshot(
        store,
        [
            account(username="jdoe", email="J.Doe@Example.com", user_key="jdoe"),
            account(username="asmith", email="a.smith@example.com", user_key="asmith"),
        ],
        identity="username",
    )
    result = review(store, _rules({"keep": ("j.doe@example.com", "nobody@example.com")}))
    assert result.counts["protected"] == 1
    assert result.counts["never_signed_in"] == 1
    assert result.keep_unmatched == ("nobody@example.com",)


def test_every_account_falls_in_exactly_one_category(store: Store) -> None:
    rows = [account(f"user{i}@example.com", **fields) for i, (_, fields, *_) in enumerate(CASES)]
    add_snapshot(store, rows)
    result = review(store, _rules({"protect_groups": ("sales team",), "grace_days": 5}))
    assert sum(result.counts.values()) == len(CASES)


# -- pure parts -------------------------------------------------------------------------------


def test_cutoff_is_a_fixed_date_or_n_days_before_as_of() -> None:
    assert ReviewRules(cutoff=date(2026, 1, 1)).cutoff_for(AS_OF) == date(2026, 1, 1)
    assert ReviewRules(inactive_days=90).cutoff_for(date(2026, 3, 31)) == date(2025, 12, 31)
    assert ReviewRules(inactive_days=0).cutoff_for(AS_OF) == AS_OF


def test_cutoff_given_as_datetime_means_its_day() -> None:
    assert ReviewRules(cutoff=datetime(2026, 1, 1, 15, 30)).cutoff == date(2026, 1, 1)


def test_grace_start_is_none_for_zero_days() -> None:
    assert ReviewRules().grace_start(AS_OF) is None
    assert ReviewRules(grace_days=14).grace_start(AS_OF) == datetime(2026, 3, 17)


def test_rule_lists_are_normalised_so_equal_rules_compare_equal() -> None:
    a = ReviewRules(protect_types=(" Admin", "manager"), keep=("B@x.com ", "a@x.com", "b@x.com"))
    b = ReviewRules(protect_types=("MANAGER", "admin"), keep=("A@X.com", "b@x.com"))
    assert a == b
    assert a.keep == ("a@x.com", "b@x.com")
    assert ReviewRules(protect_domains=("@Example.COM",)).protect_domains == ("example.com",)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        ReviewRules(inactive_days=-1)
    with pytest.raises(ValueError):
        ReviewRules(grace_days=-3)


def test_rules_survive_a_json_round_trip() -> None:
    rules = ReviewRules(
        cutoff=date(2026, 2, 1),
        protect_types=("admin", "instructor"),
        protect_domains=("partner.org",),
        protect_groups=("board",),
        keep=("ceo@example.com",),
        grace_days=7,
    )
    assert ReviewRules.from_json(rules.to_json()) == rules
    relative = ReviewRules(inactive_days=0)
    assert ReviewRules.from_json(relative.to_json()) == relative


@pytest.mark.parametrize(
    ("after", "buffer", "expected"),
    [(100, 0.10, 110), (0, 0.10, 0), (101, 0.10, 112), (7, 0.0, 7), (150, 0.2, 180), (1, 0.01, 2)],
)
def test_recommended_renewal_is_exact_ceiling(after: int, buffer: float, expected: int) -> None:
    assert recommended_renewal(after, buffer) == expected


def test_smallest_tier_that_holds_the_seats() -> None:
    tiers = [Tier("Custom", None), Tier("Plus", 500), Tier("Essential", 150)]
    assert smallest_tier(tiers, 150) == Tier("Essential", 150)
    assert smallest_tier(tiers, 151) == Tier("Plus", 500)
    assert smallest_tier(tiers, 501) == Tier("Custom", None)
    assert smallest_tier([Tier("Essential", 150)], 151) is None


def test_utilization_is_a_fraction_or_none_without_limit() -> None:
    assert utilization(82, 100) == 0.82
    assert utilization(1, 3) == 0.3333
    assert utilization(5, None) is None
    assert utilization(5, 0) is None


def test_savings_estimate_is_flagged_times_price_times_twelve() -> None:
    assert annual_savings(10, 7.5) == 900.0
    assert annual_savings(3, 0.1) == 3.6
    assert annual_savings(10, None) is None


def test_seat_figures_after_disabling_the_flagged() -> None:
    fig = seat_figures(
        enabled=120,
        disabled=30,
        flagged=20,
        limit=150,
        buffer=0.1,
        tiers=[Tier("Essential", 150), Tier("Custom", None)],
        price_per_seat_month=8,
        currency="EUR",
    )
    assert (fig.used, fig.disabled, fig.limit, fig.utilization) == (120, 30, 150, 0.8)
    assert (fig.after_used, fig.after_utilization) == (100, 0.6667)
    assert fig.recommended_renewal == 110
    assert fig.tier == Tier("Essential", 150)
    assert fig.annual_savings_estimate == 1920.0


def test_counting_disabled_accounts_adds_them_to_used() -> None:
    fig = seat_figures(enabled=120, disabled=30, flagged=20, limit=200, count_disabled=True)
    assert fig.used == 150
    assert fig.after_used == 130


def test_parameters_say_whether_a_keep_list_names_accounts() -> None:
    assert ReviewRules().parameters(1, AS_OF)["any_kept"] is False
    assert ReviewRules(keep=("a@example.com",)).parameters(1, AS_OF)["any_kept"] is True
    rules = ReviewRules(protect_domains=("example.com",), protect_groups=("Board",))
    assert rules.parameters(1, AS_OF)["any_kept"] is False
