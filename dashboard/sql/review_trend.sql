-- Enabled and disabled accounts of every snapshot, oldest first, for the seat trend.
SELECT
    s.snapshot_id, s.as_of, s.loaded_at, s.source, s.label, s.is_demo,
    count(a.user_key) FILTER (WHERE a.enabled) AS enabled,
    count(a.user_key) FILTER (WHERE NOT a.enabled) AS disabled
FROM snapshots AS s
LEFT JOIN accounts AS a USING (snapshot_id)
GROUP BY ALL
ORDER BY s.as_of, s.snapshot_id
