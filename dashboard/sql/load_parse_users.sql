-- The checked users rows converted to the accounts table's types (expressions built in loading.py).
CREATE TEMP TABLE _lu_parsed AS
SELECT
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
    {account_expires} AS account_expires
FROM _lu_raw
