"""The review use cases: the JSON contract, app pages, breakdowns, options and keep files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dashboard.contract import Contract, save_contract, save_review_defaults
from dashboard.errors import InputRefused, NoData
from dashboard.review import (
    MAX_PAGE_ROWS,
    breakdown_by_group,
    breakdown_by_type,
    flagged_page,
    list_decisions,
    read_keep_file,
    recency_buckets,
    review,
    rules_from_options,
    seat_trend,
    set_decision,
)
from dashboard.rules import CATEGORIES, ReviewRules, Tier
from dashboard.store import Store, sql
from tests.review_fixtures import account, add_snapshot

AS_OF = date(2026, 3, 31)
RULES = ReviewRules(cutoff=date(2026, 3, 1))


def _portal() -> list[dict]:
    """Ten accounts: 3 active, 2 inactive, 2 never signed in, 1 protected admin, 2 disabled."""
    return [
        account("ann@example.com", last_sign_in_at="2026-03-30", user_type="manager"),
        account("bob@example.com", last_activity_at="2026-03-05", groups=["Sales"]),
        account("cat@example.com", created_at="2026-03-10"),
        account("Dan@Example.com", last_sign_in_at="2025-10-01", groups=["Sales", "HR"]),
        account("eve@example.com", last_sign_in_at="2026-02-01", first_name="Eve", last_name="Ng"),
        account("fay@example.com", created_at="2025-06-01", groups=["HR"]),
        account("gus@example.com", created_at=None),
        account("hal@example.com", user_type="admin", last_sign_in_at="2024-01-01"),
        account("ivy@example.com", enabled=False, last_sign_in_at="2024-01-01"),
        account("jon@example.com", enabled=False),
    ]


def test_review_json_has_the_spec_keys_with_integer_counts(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    data = review(store, RULES).to_json()
    assert {"as_of", "cutoff", "seats", "categories", "flagged", "after"} <= set(data)
    assert set(data["seats"]) == {"used", "disabled", "limit", "utilization"}
    assert set(data["categories"]) == set(CATEGORIES)
    assert set(data["after"]) == {"used", "utilization"}
    assert data["as_of"] == "2026-03-31"
    assert data["cutoff"] == "2026-03-01"
    assert data["categories"] == {
        "active": 3,
        "inactive": 2,
        "never_signed_in": 2,
        "protected": 1,
        "disabled": 2,
    }
    assert data["flagged"] == 4
    assert data["seats"] == {"used": 8, "disabled": 2, "limit": None, "utilization": None}
    assert data["after"] == {"used": 4, "utilization": None}
    counts = [*data["categories"].values(), data["flagged"], *data["after"].values()]
    assert all(type(v) is int for v in counts if v is not None)
    assert data["recommended_renewal"] == 5
    assert data["rules"] == RULES.to_json()
    assert data["snapshot_id"] == 1


def test_seat_limit_gives_fractions_and_savings_use_the_contract(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    save_contract(
        store,
        Contract(seat_limit=10, price_per_seat_month=7.5, currency="EUR", tiers=(Tier("S", 5),)),
    )
    data = review(store, RULES).to_json()
    assert data["seats"]["limit"] == 10
    assert data["seats"]["utilization"] == 0.8
    assert data["after"]["utilization"] == 0.4
    assert data["tier"] == {"name": "S", "seats": 5}
    assert data["annual_savings_estimate"]["amount"] == 4 * 7.5 * 12
    assert data["annual_savings_estimate"]["currency"] == "EUR"
    assert "estimate" in data["annual_savings_estimate"]["label"]
    overridden = review(store, RULES, seat_limit=16).to_json()
    assert overridden["seats"]["utilization"] == 0.5
    assert review(store, RULES, seat_limit=0).to_json()["seats"]["limit"] is None


def test_review_works_on_a_named_snapshot_and_as_of(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    add_snapshot(store, [account("new@example.com")], as_of=date(2026, 4, 30))
    assert review(store, RULES).counts["never_signed_in"] == 1
    older = review(store, ReviewRules(inactive_days=30), snapshot_id=1, as_of=date(2026, 4, 10))
    assert older.snapshot.snapshot_id == 1
    assert older.cutoff == date(2026, 3, 11)
    assert older.counts["active"] == 1  # only ann signed in after 2026-03-11


def test_review_without_data_says_what_to_do(store: Store) -> None:
    with pytest.raises(NoData, match="load a users report"):
        review(store, RULES)
    add_snapshot(store, _portal())
    with pytest.raises(NoData, match="no snapshot #9"):
        review(store, RULES, snapshot_id=9)


def test_flagged_page_lists_flagged_accounts_sorted_with_reasons(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    frame, total = flagged_page(store, RULES)
    assert total == 4
    assert list(frame["email"]) == [
        "Dan@Example.com",
        "eve@example.com",
        "fay@example.com",
        "gus@example.com",
    ]
    assert list(frame["reason"]) == [
        "last sign-in 2025-10-01, before cutoff 2026-03-01",
        "last sign-in 2026-02-01, before cutoff 2026-03-01",
        "never signed in, created 2025-06-01",
        "never signed in, creation date unknown",
    ]
    assert frame["name"][1] == "Eve Ng"


def test_flagged_page_searches_filters_and_pages(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    frame, total = flagged_page(store, RULES, search="  HR ")
    assert (list(frame["email"]), total) == (["Dan@Example.com", "fay@example.com"], 2)
    frame, total = flagged_page(store, RULES, search="ng")
    assert list(frame["email"]) == ["eve@example.com"]
    frame, total = flagged_page(store, RULES, categories=("protected", "disabled"))
    assert (sorted(frame["category"]), total) == (["disabled", "disabled", "protected"], 3)
    frame, total = flagged_page(store, RULES, offset=1, limit=2)
    assert (list(frame["email"]), total) == (["eve@example.com", "fay@example.com"], 4)
    frame, total = flagged_page(store, RULES, offset=50)
    assert (len(frame), total) == (0, 4)
    with pytest.raises(ValueError, match="unknown categories"):
        flagged_page(store, RULES, categories=("gone",))


def test_page_rows_and_counts_agree_with_the_rules_macro_for_every_protection(
    store: Store,
) -> None:
    # The page builds its reasons only for the rows it returns and the counts group by category
    # numbers; both must say exactly what the review_accounts macro says for every account.
    rows = [
        *_portal(),
        account("kim@partner.org", last_sign_in_at="2025-05-01"),
        account("lee@example.com", created_at="2025-01-02", groups=[" Board "]),
        account("mo@example.com", last_activity_at="2025-02-02"),
        account("ned@example.com", created_at="2026-02-20"),
        account("ola@example.com", last_sign_in_at="2025-03-03"),
    ]
    add_snapshot(store, rows, as_of=AS_OF)
    set_decision(store, "ola@example.com", "keep")
    rules = ReviewRules(
        cutoff=date(2026, 3, 1),
        protect_domains=("partner.org",),
        protect_groups=("board",),
        keep=("mo@example.com", "nobody@example.com"),
        grace_days=45,
    )
    frame, total = flagged_page(store, rules, categories=CATEGORIES, limit=100)
    with store.read() as cur:
        cur.execute(sql("review_reason"))
        cur.execute(sql("review_accounts"))
        expected = cur.execute(
            "SELECT user_key, category, protected_by, reason FROM review_accounts("
            "$snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, "
            "$keep_keys, $any_kept) ORDER BY lower(email)",
            rules.parameters(1, AS_OF),
        ).fetchall()
    got = [
        (r.user_key, r.category, _text(r.protected_by), _text(r.reason)) for r in frame.itertuples()
    ]
    assert total == len(rows)
    assert got == expected
    protections = {e[2] for e in expected} - {None}
    assert protections == {"decision", "keep_list", "user_type", "domain", "group", "grace"}
    result = review(store, rules)
    assert result.counts == {c: sum(e[1] == c for e in expected) for c in CATEGORIES}
    assert result.protected_by == {p: sum(e[2] == p for e in expected) for p in protections}
    assert result.keep_unmatched == ("nobody@example.com",)


def test_search_looks_only_at_the_chosen_categories(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    # ann (active) and ivy (disabled) match the text but are not flagged
    frame, total = flagged_page(store, RULES, search="example.com", limit=2)
    assert (list(frame["email"]), total) == (["Dan@Example.com", "eve@example.com"], 4)
    frame, total = flagged_page(store, RULES, search="ann@", offset=5)
    assert (len(frame), total) == (0, 0)
    frame, total = flagged_page(store, RULES, search="ivy", categories=("disabled",))
    assert (list(frame["email"]), total) == (["ivy@example.com"], 1)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def test_flagged_page_never_returns_more_than_ten_thousand_rows(store: Store) -> None:
    add_snapshot(store, [], as_of=AS_OF)
    with store.write() as cur:
        cur.execute(
            "INSERT INTO accounts (snapshot_id, account_no, user_key, email, enabled, "
            "created_at) SELECT 1, i + 1, 'u' || i || '@example.com', 'u' || i || '@example.com', "
            "true, TIMESTAMP '2024-01-01' FROM range(?) t(i)",
            [MAX_PAGE_ROWS + 5],
        )
    frame, total = flagged_page(store, RULES, limit=50_000)
    assert (len(frame), total) == (MAX_PAGE_ROWS, MAX_PAGE_ROWS + 5)


def test_breakdowns_count_categories_by_type_and_group(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    by_type = breakdown_by_type(store, RULES).set_index("user_type")
    assert by_type.loc["learner", "total"] == 8
    assert by_type.loc["admin", "protected"] == 1
    assert by_type.loc["manager", "active"] == 1
    by_group = breakdown_by_group(store, RULES).set_index("group")
    assert by_group.loc["Sales"].to_dict() == {
        "active": 1,
        "inactive": 1,
        "never_signed_in": 0,
        "protected": 0,
        "disabled": 0,
        "total": 2,
    }
    assert by_group.loc["HR", "total"] == 2
    assert by_group.loc["(no group)", "total"] == 7
    assert len(breakdown_by_group(store, RULES, limit=1)) == 1


def test_recency_buckets_cover_enabled_accounts_in_fixed_order(store: Store) -> None:
    add_snapshot(
        store,
        [
            account("a@x.com", last_sign_in_at="2026-03-30"),  # 1 day
            account("b@x.com", last_sign_in_at="2026-01-31"),  # 59 days
            account("c@x.com", last_activity_at="2025-12-01"),  # 120 days
            account("d@x.com", last_sign_in_at="2025-03-31"),  # 365 days
            account("e@x.com", last_sign_in_at="2025-03-30"),  # 366 days
            account("f@x.com"),
            account("g@x.com", enabled=False, last_sign_in_at="2026-03-30"),
        ],
        as_of=AS_OF,
    )
    frame = recency_buckets(store)
    assert list(frame["bucket"]) == [
        "< 30 days",
        "30-90 days",
        "90-180 days",
        "180-365 days",
        "> 365 days",
        "never",
    ]
    assert list(frame["accounts"]) == [1, 1, 1, 1, 1, 1]


def test_seat_trend_has_one_row_per_snapshot(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=date(2026, 1, 31))
    add_snapshot(store, _portal()[:5], as_of=date(2026, 2, 28))
    frame = seat_trend(store)
    assert list(frame["enabled"]) == [8, 5]
    assert list(frame["disabled"]) == [2, 0]
    assert list(frame["used"]) == [8, 5]
    counted = seat_trend(store, contract=Contract(count_disabled=True))
    assert list(counted["used"]) == [10, 5]


def test_decisions_are_listed_and_refuse_unknown_values(store: Store) -> None:
    set_decision(store, "A@x.com", "keep", note="board member")
    set_decision(store, "b@x.com", "keep")
    set_decision(store, "b@x.com", None)
    assert [(d["user_key"], d["note"]) for d in list_decisions(store)] == [
        ("a@x.com", "board member")
    ]
    with pytest.raises(ValueError):
        set_decision(store, "a@x.com", "delete")


def test_options_win_over_saved_defaults_which_win_over_built_ins(store: Store) -> None:
    assert rules_from_options(store) == ReviewRules()
    save_review_defaults(
        store,
        ReviewRules(
            inactive_days=60, protect_types=("admin", "manager"), protect_groups=("Board",)
        ),
    )
    saved = rules_from_options(store)
    assert (saved.inactive_days, saved.protect_types, saved.protect_groups) == (
        60,
        ("admin", "manager"),
        ("board",),
    )
    given = rules_from_options(
        store,
        inactive_days=30,
        protect_types=["none"],
        protect_groups=["Sales"],
        keep=["X@y.com"],
        grace_days=5,
    )
    assert given == ReviewRules(
        inactive_days=30,
        protect_types=(),
        protect_groups=("sales",),
        keep=("x@y.com",),
        grace_days=5,
    )
    fixed = rules_from_options(store, cutoff=date(2026, 1, 1))
    assert fixed.cutoff_for(AS_OF) == date(2026, 1, 1)


def test_saved_fixed_cutoff_gives_way_to_given_inactive_days(store: Store) -> None:
    save_review_defaults(store, ReviewRules(cutoff=date(2026, 1, 1)))
    assert rules_from_options(store).cutoff == date(2026, 1, 1)
    assert rules_from_options(store, inactive_days=10).cutoff_for(AS_OF) == date(2026, 3, 21)


def test_keep_file_skips_blank_lines_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "keep.txt"
    path.write_bytes(
        b"\xef\xbb\xbf# people on leave\r\n  Ann@Example.com  \r\n\r\n#bob@example.com\nc@x.com"
    )
    assert read_keep_file(path) == ["Ann@Example.com", "c@x.com"]


def test_keep_file_refuses_a_line_that_is_not_one_e_mail(tmp_path: Path) -> None:
    path = tmp_path / "keep.txt"
    path.write_text("ann@example.com\nbob@example.com, Bob Smith\n", encoding="utf-8")
    with pytest.raises(InputRefused, match=r"keep.txt row 2: .*one e-mail per line"):
        read_keep_file(path)
    with pytest.raises(InputRefused, match="cannot read"):
        read_keep_file(tmp_path / "missing.txt")
