-- The tables that differed before activity rows referred to their account by number (tests of the
-- migration; the product's schema adds the unchanged tables on open).
CREATE SEQUENCE IF NOT EXISTS snapshot_ids START 1;

-- One row per successful load (a users file with its activity files, an API sync, or the demo).
CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id        INTEGER PRIMARY KEY,
    source             VARCHAR NOT NULL,      -- 'csv', 'api' or 'demo'
    label              VARCHAR,               -- portal name or users file name
    files              VARCHAR NOT NULL,      -- JSON list of {"name","kind","sha256","rows"}
    as_of              DATE NOT NULL,
    loaded_at          TIMESTAMP NOT NULL,    -- UTC
    identity           VARCHAR NOT NULL,      -- 'email' or 'username': what user_key holds
    users              INTEGER NOT NULL,
    activity_rows      BIGINT NOT NULL,
    activity_unmatched BIGINT NOT NULL,
    is_demo            BOOLEAN NOT NULL DEFAULT false
);

-- One row per account per snapshot. Timestamps are naive UTC.
CREATE TABLE IF NOT EXISTS accounts (
    snapshot_id      INTEGER NOT NULL,
    user_key         VARCHAR NOT NULL,        -- trimmed, lower-cased e-mail (or username)
    user_id          VARCHAR,
    email            VARCHAR,                 -- as LearnUpon holds it (original case), trimmed
    username         VARCHAR,
    first_name       VARCHAR,
    last_name        VARCHAR,
    user_type        VARCHAR,                 -- lower-case: learner, manager, instructor, admin
    enabled          BOOLEAN NOT NULL,
    created_at       TIMESTAMP,
    last_sign_in_at  TIMESTAMP,
    sign_in_count    BIGINT,
    groups           VARCHAR[],
    account_expires  DATE,
    last_activity_at TIMESTAMP                -- latest matched activity-report timestamp
);  -- no PRIMARY KEY: the loader refuses duplicate keys, and the index costs seconds per million

-- Activity-report rows. user_key is null for rows that matched no account.
CREATE TABLE IF NOT EXISTS activity (
    snapshot_id  INTEGER NOT NULL,
    file_no      INTEGER NOT NULL,            -- position of the file in snapshots.files
    user_key     VARCHAR,
    identity     VARCHAR,                     -- as the report gave it, for unmatched rows only
    activity_at  TIMESTAMP NOT NULL,
    extra        MAP(VARCHAR, VARCHAR)        -- the report's other columns, for exploring
);
