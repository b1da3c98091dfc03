-- "Sign out everywhere": each session remembers the account's generation when it signed in;
-- raising the generation makes every older session worthless at its next request.

ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
