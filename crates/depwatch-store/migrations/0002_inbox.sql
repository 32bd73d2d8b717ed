-- Push intake inbox: every webhook delivery the listener accepted, committed before it answers
-- 2xx, then drained by the pipeline worker. Raw bytes are kept so a parser fix can replay them.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    -- Bitbucket instance (server profile) the delivery authenticated as.
    instance    TEXT NOT NULL,
    -- X-Request-Id for native webhooks, `sha256:<hex of body>` for the post-receive plugin.
    delivery_id TEXT NOT NULL,
    -- `repo:refs_changed`, `repo:modified`, `post-receive`, or the unsubscribed X-Event-Key.
    event_kind  TEXT NOT NULL,
    -- Unix milliseconds (UTC) when the listener received it.
    received_at INTEGER NOT NULL,
    body        BLOB NOT NULL,
    -- Normalized event as JSON; NULL when the event was not parsed (unsubscribed keys).
    event       TEXT,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'claimed', 'processed', 'ignored', 'failed')),
    -- Why it was ignored, or the error it failed with.
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    claimed_at  INTEGER,
    finished_at INTEGER,
    UNIQUE (instance, delivery_id)
) STRICT;

-- The worker's "claim next" scan walks pending rows in arrival order.
CREATE INDEX inbox_state_id ON inbox (state, id);
