-- Bitbucket Server / Data Center instances, their projects and repositories (the perimeter),
-- what was scanned (snapshots) and what was found (findings), and the resumable historical scan.

-- One configured Bitbucket instance. Secrets are not here: they live in the OS keychain or the
-- owner-only secrets file, keyed by the instance name.
CREATE TABLE instance (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT NOT NULL UNIQUE,
    -- Base URL including the context path, without a trailing slash.
    base_url                TEXT NOT NULL,
    auth_kind               TEXT NOT NULL CHECK (auth_kind IN ('bearer', 'basic', 'oauth')),
    -- Basic auth user name.
    username                TEXT,
    -- OAuth 1.0a consumer key of the Application Link.
    consumer_key            TEXT,
    -- PEM file with extra trusted CA certificates.
    ca_path                 TEXT,
    -- Client-side request ceiling; NULL = unlimited.
    max_requests_per_second INTEGER,
    -- Perimeter: 'all' (every project, also those created later) or 'projects' (selected ones).
    perimeter_mode          TEXT NOT NULL DEFAULT 'all' CHECK (perimeter_mode IN ('all', 'projects')),
    include_personal        INTEGER NOT NULL DEFAULT 1,
    include_archived        INTEGER NOT NULL DEFAULT 0,
    state                   TEXT NOT NULL DEFAULT 'unchecked'
                            CHECK (state IN ('unchecked', 'ok', 'auth_error', 'unreachable', 'authorization_pending')),
    last_error              TEXT,
    last_checked_at         INTEGER,
    server_version          TEXT,
    user_name               TEXT,
    created_at              INTEGER NOT NULL
) STRICT;

CREATE TABLE project (
    id          INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instance (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    name        TEXT,
    personal    INTEGER NOT NULL DEFAULT 0,
    -- Chosen in 'projects' perimeter mode.
    selected    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (instance_id, key)
) STRICT;

-- Keyed by Bitbucket's numeric id: slugs change on rename or move.
CREATE TABLE repository (
    id              INTEGER PRIMARY KEY,
    instance_id     INTEGER NOT NULL REFERENCES instance (id) ON DELETE CASCADE,
    bb_id           INTEGER NOT NULL,
    project_key     TEXT NOT NULL,
    slug            TEXT NOT NULL,
    name            TEXT,
    archived        INTEGER NOT NULL DEFAULT 0,
    personal        INTEGER NOT NULL DEFAULT 0,
    -- Full ref id (refs/heads/main); NULL until known or for an empty repository.
    default_branch  TEXT,
    -- 0 = excluded from the perimeter by the user.
    monitored       INTEGER NOT NULL DEFAULT 1,
    last_scanned_at INTEGER,
    UNIQUE (instance_id, bb_id)
) STRICT;

CREATE INDEX repository_project ON repository (instance_id, project_key, slug);

-- The last commit processed per ref, so catch-up polling knows where it stands.
CREATE TABLE ref_state (
    repository_id INTEGER NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    ref_id        TEXT NOT NULL,
    head_commit   TEXT,
    gone          INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, ref_id)
) STRICT;

-- What one ref looked like at one commit: the manifests read (with their diagnostics as JSON).
CREATE TABLE snapshot (
    id            INTEGER PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    ref_id        TEXT NOT NULL,
    commit_id     TEXT NOT NULL,
    scanned_at    INTEGER NOT NULL,
    manifests     TEXT NOT NULL
) STRICT;

CREATE INDEX snapshot_ref ON snapshot (repository_id, ref_id, id);

CREATE TABLE snapshot_package (
    snapshot_id INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    manifest    TEXT NOT NULL,
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    direct      INTEGER,
    scope       TEXT NOT NULL
) STRICT;

CREATE INDEX snapshot_package_snapshot ON snapshot_package (snapshot_id);
CREATE INDEX snapshot_package_name ON snapshot_package (ecosystem, name);

-- A package version in a manifest of a ref that an advisory affects. A finding is identified by
-- (repository, ref, advisory, ecosystem, package, version, manifest) while it is present; once
-- fixed it keeps its row, and a reintroduction opens a new one.
CREATE TABLE finding (
    id                 INTEGER PRIMARY KEY,
    repository_id      INTEGER NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    ref_id             TEXT NOT NULL,
    advisory_id        TEXT NOT NULL,
    -- JSON array of the other ids of the same issue.
    aliases            TEXT NOT NULL,
    ecosystem          TEXT NOT NULL,
    package            TEXT NOT NULL,
    version            TEXT NOT NULL,
    manifest           TEXT NOT NULL,
    severity           TEXT NOT NULL,
    score              REAL,
    kind               TEXT NOT NULL,
    -- Version to upgrade to, when the advisory names one.
    fixed_version      TEXT,
    summary            TEXT,
    state              TEXT NOT NULL DEFAULT 'open'
                       CHECK (state IN ('open', 'acknowledged', 'closed', 'ignored')),
    state_reason       TEXT,
    state_comment      TEXT,
    -- Ignored until this time (Unix ms); NULL = for good.
    state_until        INTEGER,
    first_seen_snapshot INTEGER NOT NULL REFERENCES snapshot (id) ON DELETE CASCADE,
    first_seen_commit  TEXT NOT NULL,
    first_seen_at      INTEGER NOT NULL,
    fixed_in_snapshot  INTEGER REFERENCES snapshot (id) ON DELETE SET NULL,
    fixed_in_commit    TEXT,
    fixed_at           INTEGER
) STRICT;

CREATE UNIQUE INDEX finding_present ON finding
    (repository_id, ref_id, advisory_id, ecosystem, package, version, manifest)
    WHERE fixed_at IS NULL;
CREATE INDEX finding_state ON finding (state, severity);

-- The resumable historical scan: one row per repository of the perimeter.
CREATE TABLE scan_item (
    repository_id INTEGER PRIMARY KEY REFERENCES repository (id) ON DELETE CASCADE,
    instance_id   INTEGER NOT NULL REFERENCES instance (id) ON DELETE CASCADE,
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'running', 'done', 'failed')),
    error         TEXT,
    started_at    INTEGER,
    finished_at   INTEGER
) STRICT;

CREATE INDEX scan_item_state ON scan_item (instance_id, state);
