-- Activity-report rows per month
SELECT date_trunc('month', activity_at)::DATE AS month,
       count(*) AS events,
       count(DISTINCT account_no) AS accounts,
       count(*) FILTER (WHERE account_no IS NULL) AS unmatched_rows
FROM activity
GROUP BY month
ORDER BY month
