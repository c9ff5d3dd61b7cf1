-- One page of reviewed accounts for the Review page: filtered by category (numbers, as in
-- review_accounts) and a search text (case-insensitive, over e-mail, username, name, user type
-- and groups), sorted like the deactivation file; `total` is the number of matching accounts.
-- The page is cut from slim rows (row id, sort key, category) first; only its rows are then read
-- in full and get their reason text, so a page of 100 builds 100 reasons, not 400,000.
WITH hits AS (
    SELECT
        rid, user_key, lower(coalesce(email, username, user_key)) AS sort_lower,
        coalesce(email, username, user_key) AS sort_exact, last_activity, activity_from_report,
        category, protected_by, decision, would_flag
    FROM review_accounts(
        $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups,
        $keep_keys, $any_kept
    )
    WHERE category_no IN (SELECT unnest(CAST($category_nos AS INTEGER[])))
        -- the category test repeated first, so only rows of those categories are searched
        AND ($search = ''
             OR (list_contains(CAST($category_nos AS INTEGER[]), category_no)
                 AND contains(lower(concat_ws(' ', email, username, first_name, last_name,
                                              user_type, array_to_string(groups, ' '))),
                              $search)))
),
page AS (
    SELECT * FROM hits ORDER BY sort_lower, sort_exact, user_key LIMIT $limit OFFSET $offset
)
SELECT
    p.user_key, a.email, a.username,
    nullif(trim(concat_ws(' ', a.first_name, a.last_name)), '') AS name,
    a.user_type, a.groups, a.enabled, a.created_at, a.last_sign_in_at, a.sign_in_count,
    p.last_activity,
    CASE WHEN p.last_activity IS NULL THEN NULL
         WHEN p.activity_from_report THEN 'activity report' ELSE 'sign-in' END
        AS last_activity_source,
    p.category, p.protected_by, p.decision,
    review_reason(p.would_flag, p.protected_by, a.user_type, a.email, a.groups, $protect_groups,
                  a.created_at, p.last_activity, p.activity_from_report, $cutoff_ts) AS reason,
    (SELECT count(*) FROM hits) AS total
FROM page AS p
JOIN accounts AS a ON a.rowid = p.rid
ORDER BY p.sort_lower, p.sort_exact, p.user_key
