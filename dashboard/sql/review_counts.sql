-- Accounts per category and protection rule of one review (SPEC section 3): a few rows.
SELECT category, protected_by, count(*) AS accounts
FROM review_accounts(
    $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys
)
GROUP BY ALL
