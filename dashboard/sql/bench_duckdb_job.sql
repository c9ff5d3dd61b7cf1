-- The benchmark's bare-DuckDB job: the same deactivation file as the product, with no product code.
-- The two reports are filled in by bench.py: read_csv calls (bench_duckdb_read.sql), or tables
-- holding what those calls read.
-- Default rules: enabled accounts whose last activity (Last Login or any activity row) is before the
-- cutoff, or who have none and were created before it; admins protected.
COPY (
    WITH users AS (
        SELECT
            trim("Email") AS email,
            lower(trim("Email")) AS user_key,
            lower(trim("User Type")) AS user_type,
            lower(trim("Enabled")) IN ('true', 'yes', '1', 'enabled', 'active') AS enabled,
            "Date Created" AS created_at,
            "Last Login" AS last_sign_in_at
        FROM {users}
    ),
    activity AS (
        SELECT lower(trim("Email")) AS user_key, max("Login Date") AS last_activity_at
        FROM {activity}
        GROUP BY ALL
    ),
    judged AS (
        SELECT u.*, greatest(u.last_sign_in_at, a.last_activity_at) AS last_activity
        FROM users AS u LEFT JOIN activity AS a USING (user_key)
    )
    SELECT email, 'false' AS enabled
    FROM judged
    WHERE enabled
      AND user_type IS DISTINCT FROM 'admin'
      AND CASE
            WHEN last_activity IS NOT NULL THEN last_activity < $cutoff
            ELSE created_at IS NULL OR created_at < $cutoff
          END
    ORDER BY user_key
) TO $out (HEADER true, DELIMITER ',', NEW_LINE '\r\n')
