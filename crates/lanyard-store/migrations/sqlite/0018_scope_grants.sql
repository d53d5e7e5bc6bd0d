-- Okta's scope consent grants (`/api/v1/apps/{appId}/grants`): the `okta.*` scopes an administrator allowed a service
-- app to ask the org authorization server for. Each scope at most once per app; gone with the app.

CREATE TABLE scope_grants (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    scope_id TEXT NOT NULL,
    issuer TEXT NOT NULL,
    created BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (app_id, scope_id)
);
