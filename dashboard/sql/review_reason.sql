-- The one-line reason of a flagged or protected account (NULL for the others), as a scalar macro:
-- the review_accounts macro uses it for every account, the Review page only for the rows it shows.
CREATE OR REPLACE TEMP MACRO review_reason(
    would_flag, protected_by, user_type, email, groups, protect_groups, created_at,
    last_activity, activity_from_report, cutoff_ts
) AS
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
        WHEN 'grace' THEN 'protected (created ' || CAST(CAST(created_at AS DATE) AS VARCHAR)
            || ', within the grace period): '
        ELSE ''
    END
    || CASE
        WHEN last_activity IS NOT NULL THEN
            CASE WHEN activity_from_report THEN 'last activity ' ELSE 'last sign-in ' END
            || CAST(CAST(last_activity AS DATE) AS VARCHAR) || ', before cutoff '
            || CAST(CAST(cutoff_ts AS DATE) AS VARCHAR)
        WHEN created_at IS NOT NULL THEN
            'never signed in, created ' || CAST(CAST(created_at AS DATE) AS VARCHAR)
        ELSE 'never signed in, creation date unknown'
    END
END
