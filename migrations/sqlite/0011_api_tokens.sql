-- API tokens a user makes for bots and tools: each with a name, the scopes it grants, and the
-- SHA-256 of its secret (the token itself is shown once, when made, and never stored). A
-- revoked token's row is deleted; an account's tokens go with it. Chat messages posted with a
-- token are marked as a bot's.

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    -- Scope names separated by commas: read, chat, moderate, broadcast.
    scopes       TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    -- The token's first characters, so its owner can tell tokens apart.
    hint         TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    last_used_ms INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, id);

ALTER TABLE chat_messages ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
