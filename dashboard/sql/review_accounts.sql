-- The review rules of SPEC section 3 as a table macro: one row per account of one snapshot with
-- its category, the protection that applied and the one-line reason. Every other review query
-- selects from review_accounts(...), so the rules are written exactly once (the reason text is
-- the review_reason macro). Parameters:
-- snap (snapshot id), cutoff_ts (00:00 UTC of the cutoff date), grace_ts (created_at from which
-- accounts are protected, NULL for no grace period), and the normalised lists protect_types,
-- protect_domains, protect_groups and keep_keys (trimmed, lower-cased; keep_keys are account
-- keys: on username portals the caller first resolves kept e-mails to usernames). any_kept is
-- false when there is neither a keep decision nor a keep list: the join that looks kept accounts
-- up then folds away at planning, which is most of a default review's cost. Domain and group
-- rules are tested only on accounts the cutoff would flag, and fold away when their list is empty.
CREATE OR REPLACE TEMP MACRO review_accounts(
    snap, cutoff_ts, grace_ts, protect_types, protect_domains, protect_groups, keep_keys,
    any_kept
) AS TABLE
WITH protect_keys AS (
    -- accounts kept by a keep decision (1) or the keep list (2); a decision outranks the list
    SELECT k, min(pos) AS pos
    FROM (
        SELECT user_key AS k, 1 AS pos FROM decisions WHERE decision = 'keep'
        UNION ALL
        SELECT unnest(CAST(keep_keys AS VARCHAR[])) AS k, 2 AS pos
    )
    GROUP BY k
),
judged AS (
    -- would_flag: enabled, created before the cutoff (or unknown) and no sign-in or activity on
    -- or after it; plain comparisons, so the common review is one cheap scan of five columns
    SELECT
        a.*,
        a.rowid AS rid,
        greatest(a.last_sign_in_at, a.last_activity_at) AS last_activity,
        coalesce(a.last_activity_at > a.last_sign_in_at
                 OR (a.last_sign_in_at IS NULL AND a.last_activity_at IS NOT NULL), false)
            AS activity_from_report,
        a.enabled
            AND coalesce(a.created_at < CAST(cutoff_ts AS TIMESTAMP), true)
            AND coalesce(a.last_sign_in_at < CAST(cutoff_ts AS TIMESTAMP), true)
            AND coalesce(a.last_activity_at < CAST(cutoff_ts AS TIMESTAMP), true)
            AS would_flag,
        pk.pos AS kept_by
    FROM accounts AS a
    LEFT JOIN protect_keys AS pk ON CAST(any_kept AS BOOLEAN) AND pk.k = a.user_key
    WHERE a.snapshot_id = snap
),
protected AS (
    -- protection_no indexes PROTECTIONS in dashboard/rules.py; precedence: decision (1), keep
    -- list (2), user type (3), domain (4), group (5), grace period (6). CASE tests each rule
    -- only on the accounts no earlier rule protected.
    SELECT
        *,
        CASE
            WHEN NOT would_flag THEN NULL
            WHEN kept_by IS NOT NULL THEN kept_by
            WHEN list_contains(CAST(protect_types AS VARCHAR[]), lower(trim(user_type))) THEN 3
            WHEN len(CAST(protect_domains AS VARCHAR[])) > 0
                AND contains(email, '@')
                AND list_contains(CAST(protect_domains AS VARCHAR[]),
                                  lower(trim(split_part(email, '@', -1))))
                THEN 4
            WHEN len(CAST(protect_groups AS VARCHAR[])) > 0
                AND list_has_any(CAST(protect_groups AS VARCHAR[]),
                                 list_transform(groups, lambda g: lower(trim(g))))
                THEN 5
            WHEN created_at >= CAST(grace_ts AS TIMESTAMP) THEN 6
        END AS protection_no
    FROM judged
),
categorised AS (
    -- category_no indexes CATEGORIES in dashboard/rules.py: active (1), inactive (2), never
    -- signed in (3), protected (4), disabled (5). Counting queries group by the numbers.
    SELECT
        *,
        CASE
            WHEN NOT enabled THEN 5
            WHEN NOT would_flag THEN 1
            WHEN protection_no IS NOT NULL THEN 4
            WHEN last_activity_at IS NOT NULL OR last_sign_in_at IS NOT NULL THEN 2
            ELSE 3
        END AS category_no,
        ['decision', 'keep_list', 'user_type', 'domain', 'group', 'grace'][protection_no]
            AS protected_by
    FROM protected
)
SELECT
    snapshot_id, user_key, user_id, email, username, first_name, last_name, user_type, enabled,
    created_at, last_sign_in_at, sign_in_count, groups, account_expires, last_activity_at,
    last_activity, activity_from_report, CASE WHEN kept_by = 1 THEN 'keep' END AS decision,
    ['active', 'inactive', 'never_signed_in', 'protected', 'disabled'][category_no] AS category,
    protected_by,
    review_reason(would_flag, protected_by, user_type, email, groups, protect_groups, created_at,
                  last_activity, activity_from_report, cutoff_ts) AS reason,
    rid, category_no, protection_no, would_flag
FROM categorised
