-- One page of reviewed accounts for the Review page: filtered by category and a search text
-- (case-insensitive, over e-mail, username, name, user type and groups), sorted like the
-- deactivation file; `total` is the number of matching accounts.
SELECT
    user_key, email, username,
    nullif(trim(concat_ws(' ', first_name, last_name)), '') AS name,
    user_type, groups, enabled, created_at, last_sign_in_at, sign_in_count, last_activity,
    CASE WHEN last_activity IS NULL THEN NULL
         WHEN activity_from_report THEN 'activity report' ELSE 'sign-in' END
        AS last_activity_source,
    category, protected_by, decision, reason,
    count(*) OVER () AS total
FROM review_accounts(
    $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys
)
WHERE list_contains(CAST($categories AS VARCHAR[]), category)
    AND ($search = '' OR contains(lower(concat_ws(' ', email, username, first_name, last_name,
                                                  user_type, array_to_string(groups, ' '))),
                                  $search))
ORDER BY lower(coalesce(email, username, user_key)), coalesce(email, username, user_key), user_key
LIMIT $limit OFFSET $offset
