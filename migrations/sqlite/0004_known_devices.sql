-- Browsers each account has signed in from: a random token in an HttpOnly cookie sent only to
-- the sign-in endpoint. Sign-ins that present one are not held up by guesses made elsewhere
-- against the account (see accounts/throttle.rs). Only a hash of the token is kept.

CREATE TABLE known_devices (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL
);
CREATE INDEX known_devices_by_user ON known_devices (user_id, created_ms);
