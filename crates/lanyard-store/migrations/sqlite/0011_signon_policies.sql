-- Okta sign-on policies (type OKTA_SIGN_ON) and their rules (type SIGN_ON). Conditions and actions are Okta's JSON,
-- validated by lanyard_core::signin::policy. Priorities are dense; the system Default Policy (and its Default Rule)
-- stays last.
CREATE TABLE signon_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    priority BIGINT NOT NULL,
    status TEXT NOT NULL,
    system BOOLEAN NOT NULL,
    conditions TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL
);
CREATE INDEX signon_policies_priority ON signon_policies (priority, id);

CREATE TABLE signon_policy_rules (
    id TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL REFERENCES signon_policies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    priority BIGINT NOT NULL,
    status TEXT NOT NULL,
    system BOOLEAN NOT NULL,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL
);
CREATE INDEX signon_policy_rules_policy ON signon_policy_rules (policy_id, priority, id);
