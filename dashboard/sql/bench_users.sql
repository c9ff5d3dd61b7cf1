-- The benchmark's users report, formatted the way a LearnUpon users export looks, from numeric draws.
-- Reads the registered relation bench_user_draws (one row per account, idx = 0..n-1).
SELECT
    d.idx,
    CASE d.style
        WHEN 0 THEN lower($first_slugs[d.first + 1] || '.' || $last_slugs[d.last + 1] || d.idx::VARCHAR
            || '@' || $domains[d.domain + 1])
        WHEN 1 THEN $first_slugs[d.first + 1] || '.' || $last_slugs[d.last + 1] || d.idx::VARCHAR
            || '@' || $domains[d.domain + 1]
        ELSE upper($first_slugs[d.first + 1] || '.' || $last_slugs[d.last + 1] || d.idx::VARCHAR
            || '@' || $domains[d.domain + 1])
    END AS "Email",
    $first_names[d.first + 1] AS "First Name",
    $last_names[d.last + 1] AS "Last Name",
    $user_types[d.user_type + 1] AS "User Type",
    CASE WHEN d.disabled THEN 'No' ELSE 'Yes' END AS "Enabled",
    strftime(make_timestamp(d.created_s * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS "Date Created",
    CASE WHEN d.last_login_s >= 0
        THEN strftime(make_timestamp(d.last_login_s * 1000000), '%Y-%m-%dT%H:%M:%SZ')
    END AS "Last Login",
    d.sign_in_count AS "Sign In Count",
    nullif(concat_ws(', ',
        CASE WHEN d.group_a >= 0 THEN $groups[d.group_a + 1] END,
        CASE WHEN d.group_b >= 0 THEN $groups[d.group_b + 1] END), '') AS "Groups",
    (100000 + d.idx)::VARCHAR AS "User ID"
FROM bench_user_draws AS d
