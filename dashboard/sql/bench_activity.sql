-- The benchmark's activity report ("Email", "Login Date", "Course") from numeric draws.
-- Reads bench_activity_draws (owner = account idx, or -1 for a former account) and bench_users.
SELECT
    CASE
        WHEN a.owner < 0 THEN 'former.' || (-a.owner)::VARCHAR || '@example.org'
        WHEN a.lower_case THEN lower(u."Email")
        ELSE u."Email"
    END AS "Email",
    strftime(make_timestamp(a.at_s * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS "Login Date",
    $courses[a.course + 1] AS "Course"
FROM bench_activity_draws AS a
LEFT JOIN bench_users AS u ON u.idx = a.owner
ORDER BY a.row_no
