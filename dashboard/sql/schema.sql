-- The product's tables. Every statement is idempotent; store.connect() runs this file on open.
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
    account_no       INTEGER NOT NULL,        -- 1, 2, ... in the users report's (or API's) order
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

-- Activity-report rows. account_no is the matching account of the same snapshot (null when none
-- matched): a number, because ten million copies of the account's key cost seconds to store.
CREATE TABLE IF NOT EXISTS activity (
    snapshot_id  INTEGER NOT NULL,
    file_no      INTEGER NOT NULL,            -- position of the file in snapshots.files
    account_no   INTEGER,                     -- accounts.account_no of the same snapshot
    identity     VARCHAR,                     -- as the report gave it, for unmatched rows only
    activity_at  TIMESTAMP NOT NULL,
    extra        JSON                         -- the report's other columns: {"Course": "..."}
);

-- Per-account keep/release decisions made on the Review page; they outlive snapshots.
CREATE TABLE IF NOT EXISTS decisions (
    user_key   VARCHAR PRIMARY KEY,
    decision   VARCHAR NOT NULL,              -- 'keep' or 'release'
    note       VARCHAR,
    decided_at TIMESTAMP NOT NULL
);

-- Contract and review settings as JSON values (seat limit, tiers, price, currency, dates, rules).
CREATE TABLE IF NOT EXISTS settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per export: when, which snapshot, the rules used, the counts, the files' SHA-256.
CREATE SEQUENCE IF NOT EXISTS export_ids START 1;
CREATE TABLE IF NOT EXISTS exports (
    export_id   INTEGER PRIMARY KEY,
    exported_at TIMESTAMP NOT NULL,
    snapshot_id INTEGER NOT NULL,
    rules       VARCHAR NOT NULL,             -- JSON
    counts      VARCHAR NOT NULL,             -- JSON
    files       VARCHAR NOT NULL,             -- JSON list of {"name","kind","sha256","rows"}
    actor       VARCHAR                       -- 'cli' or 'app'
);
