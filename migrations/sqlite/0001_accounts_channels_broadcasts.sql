-- Accounts, their channels, and the record of every broadcast.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- As typed at sign-up; unique whatever the case.
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    -- argon2id, in PHC string format.
    password_hash TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL
);

-- One channel per user, named after the username in lower case: /watch/{name}.
CREATE TABLE channels (
    name     TEXT    PRIMARY KEY,
    owner_id INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    title    TEXT    NOT NULL
);

CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    -- What was broadcast, e.g. "test pattern" or "file: talk.mp4".
    source       TEXT    NOT NULL,
    started_ms   INTEGER NOT NULL,
    ended_ms     INTEGER,
    -- 'stopped', 'failed' or 'server shutdown'; NULL while on air.
    end_reason   TEXT,
    -- What went wrong, when it failed.
    failure      TEXT,
    peak_viewers INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX broadcasts_by_channel ON broadcasts (channel, started_ms);
