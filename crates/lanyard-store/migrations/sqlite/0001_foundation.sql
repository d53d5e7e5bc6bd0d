-- The foundation: org, settings, authorization servers and their policies, signing keys, API tokens, users.
-- Timestamps are milliseconds since the epoch (BIGINT); JSON is stored as TEXT.

CREATE TABLE org (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE authorization_servers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    audiences TEXT NOT NULL,
    status TEXT NOT NULL,
    signing_alg TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL
);

CREATE TABLE auth_server_policies (
    id TEXT PRIMARY KEY,
    auth_server_id TEXT NOT NULL REFERENCES authorization_servers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    priority BIGINT NOT NULL,
    status TEXT NOT NULL,
    system BOOLEAN NOT NULL,
    conditions TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL
);
CREATE INDEX auth_server_policies_server ON auth_server_policies (auth_server_id, priority);

CREATE TABLE auth_server_policy_rules (
    id TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL REFERENCES auth_server_policies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    priority BIGINT NOT NULL,
    status TEXT NOT NULL,
    system BOOLEAN NOT NULL,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL
);
CREATE INDEX auth_server_policy_rules_policy ON auth_server_policy_rules (policy_id, priority);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    auth_server_id TEXT NOT NULL REFERENCES authorization_servers (id) ON DELETE CASCADE,
    alg TEXT NOT NULL,
    status TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    sealed_private_key BLOB NOT NULL,
    created BIGINT NOT NULL,
    activated BIGINT,
    rotated BIGINT,
    retire_at BIGINT
);
-- At most one ACTIVE and one NEXT key per server and algorithm: concurrent first starts insert one each.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (auth_server_id, alg) WHERE status = 'ACTIVE';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (auth_server_id, alg) WHERE status = 'NEXT';

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    user_id TEXT,
    token_hash BLOB NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    last_used BIGINT,
    expires_at BIGINT
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    login TEXT NOT NULL,
    login_lower TEXT NOT NULL UNIQUE,
    profile TEXT NOT NULL,
    created BIGINT NOT NULL,
    activated BIGINT,
    status_changed BIGINT,
    last_login BIGINT,
    last_updated BIGINT NOT NULL,
    password_changed BIGINT
);
