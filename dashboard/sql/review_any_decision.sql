-- Whether any keep decision exists (when none and there is no keep list, the review skips the
-- lookup of kept accounts altogether).
SELECT EXISTS (SELECT 1 FROM decisions WHERE decision = 'keep')
