-- Device authorization requests (RFC 8628), by the SHA-256 of their device code and of their user code. A code stays
-- after it is redeemed until it expires, so a second redemption is recognised and revokes what the first produced.

CREATE TABLE device_codes (
    hash BYTEA PRIMARY KEY,
    user_code_hash BYTEA NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    auth_server_id TEXT NOT NULL,
    -- PENDING, APPROVED, DENIED, REDEEMED.
    status TEXT NOT NULL,
    -- Seconds between polls; grows with every slow_down.
    interval_secs BIGINT NOT NULL,
    last_polled BIGINT,
    -- Who approved it: set with the approval, which goes with its user.
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- grant id, scopes, created (`lanyard_store::sql_device::DeviceData`).
    data TEXT NOT NULL,
    -- session id, auth time, amr, decision time (`lanyard_store::sql_device::ApprovalData`).
    approval TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
