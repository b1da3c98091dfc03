-- Every broadcast's recording (its top rendition, as the hub had it) and the index that finds
-- any moment of it without reading the files: one row per segment (a keyframe and what follows
-- it), one per encoder run's init segment. The bytes live in the recordings' storage
-- (recordings::storage), under keys these rows name.

-- Whether the channel's broadcasts are recorded: 1, or 0 when its owner turned it off.
ALTER TABLE channels ADD COLUMN record INTEGER NOT NULL DEFAULT 1;

CREATE TABLE recordings (
    -- The broadcast's id: one recording per broadcast.
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    started_ms   INTEGER NOT NULL,
    -- Playing time of every indexed segment.
    duration_ms  INTEGER NOT NULL DEFAULT 0,
    bytes        INTEGER NOT NULL DEFAULT 0,
    -- 'recording' while written; 'complete'; 'cut' (the server stopped without closing it);
    -- 'stopped' (storage failed: what was written stays).
    state        TEXT    NOT NULL,
    -- Why it stopped early, when it did.
    problem      TEXT,
    -- 'public', 'unlisted' (not listed, playable by link) or 'private' (owner only).
    visibility   TEXT    NOT NULL DEFAULT 'public'
);

CREATE INDEX recordings_by_channel ON recordings (channel, started_ms);
CREATE INDEX recordings_by_start ON recordings (started_ms);

CREATE TABLE recording_inits (
    recording INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    run       INTEGER NOT NULL,
    mime      TEXT    NOT NULL,
    PRIMARY KEY (recording, run)
);

CREATE TABLE recording_segments (
    recording   INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    -- The init segment it decodes with.
    run         INTEGER NOT NULL,
    -- Where it starts on the recording's own timeline (runs follow each other without gaps).
    at_ms       INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    -- Where its media starts on its run's timeline (decode time), microseconds: the player
    -- shifts it by at_ms - this.
    media_us    INTEGER NOT NULL,
    -- When it was made (Unix ms): lines the chat up with the picture.
    wall_ms     INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    PRIMARY KEY (recording, seq)
);

CREATE INDEX recording_segments_by_time ON recording_segments (recording, at_ms);
