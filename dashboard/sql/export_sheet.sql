-- Writes the review sheet for approvers to $path: flagged accounts in deactivation-file order,
-- every cell neutralised against CSV injection (a leading ' before = + - @ tab or CR), empty
-- values left empty, comma-separated with CRLF. The caller prepends the UTF-8 byte-order mark.
COPY (
    SELECT
        c[1] AS "Email", c[2] AS "Username", c[3] AS "Name", c[4] AS "User type",
        c[5] AS "Groups", c[6] AS "Last activity (UTC)", c[7] AS "Last activity from",
        c[8] AS "Created (UTC)", c[9] AS "Sign-in count", c[10] AS "Reason",
        c[11] AS "Category"
    FROM (
        SELECT
            list_transform(
                [
                    email, username, trim(concat_ws(' ', first_name, last_name)), user_type,
                    array_to_string(groups, '; '),
                    CAST(date_trunc('second', last_activity) AS VARCHAR),
                    CASE WHEN last_activity IS NULL THEN NULL
                         WHEN activity_from_report THEN 'activity report' ELSE 'sign-in' END,
                    CAST(date_trunc('second', created_at) AS VARCHAR),
                    CAST(sign_in_count AS VARCHAR), reason, category
                ],
                lambda v: CASE WHEN left(v, 1) IN ('=', '+', '-', '@', chr(9), chr(13))
                               THEN '''' || v ELSE nullif(v, '') END
            ) AS c,
            CASE WHEN $by_username THEN username ELSE email END AS identifier,
            user_key
        FROM review_accounts(
            $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups,
            $keep_keys, $any_kept
        )
        WHERE category_no IN (2, 3)  -- inactive, never signed in (CATEGORIES order)
    )
    ORDER BY lower(identifier), identifier, user_key
) TO $path (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"', NEW_LINE '\r\n')
