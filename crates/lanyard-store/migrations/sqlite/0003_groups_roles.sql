-- Groups, their members, and administrator roles.
-- The built-in `Everyone` group (kind BUILT_IN) holds every user implicitly: it has no rows in group_members.
-- Deleting a user or a group deletes its memberships and roles.

CREATE TABLE directory_groups (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Unique whatever the case: the name lower-cased by the application (Unicode-aware, which SQL's lower() is not
    -- everywhere).
    name_lower TEXT NOT NULL UNIQUE,
    description TEXT,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    last_membership_updated BIGINT NOT NULL
);
CREATE INDEX directory_groups_kind ON directory_groups (kind, id);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
-- A group's members in user id order (the primary key), a user's groups in group id order (this index).
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE user_roles (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    -- A user holds each role once; the index also serves "the roles of a user".
    UNIQUE (user_id, kind)
);
