-- The apps signed into each SSO session: those told when the session ends (OIDC Back-Channel and Front-Channel
-- Logout). One row per app and authorization server, going with its session (ended, expired, or its user deleted).
CREATE TABLE session_apps (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    auth_server_id TEXT NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (session_id, client_id, auth_server_id)
);
