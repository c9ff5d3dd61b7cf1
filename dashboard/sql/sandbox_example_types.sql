-- Accounts by user type and status
SELECT user_type,
       count(*) FILTER (WHERE enabled) AS enabled,
       count(*) FILTER (WHERE NOT enabled) AS disabled,
       count(*) AS accounts
FROM accounts
GROUP BY user_type
ORDER BY accounts DESC
