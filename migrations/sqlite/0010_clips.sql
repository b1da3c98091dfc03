-- Clips: a short part of a recording (a live broadcast's last seconds, or a replay's range)
-- cut into an MP4 of its own (`-c copy`, from a keyframe, faststart), with its own page. It
-- outlives its recording; the channel's owner and the operators delete it.

CREATE TABLE clips (
    id          INTEGER PRIMARY KEY,
    recording   INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    -- The range of the recording it holds, ms on its timeline (from a keyframe).
    from_ms     INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    -- Who cut it (a username) and when.
    made_by     TEXT    NOT NULL,
    made_ms     INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    -- The segment whose picture is its thumbnail.
    poster_seq  INTEGER NOT NULL
);

CREATE INDEX clips_by_channel ON clips (channel, made_ms);
