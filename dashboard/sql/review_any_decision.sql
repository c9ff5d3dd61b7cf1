-- Whether any keep decision exists (when none and no rule names accounts, the review skips the
-- lookup of named accounts altogether).
SELECT EXISTS (SELECT 1 FROM decisions WHERE decision = 'keep')
