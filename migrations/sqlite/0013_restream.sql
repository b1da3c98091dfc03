-- Where a channel's broadcasts are also pushed (simulcast): an RTMP or RTMPS server address and
-- the stream key it expects there, each switched on or off by the channel's owner. The key is
-- never shown back in full (its last characters only) and never logged.

CREATE TABLE restream_destinations (
    id         INTEGER PRIMARY KEY,
    channel    TEXT    NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    stream_key TEXT    NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL
);
CREATE INDEX restream_destinations_by_channel ON restream_destinations (channel, id);
