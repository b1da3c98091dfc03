-- Chat moderators: people a channel's owner appoints to keep its chat (delete, time out, ban,
-- the blocked terms). They never act on the owner, an operator or another moderator.
CREATE TABLE chat_moderators (
    channel  TEXT    NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    since_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, user_id)
);
CREATE INDEX chat_moderators_by_user ON chat_moderators (user_id);

-- A channel's blocked terms, one per line (lower case): a message holding one is refused.
ALTER TABLE chat_rules ADD COLUMN blocked_terms TEXT NOT NULL DEFAULT '';

-- The colour a user picks for their name in chat ('#rrggbb'); NULL: the default.
ALTER TABLE users ADD COLUMN name_colour TEXT;
-- Kept with each message, as its author's role is, so a replay shows it as it was.
ALTER TABLE chat_messages ADD COLUMN colour TEXT;

-- A channel's chat emotes, used as :name: (names keep their case). `png` is our own encoding
-- of the upload (at most 112 px a side), never the uploaded bytes.
CREATE TABLE emotes (
    channel  TEXT    NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    png      BLOB    NOT NULL,
    added_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, name)
);

-- Web Push: the server's VAPID signing key (one row, made at the first start), and the
-- browsers each user subscribed (a followed channel going live is pushed to them).
CREATE TABLE push_keys (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret_hex TEXT    NOT NULL
);
CREATE TABLE push_subscriptions (
    endpoint   TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    p256dh     TEXT    NOT NULL,
    auth       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

-- A channel's avatar: our own PNG of what its owner uploaded (at most 256 px a side), shown
-- while it is off air with no recorded broadcast to show.
ALTER TABLE channels ADD COLUMN avatar BLOB;
