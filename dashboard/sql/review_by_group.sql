-- Category counts per group (an account counts once in each of its groups; accounts without a
-- group under '(no group)'), largest first, at most $limit groups. Accounts are first counted per
-- distinct group list and category, so only those few lists are unnested, not a million.
WITH per_list AS (
    SELECT groups, category_no, count(*) AS accounts
    FROM review_accounts(
        $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups,
        $keep_keys, $any_kept
    )
    GROUP BY ALL
),
per_group AS (
    SELECT category_no, accounts,
           unnest(CASE WHEN len(coalesce(groups, [])) = 0 THEN [NULL::VARCHAR]
                       ELSE list_distinct(groups) END) AS g
    FROM per_list
)
SELECT
    coalesce(nullif(trim(g), ''), '(no group)') AS "group",
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 1), 0) AS BIGINT) AS active,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 2), 0) AS BIGINT) AS inactive,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 3), 0) AS BIGINT) AS never_signed_in,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 4), 0) AS BIGINT) AS protected,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 5), 0) AS BIGINT) AS disabled,
    CAST(sum(accounts) AS BIGINT) AS total
FROM per_group
GROUP BY 1
ORDER BY total DESC, "group"
LIMIT $limit
