-- Whether the channel's broadcasts are made in the quality ladder (see
-- migrations/sqlite/0008). 0 or 1, as in SQLite, so one query reads both.

ALTER TABLE channels ADD COLUMN ladder BIGINT NOT NULL DEFAULT 1;
