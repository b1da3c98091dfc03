-- Follows: a user follows channels; the home page lists the live ones first, the channel page
-- counts them, and (later) followers-only chat asks since when.
CREATE TABLE follows (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel  TEXT    NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    since_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, channel)
);
CREATE INDEX follows_by_channel ON follows (channel);

-- A channel's schedule: broadcasts its owner announces, each with a title and a start time
-- (Unix ms, UTC; shown in each viewer's own time zone).
CREATE TABLE schedule (
    id         INTEGER PRIMARY KEY,
    channel    TEXT    NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    starts_ms  INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX schedule_by_channel ON schedule (channel, starts_ms);
CREATE INDEX schedule_by_start ON schedule (starts_ms);

-- A timeout is a ban with an end (Unix ms); NULL: until lifted.
ALTER TABLE chat_bans ADD COLUMN until_ms INTEGER;

-- A channel's chat rules, set by its owner: slow mode (one message per `slow_secs` per
-- person; 0: off) and followers-only (followed for at least `followers_only_min` minutes;
-- NULL: off). The owner and the operators are held to neither.
CREATE TABLE chat_rules (
    channel            TEXT    PRIMARY KEY REFERENCES channels (name) ON DELETE CASCADE,
    slow_secs          INTEGER NOT NULL DEFAULT 0,
    followers_only_min INTEGER
);

-- Slow mode asks when a person last posted (PostgreSQL has had this index from the start).
CREATE INDEX chat_messages_by_author ON chat_messages (lower(author), sent_ms);

-- The author's standing when they posted ('owner', 'operator'), shown as a badge; NULL: a
-- viewer.
ALTER TABLE chat_messages ADD COLUMN role TEXT;

-- The message a message replies to (quoted beside it, unless it was deleted).
ALTER TABLE chat_messages ADD COLUMN reply_to INTEGER;
