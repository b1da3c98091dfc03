-- Chat moderators, blocked terms, name colours, emotes, Web Push and avatars (see migrations/sqlite/0015).

CREATE TABLE chat_moderators (
    channel  TEXT   NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    since_ms BIGINT NOT NULL,
    PRIMARY KEY (channel, user_id)
);
CREATE INDEX chat_moderators_by_user ON chat_moderators (user_id);

ALTER TABLE chat_rules ADD COLUMN blocked_terms TEXT NOT NULL DEFAULT '';

ALTER TABLE users ADD COLUMN name_colour TEXT;
ALTER TABLE chat_messages ADD COLUMN colour TEXT;

CREATE TABLE emotes (
    channel  TEXT   NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    name     TEXT   NOT NULL,
    png      BYTEA  NOT NULL,
    added_ms BIGINT NOT NULL,
    PRIMARY KEY (channel, name)
);

CREATE TABLE push_keys (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    secret_hex TEXT   NOT NULL
);
CREATE TABLE push_subscriptions (
    endpoint   TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    p256dh     TEXT   NOT NULL,
    auth       TEXT   NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

ALTER TABLE channels ADD COLUMN avatar BYTEA;
