-- The Authorization Servers API: scopes and custom claims of custom authorization servers, and the ids of deleted
-- servers (so that bootstrap does not bring a deleted `default` back). A server's scopes and claims go with it,
-- like its policies, rules and keys.

CREATE TABLE auth_server_scopes (
    id TEXT PRIMARY KEY,
    auth_server_id TEXT NOT NULL REFERENCES authorization_servers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    display_name TEXT,
    description TEXT,
    consent TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    metadata_publish TEXT NOT NULL,
    system BOOLEAN NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    UNIQUE (auth_server_id, name)
);

CREATE TABLE auth_server_claims (
    id TEXT PRIMARY KEY,
    auth_server_id TEXT NOT NULL REFERENCES authorization_servers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    claim_type TEXT NOT NULL,
    value_type TEXT NOT NULL,
    value TEXT NOT NULL,
    always_include_in_token BOOLEAN NOT NULL,
    -- JSON array of scope names
    scopes TEXT NOT NULL,
    group_filter_type TEXT,
    system BOOLEAN NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    UNIQUE (auth_server_id, claim_type, name)
);

CREATE TABLE deleted_auth_servers (
    id TEXT PRIMARY KEY,
    deleted BIGINT NOT NULL
);

CREATE INDEX authorization_servers_kind ON authorization_servers (kind, id);
