-- How many accounts match a Review-page filter (used when the page asked for lies past the end).
SELECT count(*)
FROM review_accounts(
    $snap, $cutoff_ts, $grace_ts, $protect_types, $protect_domains, $protect_groups, $keep_keys,
    $any_kept
)
WHERE category_no IN (SELECT unnest(CAST($category_nos AS INTEGER[])))
    -- the category test repeated first, so only rows of those categories are searched
    AND ($search = ''
         OR (list_contains(CAST($category_nos AS INTEGER[]), category_no)
             AND contains(lower(concat_ws(' ', email, username, first_name, last_name,
                                          user_type, array_to_string(groups, ' '))),
                          $search)))
