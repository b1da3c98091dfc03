-- Operators moderate every channel's chat and can end any broadcast (see
-- migrations/sqlite/0007). 0 or 1, as in SQLite, so one query reads both.

ALTER TABLE users ADD COLUMN operator BIGINT NOT NULL DEFAULT 0;
