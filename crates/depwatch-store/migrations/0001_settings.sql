-- Key/value settings the app persists across restarts (monitoring paused, listener port, …).
-- Values are JSON text so a setting can grow structure without a migration.
CREATE TABLE setting (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
