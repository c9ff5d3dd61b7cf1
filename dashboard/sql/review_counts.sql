-- Category counts of one review (SPEC section 3): one row.
SELECT
    count(*) FILTER (WHERE category = 'active') AS active,
    count(*) FILTER (WHERE category = 'inactive') AS inactive,
    count(*) FILTER (WHERE category = 'never_signed_in') AS never_signed_in,
    count(*) FILTER (WHERE category = 'protected') AS protected,
    count(*) FILTER (WHERE category = 'disabled') AS disabled,
    count(*) FILTER (WHERE protected_by = 'decision') AS by_decision,
    count(*) FILTER (WHERE protected_by = 'keep_list') AS by_keep_list,
    count(*) FILTER (WHERE protected_by = 'user_type') AS by_user_type,
    count(*) FILTER (WHERE protected_by = 'domain') AS by_domain,
    count(*) FILTER (WHERE protected_by = 'group') AS by_group,
    count(*) FILTER (WHERE protected_by = 'grace') AS by_grace
FROM review_accounts(
    $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys
)
