-- One activity report's rows, joined to the staged accounts; rows with no timestamp are skipped.
-- Parameters: snapshot_id, file_no. A timestamp that does not parse violates NOT NULL.
INSERT INTO activity (snapshot_id, file_no, user_key, identity, activity_at, extra)
SELECT ?, ?, l.user_key, nullif(r.identity, ''), r.activity_at, r.extra
FROM (
    SELECT {identity} AS identity, {key} AS k, {activity_at} AS activity_at, {extra} AS extra
    FROM (SELECT *, {t} AS t FROM {source})
    WHERE t <> ''
) r
LEFT JOIN _lu_lookup l ON l.k = r.k
