-- The flagged accounts of one review as the two Batch upload bodies, built in DuckDB so that a
-- few hundred thousand rows cost no Python loop: one line per account, identifier cell quoted
-- only where RFC 4180 needs it (separator, quote, CR or LF inside), CRLF after every line, sorted
-- by the lower-cased identifier in code-point order. Also returns the row count.
WITH flagged AS (
    SELECT CASE WHEN $by_username THEN username ELSE email END AS identifier, user_key
    FROM review_accounts(
        $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys
    )
    WHERE category IN ('inactive', 'never_signed_in')
),
cells AS (
    SELECT
        lower(identifier) AS sort_key,
        identifier,
        user_key,
        CASE
            WHEN contains(identifier, $sep) OR contains(identifier, '"')
                OR contains(identifier, chr(13)) OR contains(identifier, chr(10))
                THEN '"' || replace(identifier, '"', '""') || '"'
            ELSE coalesce(identifier, '')
        END AS cell
    FROM flagged
)
SELECT
    count(*) AS rows,
    coalesce(string_agg(
        CASE WHEN $status_first THEN $false_value || $sep || cell
             ELSE cell || $sep || $false_value END || chr(13) || chr(10),
        '' ORDER BY sort_key, identifier, user_key), '') AS deactivation,
    coalesce(string_agg(
        CASE WHEN $status_first THEN $true_value || $sep || cell
             ELSE cell || $sep || $true_value END || chr(13) || chr(10),
        '' ORDER BY sort_key, identifier, user_key), '') AS undo
FROM cells
