-- One audit-log entry per export (SPEC section 5): when, which snapshot, rules, counts, files.
INSERT INTO exports (export_id, exported_at, snapshot_id, rules, counts, files, actor)
VALUES (nextval('export_ids'), $exported_at, $snapshot_id, $rules, $counts, $files, $actor)
RETURNING export_id
