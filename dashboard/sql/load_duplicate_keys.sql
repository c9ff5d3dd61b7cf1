-- The first few accounts whose key appears more than once, with their record numbers (header = 1;
-- the loader turns them into spreadsheet rows, which also count blank lines).
-- Parameters: the rowid of the first data row, the row number of the first data row.
SELECT min_by({identity}, rowid) AS value, list(rowid - ? + ? ORDER BY rowid) AS row_numbers
FROM _lu_raw
GROUP BY lower({identity})
HAVING count(*) > 1
ORDER BY min(rowid)
LIMIT 5
