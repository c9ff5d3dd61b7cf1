-- Category counts per user type, largest first.
SELECT
    coalesce(nullif(lower(trim(user_type)), ''), '(none)') AS user_type,
    count(*) FILTER (WHERE category = 'active') AS active,
    count(*) FILTER (WHERE category = 'inactive') AS inactive,
    count(*) FILTER (WHERE category = 'never_signed_in') AS never_signed_in,
    count(*) FILTER (WHERE category = 'protected') AS protected,
    count(*) FILTER (WHERE category = 'disabled') AS disabled,
    count(*) AS total
FROM review_accounts(
    $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys
)
GROUP BY 1
ORDER BY total DESC, user_type
