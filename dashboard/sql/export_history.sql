-- The export audit log, newest first.
SELECT export_id, exported_at, snapshot_id, rules, counts, files, actor
FROM exports
ORDER BY exported_at DESC, export_id DESC
