-- Accounts per category and protection rule of one review (SPEC section 3): a few rows, keyed by
-- category_no and protection_no (1-based positions in CATEGORIES and PROTECTIONS of
-- dashboard/rules.py), so the scan of a million accounts does no string work.
SELECT category_no, protection_no, count(*) AS accounts
FROM review_accounts(
    $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys,
    $any_kept
)
GROUP BY ALL
