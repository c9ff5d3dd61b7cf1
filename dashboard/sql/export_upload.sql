-- Writes the body of a Batch upload file (no header: the caller writes the profile's header) to
-- $path: one row per flagged account, the identifier as LearnUpon holds it and the status value
-- $value, in the profile's column order, sorted by the lower-cased identifier in code-point order,
-- CRLF after every line, quoted only where needed. DuckDB's writer is parallel, so a few hundred
-- thousand rows cost no Python loop.
COPY (
    SELECT
        CASE WHEN $status_first THEN $value ELSE identifier END AS c1,
        CASE WHEN $status_first THEN identifier ELSE $value END AS c2
    FROM (
        SELECT CASE WHEN $by_username THEN username ELSE email END AS identifier, user_key
        FROM review_accounts(
            $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups,
            $keep_keys, $any_kept
        )
        WHERE category_no IN (2, 3)  -- inactive, never signed in (CATEGORIES order)
    )
    ORDER BY lower(identifier), identifier, user_key
) TO $path (FORMAT csv, HEADER false, DELIMITER $sep, QUOTE '"', ESCAPE '"', NEW_LINE '\r\n')
