-- Apps (OIDC clients), their secrets and assignments; and what the authorization server issued: codes, grants,
-- refresh tokens, revoked access tokens. Secrets, codes and refresh tokens are stored by their SHA-256 only.

CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    -- The label lower-cased by the application, for `q`.
    label_lower TEXT NOT NULL,
    status TEXT NOT NULL,
    sign_on_mode TEXT NOT NULL,
    -- The OAuth client settings as JSON (`lanyard_core::model::OAuthClient`).
    client TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL
);

CREATE TABLE client_secrets (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    hash BYTEA NOT NULL,
    prefix TEXT NOT NULL,
    status TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL
);
CREATE INDEX client_secrets_app ON client_secrets (app_id, created);

CREATE TABLE app_users (
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
CREATE INDEX app_users_user ON app_users (user_id);

CREATE TABLE app_groups (
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    priority BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    PRIMARY KEY (app_id, group_id)
);

-- Codes stay after use until they expire, so a replay is recognised and revokes what the first use produced.
CREATE TABLE auth_codes (
    hash BYTEA PRIMARY KEY,
    grant_id TEXT NOT NULL,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    auth_server_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX grants_user ON grants (user_id);
CREATE INDEX grants_expires_at ON grants (expires_at);

CREATE TABLE refresh_tokens (
    hash BYTEA PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);

CREATE TABLE revoked_access_tokens (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- One-time identifiers already seen (`jti` of client assertions and DPoP proofs), until they expire.
CREATE TABLE used_jtis (
    key TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
