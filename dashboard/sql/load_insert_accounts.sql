-- The staged accounts with their latest matched activity. Parameters: snapshot_id twice.
INSERT INTO accounts (
    snapshot_id, account_no, user_key, user_id, email, username, first_name, last_name,
    user_type, enabled, created_at, last_sign_in_at, sign_in_count, groups, account_expires,
    last_activity_at
)
SELECT
    ?, p.account_no, p.user_key, p.user_id, p.email, p.username, p.first_name, p.last_name,
    p.user_type, p.enabled, p.created_at, p.last_sign_in_at, p.sign_in_count, p.groups,
    p.account_expires, m.last_activity_at
FROM _lu_parsed p
LEFT JOIN (
    SELECT account_no, max(activity_at) AS last_activity_at
    FROM activity
    WHERE snapshot_id = ? AND account_no IS NOT NULL
    GROUP BY account_no
) m ON m.account_no = p.account_no
