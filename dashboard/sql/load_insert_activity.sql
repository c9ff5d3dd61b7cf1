-- One activity report's rows, joined to the staged accounts: by their own key (lower-cased e-mail
-- or username, {lookup} = the staged accounts) or through _lu_lookup (another identity column).
-- Parameters: snapshot_id, file_no. The report is read with its size estimated, so that the hash
-- table is built on the accounts, not on millions of report rows.
-- A timestamp that does not parse violates NOT NULL; an empty one is stored as {blank} and
-- deleted afterwards, so that one scan of the file both counts and loads its rows. The report's
-- identity is kept only for rows that match no account (a matched row has its account_no).
INSERT INTO activity (snapshot_id, file_no, account_no, identity, activity_at, extra)
SELECT
    ?, ?, l.account_no, CASE WHEN l.account_no IS NULL THEN nullif(r.identity, '') END,
    CASE WHEN r.blank THEN {blank} ELSE {plausible} END,
    {extra}
FROM (
    SELECT *, {key} AS k, {is_blank} AS blank, {activity_at} AS p
    FROM (SELECT *, {t} AS t, {identity} AS identity FROM {source})
) r
LEFT JOIN (SELECT {lookup_key} AS k, account_no FROM {lookup}) l ON l.k = r.k
