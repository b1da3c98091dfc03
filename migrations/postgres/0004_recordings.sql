-- Recordings and their index (see migrations/sqlite/0009). Integers are BIGINT, as elsewhere.

ALTER TABLE channels ADD COLUMN record BIGINT NOT NULL DEFAULT 1;

CREATE TABLE recordings (
    id           BIGINT PRIMARY KEY,
    channel      TEXT   NOT NULL,
    title        TEXT   NOT NULL,
    started_ms   BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0,
    state        TEXT   NOT NULL,
    problem      TEXT,
    visibility   TEXT   NOT NULL DEFAULT 'public'
);
CREATE INDEX recordings_by_channel ON recordings (channel, started_ms);
CREATE INDEX recordings_by_start ON recordings (started_ms);

CREATE TABLE recording_inits (
    recording BIGINT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    run       BIGINT NOT NULL,
    mime      TEXT   NOT NULL,
    PRIMARY KEY (recording, run)
);

CREATE TABLE recording_segments (
    recording   BIGINT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    run         BIGINT NOT NULL,
    at_ms       BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    media_us    BIGINT NOT NULL,
    wall_ms     BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    PRIMARY KEY (recording, seq)
);
CREATE INDEX recording_segments_by_time ON recording_segments (recording, at_ms);
