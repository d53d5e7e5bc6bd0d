-- Users' passwords, apart from the user rows that lists read: the current Argon2id hash (PHC string, parameters
-- included) and the previous hashes the password policy's history rule checks (JSON array, newest first).
CREATE TABLE user_passwords (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    history TEXT NOT NULL,
    changed BIGINT NOT NULL
);
