-- An org's own integrations (`POST /api/v1/catalog/apps`): the manifest's text as submitted, validated like the
-- built-in ones, by key.

CREATE TABLE catalog_entries (
    name TEXT PRIMARY KEY,
    manifest TEXT NOT NULL,
    revision TEXT NOT NULL,
    created BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
