-- The review sheet rows for approvers: flagged accounts in deactivation-file order, every text
-- cell neutralised against CSV injection (a leading ' before = + - @ tab or CR); NULL stays NULL
-- so that empty values stay empty.
SELECT list_transform(
    [
        email, username, nullif(trim(concat_ws(' ', first_name, last_name)), ''), user_type,
        array_to_string(groups, '; '), strftime(last_activity, '%Y-%m-%d %H:%M:%S'),
        CASE WHEN last_activity IS NULL THEN NULL
             WHEN activity_from_report THEN 'activity report' ELSE 'sign-in' END,
        strftime(created_at, '%Y-%m-%d %H:%M:%S'), CAST(sign_in_count AS VARCHAR), reason,
        category
    ],
    lambda c: CASE WHEN left(c, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || c
                   ELSE c END
) AS cells
FROM review_accounts(
    $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys
)
WHERE category IN ('inactive', 'never_signed_in')
ORDER BY lower(CASE WHEN $by_username THEN username ELSE email END),
         CASE WHEN $by_username THEN username ELSE email END, user_key
