-- Category counts per user type, largest first. Counted per stored spelling and category number
-- first, so the million-row pass compares no strings it does not have to.
WITH per_type AS (
    SELECT user_type, category_no, count(*) AS accounts
    FROM review_accounts(
        $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups,
        $keep_keys, $any_kept
    )
    GROUP BY ALL
)
SELECT
    coalesce(nullif(lower(trim(user_type)), ''), '(none)') AS user_type,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 1), 0) AS BIGINT) AS active,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 2), 0) AS BIGINT) AS inactive,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 3), 0) AS BIGINT) AS never_signed_in,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 4), 0) AS BIGINT) AS protected,
    CAST(coalesce(sum(accounts) FILTER (WHERE category_no = 5), 0) AS BIGINT) AS disabled,
    CAST(sum(accounts) AS BIGINT) AS total
FROM per_type
GROUP BY 1
ORDER BY total DESC, user_type
