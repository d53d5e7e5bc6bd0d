-- What sign-in keeps: SSO sessions, one-time tokens, MFA factors and the failed-attempt counter behind lockout.
-- Secrets are never stored: sessions and one-time tokens by the SHA-256 of their value, factor secrets sealed with
-- the master key. Everything goes with its user (ON DELETE CASCADE).

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- JSON array of authentication methods (`pwd`, `otp`, …).
    amr TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Single use: consuming is one `DELETE … RETURNING`, so of two concurrent consumers only one gets the row.
CREATE TABLE one_time_tokens (
    token_hash BYTEA PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX one_time_tokens_user_kind ON one_time_tokens (user_id, kind);

CREATE TABLE factors (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    factor_type TEXT NOT NULL,
    provider TEXT NOT NULL,
    status TEXT NOT NULL,
    sealed_secret BYTEA NOT NULL,
    -- The last TOTP time step accepted; only a later one is (a conditional UPDATE), so a code is usable once.
    last_used_step BIGINT,
    profile TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL
);
CREATE INDEX factors_user ON factors (user_id, created);

-- Consecutive failed sign-ins, apart from the user row (which `update_user` replaces whole). No row: no failures.
CREATE TABLE signin_failures (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    attempts INTEGER NOT NULL,
    last_failure BIGINT NOT NULL,
    -- Set when the failures locked the user: when the lock ends by itself.
    lockout_until BIGINT
);
