-- Authorization requests referred to by a `urn:ietf:params:oauth:request_uri:…` (pushed ones, RFC 9126, and those the
-- authorization endpoint keeps across sign-in), by the SHA-256 of the reference. Taken once: consuming is one
-- `DELETE … RETURNING`, so of two concurrent consumers only one gets the row.

CREATE TABLE pushed_requests (
    hash BYTEA PRIMARY KEY,
    client_id TEXT NOT NULL,
    auth_server_id TEXT NOT NULL,
    -- The request's parameters: a JSON array of [name, value] pairs.
    params TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pushed_requests_expires_at ON pushed_requests (expires_at);
