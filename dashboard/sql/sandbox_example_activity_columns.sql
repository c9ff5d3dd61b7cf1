-- What the activity reports' other columns hold
-- extra is a JSON object per row; read one column with extra->>'Course' (its title in the report).
SELECT file_no,
       json_keys(extra) AS other_columns,
       count(*) AS rows,
       any_value(extra) AS example
FROM activity
GROUP BY ALL
ORDER BY file_no
