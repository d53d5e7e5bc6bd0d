-- Okta's Trusted Origins: web origins browsers may call Lanyard from (CORS) or be redirected to (REDIRECT). Each
-- origin, normalised (`scheme://host[:port]`, lower case), at most once.

CREATE TABLE trusted_origins (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    origin TEXT NOT NULL UNIQUE,
    cors BOOLEAN NOT NULL,
    redirect BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    created BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    last_updated BIGINT NOT NULL,
    last_updated_by TEXT NOT NULL
);
