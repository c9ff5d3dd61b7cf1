-- One activity report's rows, joined to the staged accounts. Parameters: snapshot_id, file_no.
-- A timestamp that does not parse violates NOT NULL; an empty one is stored as {blank} and
-- deleted afterwards, so that one scan of the file both counts and loads its rows. The report's
-- identity is kept only for rows that match no account (a matched row has its user_key).
INSERT INTO activity (snapshot_id, file_no, user_key, identity, activity_at, extra)
SELECT
    ?, ?, l.user_key, CASE WHEN l.user_key IS NULL THEN nullif(r.identity, '') END,
    CASE WHEN r.blank THEN {blank} ELSE {plausible} END,
    r.extra
FROM (
    SELECT identity, {key} AS k, {is_blank} AS blank, {activity_at} AS p, {extra} AS extra
    FROM (SELECT *, {t} AS t, {identity} AS identity FROM {source})
) r
LEFT JOIN _lu_lookup l ON l.k = r.k
