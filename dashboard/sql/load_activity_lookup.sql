-- Activity identity -> account key; a value shared by several accounts matches none of them.
CREATE TEMP TABLE _lu_lookup AS
SELECT {key} AS k, min(user_key) AS user_key
FROM _lu_parsed
WHERE {key} IS NOT NULL
GROUP BY {key}
HAVING count(*) = 1
