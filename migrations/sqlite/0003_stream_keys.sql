-- Each channel's stream key for OBS and other RTMP software, made when its owner first asks
-- for it and replaced when they reset it. Kept as is: its owner may reveal it again.

CREATE TABLE stream_keys (
    channel    TEXT    PRIMARY KEY REFERENCES channels (name) ON DELETE CASCADE,
    stream_key TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
