-- The system log. The attributes filters read are columns; targets are also kept joined as '|a|b|' so that
-- `target.id eq "x"` is one indexed-row test; `search_text` is the lower-cased text `q` searches.
CREATE TABLE log_events (
    uuid TEXT PRIMARY KEY,
    published BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    severity TEXT NOT NULL,
    display_message TEXT NOT NULL,
    outcome_result TEXT NOT NULL,
    outcome_reason TEXT,
    actor_id TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_alternate_id TEXT NOT NULL,
    actor_display_name TEXT NOT NULL,
    client_ip TEXT,
    user_agent TEXT,
    targets TEXT NOT NULL,
    target_ids TEXT NOT NULL,
    target_types TEXT NOT NULL,
    target_alternate_ids TEXT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX log_events_published ON log_events (published);
CREATE INDEX log_events_event_type ON log_events (event_type, uuid);
CREATE INDEX log_events_actor ON log_events (actor_id, uuid);
