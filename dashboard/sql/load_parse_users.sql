-- The checked users rows converted to the accounts table's types (expressions built in loading.py).
-- rid and the raw_* columns let one query find the first timestamp that did not parse. A view, not a
-- table: the activity join reads only user_key and account_no, and the accounts insert converts the
-- rows once, straight from _lu_raw (a million rows converted into a table first cost more).
CREATE TEMP VIEW _lu_parsed AS
SELECT
    r.rid AS rid,
    (r.rid - {first_rid} + 1)::INTEGER AS account_no,
    {user_key} AS user_key,
    {user_id} AS user_id,
    {email} AS email,
    {username} AS username,
    {first_name} AS first_name,
    {last_name} AS last_name,
    {user_type} AS user_type,
    {enabled} AS enabled,
    {created_at} AS created_at,
    {last_sign_in_at} AS last_sign_in_at,
    {sign_in_count} AS sign_in_count,
    {groups} AS groups,
    CAST({account_expires} AS DATE) AS account_expires,
    {raw_stamps}
FROM (SELECT *, rowid AS rid, {parsed} FROM _lu_raw) AS r
