-- Pre-flight fast path over an upload file registered as preflight_rows(row_no, identifier,
-- status): one pass that joins the rows to the flagged accounts of the review. The file passes
-- when every row matched exactly one flagged account (matched_rows = rows, refused = 0) and no
-- identifier repeats (distinct_ids = rows). Otherwise export_preflight names the rows and why.
-- A hash collision in distinct_ids can only send a good file to that slower path, never pass a
-- bad one.
WITH flagged AS (
    SELECT CASE WHEN $by_username THEN username ELSE email END AS identifier
    FROM review_accounts(
        $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys,
        $any_kept
    )
    WHERE category_no IN (2, 3)  -- inactive, never signed in (CATEGORIES order)
)
SELECT
    count(*) AS matched_rows,
    count(*) FILTER (
        WHERE f.identifier IS NULL
            OR p.status IS DISTINCT FROM $value
            OR left(p.identifier, 1) IN ('=', '+', '-', '@', chr(9), chr(13))
            OR left(p.status, 1) IN ('=', '+', '-', '@', chr(9), chr(13))
            OR contains(p.identifier, chr(10)) OR contains(p.identifier, chr(13))
    ) AS refused,
    count(DISTINCT hash(p.identifier)) AS distinct_ids
FROM preflight_rows AS p
LEFT JOIN flagged AS f ON f.identifier = p.identifier
