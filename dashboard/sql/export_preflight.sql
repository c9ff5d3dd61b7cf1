-- Pre-flight: each identifier of an upload file (registered as preflight_rows(row_no,
-- identifier)) against the review of the snapshot; returns the rows that must not be uploaded:
-- no such account, more than one account, disabled, or not flagged (protected or active).
WITH reviewed AS (
    SELECT CASE WHEN $by_username THEN username ELSE email END AS identifier,
           enabled, category, protected_by, reason
    FROM review_accounts(
        $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys
    )
),
matched AS (
    SELECT p.row_no, p.identifier, count(r.identifier) AS accounts,
           any_value(r.enabled) AS enabled, any_value(r.category) AS category,
           any_value(r.protected_by) AS protected_by, any_value(r.reason) AS reason
    FROM preflight_rows AS p
    LEFT JOIN reviewed AS r ON r.identifier = p.identifier
    GROUP BY p.row_no, p.identifier
)
SELECT row_no, identifier, accounts, enabled, category, protected_by, reason
FROM matched
WHERE accounts <> 1 OR NOT enabled OR category NOT IN ('inactive', 'never_signed_in')
ORDER BY row_no
