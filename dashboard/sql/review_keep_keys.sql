-- The accounts a keep list names: (entry, user_key) for each entry matching an account key, and,
-- when $match_email (username portals), each entry matching an account's trimmed lower-cased e-mail.
WITH keep AS (
    SELECT DISTINCT unnest(CAST($keep_keys AS VARCHAR[])) AS k
)
SELECT keep.k AS entry, a.user_key
FROM keep JOIN accounts AS a ON a.user_key = keep.k
WHERE a.snapshot_id = $snap
UNION
SELECT keep.k AS entry, a.user_key
FROM keep JOIN accounts AS a ON lower(trim(a.email)) = keep.k
WHERE a.snapshot_id = $snap AND $match_email AND a.email IS NOT NULL
