-- The sweep of expired records deletes every short-lived kind by `expires_at`: the kinds without an index on it get
-- one (auth codes, grants, device codes, pushed requests and sessions have theirs).
CREATE INDEX one_time_tokens_expires_at ON one_time_tokens (expires_at);
-- Only unrotated refresh tokens are swept by expiry; rotated ones go with their grant.
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at) WHERE rotated_at IS NULL;
CREATE INDEX revoked_access_tokens_expires_at ON revoked_access_tokens (expires_at);
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);
