-- Pre-flight: every row of an upload file (registered as preflight_rows(row_no, identifier,
-- status)) checked against itself and the review of the snapshot. Returns the rows that must not
-- be uploaded with the first problem found: empty identifier, a line break inside one, a formula
-- character at the start of a cell, a status other than $value, listed twice, no such account,
-- more than one account, disabled, protected, or not flagged.
WITH reviewed AS (
    SELECT CASE WHEN $by_username THEN username ELSE email END AS identifier,
           enabled, category, protected_by, reason
    FROM review_accounts(
        $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys,
        $any_kept
    )
),
matched AS (
    SELECT p.row_no, p.identifier, p.status, count(r.identifier) AS accounts,
           any_value(r.enabled) AS enabled, any_value(r.category) AS category,
           any_value(r.protected_by) AS protected_by, any_value(r.reason) AS reason
    FROM preflight_rows AS p
    LEFT JOIN reviewed AS r ON r.identifier = p.identifier
    GROUP BY p.row_no, p.identifier, p.status
),
listed AS (
    SELECT lower(trim(identifier)) AS k, count(*) AS times
    FROM preflight_rows
    GROUP BY 1
    HAVING count(*) > 1
),
judged AS (
    SELECT
        m.*,
        l.times,
        CASE
            WHEN coalesce(trim(m.identifier), '') = '' THEN 'empty'
            WHEN contains(m.identifier, chr(10)) OR contains(m.identifier, chr(13)) THEN 'line_break'
            WHEN left(m.identifier, 1) IN ('=', '+', '-', '@', chr(9), chr(13))
                OR left(m.status, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN 'formula'
            WHEN m.status IS DISTINCT FROM $value THEN 'status'
            WHEN l.times IS NOT NULL THEN 'duplicate'
            WHEN m.accounts = 0 THEN 'missing'
            WHEN m.accounts > 1 THEN 'ambiguous'
            WHEN NOT m.enabled THEN 'disabled'
            WHEN m.category = 'protected' THEN 'protected'
            WHEN m.category NOT IN ('inactive', 'never_signed_in') THEN 'not_flagged'
        END AS problem
    FROM matched AS m
    LEFT JOIN listed AS l ON l.k = lower(trim(m.identifier))
)
SELECT problem, row_no, identifier, status, accounts, times, category, protected_by, reason
FROM judged
WHERE problem IS NOT NULL
ORDER BY row_no
