-- Enabled accounts of one snapshot by days between their last activity and as_of, in fixed buckets.
WITH buckets(pos, bucket) AS (
    VALUES (1, '< 30 days'), (2, '30-90 days'), (3, '90-180 days'), (4, '180-365 days'),
           (5, '> 365 days'), (6, 'never')
),
ages AS (
    SELECT date_diff('day', greatest(last_sign_in_at, last_activity_at), $as_of_ts) AS days
    FROM accounts
    WHERE snapshot_id = $snap AND enabled
),
counted AS (
    SELECT CASE WHEN days IS NULL THEN 6
                WHEN days < 30 THEN 1 WHEN days < 90 THEN 2 WHEN days < 180 THEN 3
                WHEN days <= 365 THEN 4 ELSE 5 END AS pos,
           count(*) AS accounts
    FROM ages
    GROUP BY 1
)
SELECT b.bucket, coalesce(c.accounts, 0) AS accounts
FROM buckets AS b LEFT JOIN counted AS c USING (pos)
ORDER BY b.pos
