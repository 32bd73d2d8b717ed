-- What the desktop screens and the pipeline need beyond 0004: how a package is declared, how
-- depwatch learnt of a snapshot (and who pushed it), where a finding came from and how the
-- vulnerable package is reached, and the history of finding states (for the trend chart).

-- 0 when `version` is a declared range from a manifest (`^1.2`), not an installed version.
ALTER TABLE snapshot_package ADD COLUMN pinned INTEGER NOT NULL DEFAULT 1 CHECK (pinned IN (0, 1));
-- `depwatch_core::Source`.
ALTER TABLE snapshot_package ADD COLUMN source TEXT NOT NULL DEFAULT 'registry'
    CHECK (source IN ('registry', 'git', 'path', 'url', 'workspace'));
-- JSON array: where the file records the package (npm install paths, yarn descriptors, …).
ALTER TABLE snapshot_package ADD COLUMN paths TEXT NOT NULL DEFAULT '[]';

-- The ref's previous head, when the push (or poll) named one.
ALTER TABLE snapshot ADD COLUMN from_commit TEXT;
-- Display name of the pusher (webhook actor) or commit author, when known.
ALTER TABLE snapshot ADD COLUMN author TEXT;
-- How depwatch learnt of the commit.
ALTER TABLE snapshot ADD COLUMN via TEXT NOT NULL DEFAULT 'scan'
    CHECK (via IN ('scan', 'webhook', 'poll'));

-- What brought the finding in: a (historical) scan, a push, or a new advisory matched
-- against packages already in use.
ALTER TABLE finding ADD COLUMN origin TEXT NOT NULL DEFAULT 'scan'
    CHECK (origin IN ('scan', 'push', 'advisory'));
-- Direct dependency of a project in the repository; NULL when the file cannot tell.
ALTER TABLE finding ADD COLUMN direct INTEGER CHECK (direct IN (0, 1));
-- JSON array of `name@version`: the shortest path from a project root (or a direct
-- dependency) to the vulnerable package, from the lockfile's graph; [] when unknown.
ALTER TABLE finding ADD COLUMN dependency_path TEXT NOT NULL DEFAULT '[]';
-- Unix ms of the last state change (by the user, by a fix, by an ignore expiring).
ALTER TABLE finding ADD COLUMN state_changed_at INTEGER;

-- Every state change of a finding after it was first seen (in state 'open'), oldest first:
-- what the state was on any past day.
CREATE TABLE finding_state_change (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES finding (id) ON DELETE CASCADE,
    state      TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'closed', 'ignored')),
    reason     TEXT,
    -- Unix ms.
    at         INTEGER NOT NULL
) STRICT;

CREATE INDEX finding_state_change_finding ON finding_state_change (finding_id, at);
CREATE INDEX finding_first_seen_snapshot ON finding (first_seen_snapshot);
CREATE INDEX finding_fixed_in_snapshot ON finding (fixed_in_snapshot);
CREATE INDEX finding_advisory ON finding (advisory_id);
CREATE INDEX snapshot_scanned_at ON snapshot (scanned_at);
