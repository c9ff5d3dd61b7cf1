-- Activity identity -> account number; a value shared by several accounts matches none of them.
CREATE TEMP TABLE _lu_lookup AS
SELECT {key} AS k, min(account_no) AS account_no
FROM _lu_parsed
WHERE {key} IS NOT NULL
GROUP BY {key}
HAVING count(*) = 1
