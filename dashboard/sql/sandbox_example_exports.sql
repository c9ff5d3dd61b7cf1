-- Export history (audit log), newest first
SELECT export_id, exported_at, snapshot_id, actor, counts, rules
FROM exports
ORDER BY exported_at DESC
