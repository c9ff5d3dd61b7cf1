-- Enabled and disabled accounts of every snapshot, oldest first, for the seat trend. Accounts are
-- counted per snapshot before the join and only the enabled flag is read.
WITH seats AS (
    SELECT snapshot_id,
           count(*) FILTER (WHERE enabled) AS enabled,
           count(*) FILTER (WHERE NOT enabled) AS disabled
    FROM accounts
    GROUP BY snapshot_id
)
SELECT
    s.snapshot_id, s.as_of, s.loaded_at, s.source, s.label, s.is_demo,
    coalesce(c.enabled, 0) AS enabled,
    coalesce(c.disabled, 0) AS disabled
FROM snapshots AS s
LEFT JOIN seats AS c USING (snapshot_id)
ORDER BY s.as_of, s.snapshot_id
