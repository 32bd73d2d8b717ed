-- Offline advisory database: OSV records as imported, the (ecosystem, package) index the
-- matcher loads from, and the sources records come from with their HTTP cache validators.

-- Where records come from: an OSV `all.zip` URL, a local zip, a directory or a JSON file.
CREATE TABLE advisory_source (
    id            INTEGER PRIMARY KEY,
    -- URL or absolute path, as the user gave it.
    location      TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('url', 'zip', 'dir', 'file')),
    -- 1 when `depwatch advisories sync` fetches it.
    configured    INTEGER NOT NULL DEFAULT 0 CHECK (configured IN (0, 1)),
    -- HTTP validators of the last full download, for conditional GET.
    etag          TEXT,
    last_modified TEXT,
    -- Unix seconds (UTC) of the last import attempt and its outcome.
    last_sync_at  INTEGER,
    -- `imported`, `not_modified` or `failed`.
    last_result   TEXT,
    last_error    TEXT,
    -- Records the last import read, and how many it skipped as unreadable.
    record_count  INTEGER NOT NULL DEFAULT 0,
    skipped_count INTEGER NOT NULL DEFAULT 0,
    added_at      INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;

-- One OSV record. OSV ids are unique across databases, so the id is the key.
CREATE TABLE advisory (
    id           TEXT PRIMARY KEY,
    -- OSV name of the first affected ecosystem (`crates.io`, `PyPI`), else the source's, else ''.
    ecosystem    TEXT NOT NULL,
    modified     TEXT NOT NULL,
    withdrawn    INTEGER NOT NULL CHECK (withdrawn IN (0, 1)),
    -- SHA-256 of raw_json: an unchanged record is never rewritten.
    content_hash BLOB NOT NULL,
    -- The record exactly as imported, for display and re-parsing.
    raw_json     TEXT NOT NULL,
    updated_at   INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT, WITHOUT ROWID;

CREATE INDEX advisory_ecosystem ON advisory (ecosystem);

-- The matcher's lookup: (ecosystem, normalized package name) -> record.
CREATE TABLE advisory_package (
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisory (id) ON DELETE CASCADE,
    PRIMARY KEY (ecosystem, name, advisory_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX advisory_package_by_advisory ON advisory_package (advisory_id);

-- Which sources hold which record: a full `all.zip` import removes what vanished from its
-- source, and a record leaves the database only when no source holds it any more (a GHSA
-- record sits in the npm and the PyPI export alike).
CREATE TABLE advisory_membership (
    source_id   INTEGER NOT NULL REFERENCES advisory_source (id) ON DELETE CASCADE,
    advisory_id TEXT NOT NULL REFERENCES advisory (id) ON DELETE CASCADE,
    PRIMARY KEY (source_id, advisory_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX advisory_membership_by_advisory ON advisory_membership (advisory_id);
