-- Activity-report rows per month
SELECT date_trunc('month', activity_at)::DATE AS month,
       count(*) AS events,
       count(DISTINCT user_key) AS accounts,
       count(*) FILTER (WHERE user_key IS NULL) AS unmatched_rows
FROM activity
GROUP BY month
ORDER BY month
