-- Enabled accounts that never signed in, by group
SELECT "group", count(*) AS never_signed_in
FROM (
    SELECT unnest(CASE WHEN len(groups) > 0 THEN groups ELSE ['(no group)'] END) AS "group"
    FROM accounts
    WHERE enabled AND last_sign_in_at IS NULL AND last_activity_at IS NULL
)
GROUP BY "group"
ORDER BY never_signed_in DESC, "group"
