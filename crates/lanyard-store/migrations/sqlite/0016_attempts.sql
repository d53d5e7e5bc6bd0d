-- What stops brute force without locking owners out (lanyard_core::signin::attempts), where every node sees it.

-- Wrong answers to a state token's second factor: at the limit the token is deleted in the same statement.
ALTER TABLE one_time_tokens ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- Failures counted under a key: a client source, an unknown login, a factor (the key is the SHA-256 of the kind and
-- what it counts). A count older than its memory starts again at one.
CREATE TABLE attempt_counts (
    key BLOB PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX attempt_counts_expires_at ON attempt_counts (expires_at);

-- Browsers that completed a sign-in, per user (the key is the SHA-256 of the user id and the device cookie's hash):
-- an account locked by failures stays open to them.
CREATE TABLE known_devices (
    key BLOB PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id);
CREATE INDEX known_devices_expires_at ON known_devices (expires_at);
