-- Enabled accounts by time since last sign-in or activity (relative to the data's as-of date)
WITH seen AS (
    SELECT greatest(a.last_sign_in_at, a.last_activity_at) AS last_seen, s.as_of
    FROM accounts a
    JOIN snapshots s USING (snapshot_id)
    WHERE a.enabled
)
SELECT CASE
           WHEN last_seen IS NULL THEN '7 never'
           WHEN last_seen >= as_of - INTERVAL 30 DAY THEN '1 within 30 days'
           WHEN last_seen >= as_of - INTERVAL 90 DAY THEN '2 31-90 days'
           WHEN last_seen >= as_of - INTERVAL 180 DAY THEN '3 91-180 days'
           WHEN last_seen >= as_of - INTERVAL 365 DAY THEN '4 181-365 days'
           WHEN last_seen >= as_of - INTERVAL 730 DAY THEN '5 1-2 years'
           ELSE '6 over 2 years'
       END AS last_seen,
       count(*) AS accounts
FROM seen
GROUP BY 1
ORDER BY 1
