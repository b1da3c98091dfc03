-- Operators moderate every channel's chat and can end any broadcast. The grant is explicit, on
-- the command line (`onair operator add NAME`) for an account that exists, never a name
-- reserved in the settings for whoever signs up with it first.

ALTER TABLE users ADD COLUMN operator INTEGER NOT NULL DEFAULT 0;
