-- One activity report's rows when its identity is the accounts' own key (lower-cased e-mail or
-- username): a row matches when its key is among the staged accounts. The membership test keeps
-- no payload in the hash table, which makes it several times cheaper than a join at ten million
-- rows. Parameters: snapshot_id, file_no. Otherwise as load_insert_activity.sql.
INSERT INTO activity (snapshot_id, file_no, user_key, identity, activity_at, extra)
SELECT
    ?, ?, CASE WHEN r.matched THEN r.k END, CASE WHEN NOT r.matched THEN nullif(r.identity, '') END,
    CASE WHEN r.blank THEN {blank} ELSE {plausible} END,
    r.extra
FROM (
    SELECT identity, k, k IN (SELECT user_key FROM _lu_parsed) AS matched,
        {is_blank} AS blank, {activity_at} AS p, {extra} AS extra
    FROM (SELECT *, {key} AS k FROM (SELECT *, {t} AS t, {identity} AS identity FROM {source}))
) r
