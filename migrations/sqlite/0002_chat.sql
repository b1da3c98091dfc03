-- Every chat message, and who may not post in which channel's chat.

CREATE TABLE chat_messages (
    id      INTEGER PRIMARY KEY,
    channel TEXT    NOT NULL,
    -- The author's username, from their session.
    author  TEXT    NOT NULL,
    text    TEXT    NOT NULL,
    sent_ms INTEGER NOT NULL,
    -- Set when the channel's owner deletes it; the message stays on record.
    deleted_ms INTEGER
);

CREATE INDEX chat_messages_by_channel ON chat_messages (channel, id);

CREATE TABLE chat_bans (
    channel   TEXT    NOT NULL,
    username  TEXT    NOT NULL COLLATE NOCASE,
    banned_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, username)
);
