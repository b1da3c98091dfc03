-- Webhooks: addresses told of a channel's events (its owner's), or of every channel's
-- (channel NULL: an operator's, for the whole server); each with the events it wants and the
-- secret its requests are signed with. Their deliveries: the latest attempts, for the studio.

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    channel    TEXT,
    url        TEXT    NOT NULL,
    -- Event names separated by commas.
    events     TEXT    NOT NULL,
    -- The HMAC-SHA256 key (hex) the requests are signed with; shown to the maker once.
    secret     TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX webhooks_by_channel ON webhooks (channel);

CREATE TABLE webhook_deliveries (
    id       INTEGER PRIMARY KEY,
    hook_id  INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    delivery TEXT    NOT NULL,
    event    TEXT    NOT NULL,
    attempt  INTEGER NOT NULL,
    -- The receiver's HTTP status, or NULL when there was none (the error says why).
    status   INTEGER,
    error    TEXT,
    at_ms    INTEGER NOT NULL,
    took_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (hook_id, id);
