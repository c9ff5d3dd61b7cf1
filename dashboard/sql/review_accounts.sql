-- The review rules of SPEC section 3 as a table macro: one row per account of one snapshot with
-- its category, the protection that applied and the one-line reason. Every other review query
-- selects from review_accounts(...), so the rules are written exactly once. Parameters:
-- snap (snapshot id), cutoff_ts (00:00 UTC of the cutoff date), grace_ts (created_at from which
-- accounts are protected, NULL for no grace period), and the normalised lists protect_types,
-- protect_domains, protect_groups and keep_keys (trimmed, lower-cased; keep_keys are account
-- keys: on username portals the caller first resolves kept e-mails to usernames).
CREATE OR REPLACE TEMP MACRO review_accounts(
    snap, cutoff_ts, grace_ts, protect_types, protect_domains, protect_groups, keep_keys
) AS TABLE
WITH protect_keys AS (
    -- accounts named by a keep decision (1) or the keep list (2); a decision outranks the list
    SELECT k, min(pos) AS pos
    FROM (
        SELECT user_key AS k, 1 AS pos FROM decisions WHERE decision = 'keep'
        UNION ALL
        SELECT unnest(CAST(keep_keys AS VARCHAR[])) AS k, 2 AS pos
    )
    GROUP BY k
),
named AS (
    -- the few accounts a key, domain (4) or group (5) rule names, by row id. A rule not in use
    -- folds away at planning (empty list), so a review with only the default rules never reads
    -- the e-mail, key or group columns of a million accounts.
    SELECT rid, min(pos) AS pos
    FROM (
        SELECT a.rowid AS rid, pk.pos
        FROM accounts AS a JOIN protect_keys AS pk ON pk.k = a.user_key
        WHERE a.snapshot_id = snap
        UNION ALL
        SELECT rowid AS rid, 4 AS pos
        FROM accounts
        WHERE snapshot_id = snap
            AND len(CAST(protect_domains AS VARCHAR[])) > 0
            AND contains(email, '@')
            AND list_contains(CAST(protect_domains AS VARCHAR[]),
                              lower(trim(split_part(email, '@', -1))))
        UNION ALL
        SELECT rowid AS rid, 5 AS pos
        FROM accounts
        WHERE snapshot_id = snap
            AND len(CAST(protect_groups AS VARCHAR[])) > 0
            AND list_has_any(CAST(protect_groups AS VARCHAR[]),
                             list_transform(groups, lambda g: lower(trim(g))))
    )
    GROUP BY rid
),
judged AS (
    SELECT
        a.*,
        greatest(a.last_sign_in_at, a.last_activity_at) AS last_activity,
        coalesce(a.last_activity_at > a.last_sign_in_at
                 OR (a.last_sign_in_at IS NULL AND a.last_activity_at IS NOT NULL), false)
            AS activity_from_report,
        a.enabled
            AND (a.created_at IS NULL OR a.created_at < CAST(cutoff_ts AS TIMESTAMP))
            AND (greatest(a.last_sign_in_at, a.last_activity_at) IS NULL
                 OR greatest(a.last_sign_in_at, a.last_activity_at)
                    < CAST(cutoff_ts AS TIMESTAMP))
            AS would_flag,
        n.pos AS named_by
    FROM accounts AS a
    LEFT JOIN named AS n ON n.rid = a.rowid
    WHERE a.snapshot_id = snap
),
protected AS (
    -- precedence: decision, keep list, user type, domain, group, grace period
    SELECT
        *,
        CASE
            WHEN NOT would_flag THEN NULL
            WHEN named_by = 1 THEN 'decision'
            WHEN named_by = 2 THEN 'keep_list'
            WHEN list_contains(CAST(protect_types AS VARCHAR[]), lower(trim(user_type)))
                THEN 'user_type'
            WHEN named_by = 4 THEN 'domain'
            WHEN named_by = 5 THEN 'group'
            WHEN CAST(grace_ts AS TIMESTAMP) IS NOT NULL
                AND created_at >= CAST(grace_ts AS TIMESTAMP)
                THEN 'grace'
        END AS protected_by
    FROM judged
)
SELECT
    snapshot_id, user_key, user_id, email, username, first_name, last_name, user_type, enabled,
    created_at, last_sign_in_at, sign_in_count, groups, account_expires, last_activity_at,
    last_activity, activity_from_report, CASE WHEN named_by = 1 THEN 'keep' END AS decision,
    CASE
        WHEN NOT enabled THEN 'disabled'
        WHEN NOT would_flag THEN 'active'
        WHEN protected_by IS NOT NULL THEN 'protected'
        WHEN last_activity IS NOT NULL THEN 'inactive'
        ELSE 'never_signed_in'
    END AS category,
    protected_by,
    CASE WHEN would_flag THEN
        CASE protected_by
            WHEN 'decision' THEN 'protected (kept by decision): '
            WHEN 'keep_list' THEN 'protected (on the keep list): '
            WHEN 'user_type' THEN 'protected (user type ' || lower(trim(user_type)) || '): '
            WHEN 'domain' THEN 'protected (domain '
                || lower(trim(split_part(email, '@', -1))) || '): '
            WHEN 'group' THEN 'protected (group '
                || trim(list_filter(groups, lambda g: list_contains(
                       CAST(protect_groups AS VARCHAR[]), lower(trim(g))))[1]) || '): '
            WHEN 'grace' THEN 'protected (created ' || strftime(created_at, '%Y-%m-%d')
                || ', within the grace period): '
            ELSE ''
        END
        || CASE
            WHEN last_activity IS NOT NULL THEN
                CASE WHEN activity_from_report THEN 'last activity ' ELSE 'last sign-in ' END
                || strftime(last_activity, '%Y-%m-%d') || ', before cutoff '
                || strftime(CAST(cutoff_ts AS TIMESTAMP), '%Y-%m-%d')
            WHEN created_at IS NOT NULL THEN
                'never signed in, created ' || strftime(created_at, '%Y-%m-%d')
            ELSE 'never signed in, creation date unknown'
        END
    END AS reason
FROM protected
