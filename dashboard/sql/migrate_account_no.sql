-- Databases written before activity rows referred to their account by number: activity held the
-- account's key (user_key) and its other columns as a MAP. Renumbers each snapshot's accounts in
-- their stored order, links activity rows by key and turns the maps into JSON objects. Runs once,
-- in one transaction, when activity still has user_key.
ALTER TABLE accounts RENAME TO accounts_by_key;
ALTER TABLE activity RENAME TO activity_by_key;
{schema}
INSERT INTO accounts (
    snapshot_id, account_no, user_key, user_id, email, username, first_name, last_name,
    user_type, enabled, created_at, last_sign_in_at, sign_in_count, groups, account_expires,
    last_activity_at
)
SELECT
    snapshot_id, row_number() OVER (PARTITION BY snapshot_id ORDER BY rowid)::INTEGER, user_key,
    user_id, email, username, first_name, last_name, user_type, enabled, created_at,
    last_sign_in_at, sign_in_count, groups, account_expires, last_activity_at
FROM accounts_by_key;
INSERT INTO activity (snapshot_id, file_no, account_no, identity, activity_at, extra)
SELECT v.snapshot_id, v.file_no, a.account_no, v.identity, v.activity_at, to_json(v.extra)
FROM activity_by_key AS v
LEFT JOIN accounts AS a ON a.snapshot_id = v.snapshot_id AND a.user_key = v.user_key;
DROP TABLE activity_by_key;
DROP TABLE accounts_by_key;
