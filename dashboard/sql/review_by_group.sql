-- Category counts per group (an account counts once in each of its groups; accounts without a
-- group under '(no group)'), largest first, at most $limit groups.
SELECT
    coalesce(nullif(trim(g), ''), '(no group)') AS "group",
    count(*) FILTER (WHERE category = 'active') AS active,
    count(*) FILTER (WHERE category = 'inactive') AS inactive,
    count(*) FILTER (WHERE category = 'never_signed_in') AS never_signed_in,
    count(*) FILTER (WHERE category = 'protected') AS protected,
    count(*) FILTER (WHERE category = 'disabled') AS disabled,
    count(*) AS total
FROM (
    SELECT category,
           unnest(CASE WHEN len(coalesce(groups, [])) = 0 THEN [NULL::VARCHAR]
                       ELSE list_distinct(groups) END) AS g
    FROM review_accounts(
        $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups,
        $keep_keys
    )
)
GROUP BY 1
ORDER BY total DESC, "group"
LIMIT $limit
