-- Scopes a user consented to, per app and authorization server (Okta's user grants): one row per scope, revocable.
CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    auth_server_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created BIGINT NOT NULL,
    UNIQUE (user_id, client_id, auth_server_id, scope)
);
