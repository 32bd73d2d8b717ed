//! The push intake inbox: webhook deliveries committed by the listener before it answers 2xx,
//! then claimed and finished one at a time by the pipeline worker.
//!
//! States: `pending` → `claimed` → `processed` | `ignored` | `failed`. Deliveries the listener
//! already knows it will not act on (unknown repository, unsubscribed event) are inserted as
//! `ignored` directly, so the UI can show that they arrived. Claims left behind by a crash are
//! put back to `pending` with [`Store::inbox_requeue_stale`]. Times are Unix milliseconds passed
//! in by the caller, so tests never read the clock.

use crate::{Store, StoreError};
use rusqlite::{OptionalExtension, Row};
use std::fmt;

/// Row id of an inbox entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct InboxId(pub i64);

impl fmt::Display for InboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inbox entry {}", self.0)
    }
}

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InboxState {
    /// Waiting for the worker.
    Pending,
    /// Taken by a worker that has not finished it yet.
    Claimed,
    /// Done.
    Processed,
    /// Deliberately not acted on; `reason` says why.
    Ignored,
    /// The worker failed; `reason` holds the error.
    Failed,
}

impl InboxState {
    /// The value stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            InboxState::Pending => "pending",
            InboxState::Claimed => "claimed",
            InboxState::Processed => "processed",
            InboxState::Ignored => "ignored",
            InboxState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<InboxState> {
        Some(match s {
            "pending" => InboxState::Pending,
            "claimed" => InboxState::Claimed,
            "processed" => InboxState::Processed,
            "ignored" => InboxState::Ignored,
            "failed" => InboxState::Failed,
            _ => return None,
        })
    }
}

/// A delivery to record.
#[derive(Debug, Clone, Copy)]
pub struct NewInboxEntry<'a> {
    /// Bitbucket instance the delivery authenticated as.
    pub instance: &'a str,
    /// Unique per instance: `X-Request-Id`, or a body hash when the sender has none.
    pub delivery_id: &'a str,
    pub event_kind: &'a str,
    pub received_at_ms: i64,
    /// Exact bytes received.
    pub body: &'a [u8],
    /// Normalized event as JSON, when it was parsed.
    pub event_json: Option<&'a str>,
    /// `Some` records the entry as already ignored, with this reason.
    pub ignored_reason: Option<&'a str>,
}

/// What [`Store::inbox_insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// A new row.
    Inserted(InboxId),
    /// The same `(instance, delivery_id)` was already there; nothing changed.
    Duplicate(InboxId),
}

/// An entry without its body (for lists).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InboxRecord {
    pub id: InboxId,
    pub instance: String,
    pub delivery_id: String,
    pub event_kind: String,
    pub received_at_ms: i64,
    pub body_len: u64,
    pub event_json: Option<String>,
    pub state: InboxState,
    pub reason: Option<String>,
    pub attempts: u32,
    pub claimed_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
}

/// A claimed entry with its body, for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedInboxEntry {
    pub record: InboxRecord,
    pub body: Vec<u8>,
}

const RECORD_COLUMNS: &str = "id, instance, delivery_id, event_kind, received_at, length(body), \
     event, state, reason, attempts, claimed_at, finished_at";

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<(InboxRecord, String)> {
    let state_text: String = row.get(7)?;
    let record = InboxRecord {
        id: InboxId(row.get(0)?),
        instance: row.get(1)?,
        delivery_id: row.get(2)?,
        event_kind: row.get(3)?,
        received_at_ms: row.get(4)?,
        body_len: row.get::<_, i64>(5)?.max(0) as u64,
        event_json: row.get(6)?,
        // Replaced below; the CHECK constraint keeps other values out, but a hand-edited file
        // should give an error naming the row rather than a panic.
        state: InboxState::Pending,
        reason: row.get(8)?,
        attempts: row.get::<_, i64>(9)?.clamp(0, i64::from(u32::MAX)) as u32,
        claimed_at_ms: row.get(10)?,
        finished_at_ms: row.get(11)?,
    };
    Ok((record, state_text))
}

fn with_state((mut record, state_text): (InboxRecord, String)) -> Result<InboxRecord, StoreError> {
    record.state = InboxState::parse(&state_text).ok_or_else(|| StoreError::BadInboxRow {
        id: record.id.0,
        message: format!("unknown state `{state_text}`"),
    })?;
    Ok(record)
}

impl Store {
    /// Records a delivery unless `(instance, delivery_id)` is already there. The row is
    /// committed when this returns, so the listener may answer 2xx afterwards.
    pub fn inbox_insert(&self, entry: &NewInboxEntry<'_>) -> Result<InsertOutcome, StoreError> {
        let conn = self.conn();
        let (state, finished_at) = match entry.ignored_reason {
            Some(_) => (InboxState::Ignored, Some(entry.received_at_ms)),
            None => (InboxState::Pending, None),
        };
        let inserted: Option<i64> = conn
            .prepare_cached(
                "INSERT INTO inbox (instance, delivery_id, event_kind, received_at, body, event,
                                    state, reason, finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (instance, delivery_id) DO NOTHING
                 RETURNING id",
            )?
            .query_row(
                rusqlite::params![
                    entry.instance,
                    entry.delivery_id,
                    entry.event_kind,
                    entry.received_at_ms,
                    entry.body,
                    entry.event_json,
                    state.as_str(),
                    entry.ignored_reason,
                    finished_at,
                ],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = inserted {
            return Ok(InsertOutcome::Inserted(InboxId(id)));
        }
        let existing: i64 = conn
            .prepare_cached("SELECT id FROM inbox WHERE instance = ?1 AND delivery_id = ?2")?
            .query_row((entry.instance, entry.delivery_id), |r| r.get(0))?;
        Ok(InsertOutcome::Duplicate(InboxId(existing)))
    }

    /// The newest entries first, optionally only those in `state`.
    pub fn inbox_list(
        &self,
        state: Option<InboxState>,
        limit: u32,
    ) -> Result<Vec<InboxRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM inbox
             WHERE ?1 IS NULL OR state = ?1
             ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map((state.map(InboxState::as_str), i64::from(limit)), record_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(with_state).collect()
    }

    /// One entry without its body.
    pub fn inbox_get(&self, id: InboxId) -> Result<Option<InboxRecord>, StoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM inbox WHERE id = ?1"))?
            .query_row([id.0], record_from_row)
            .optional()?;
        row.map(with_state).transpose()
    }

    /// How many entries there are, optionally only in `state`.
    pub fn inbox_count(&self, state: Option<InboxState>) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .prepare_cached("SELECT count(*) FROM inbox WHERE ?1 IS NULL OR state = ?1")?
            .query_row([state.map(InboxState::as_str)], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// Takes the oldest pending entry: marks it claimed at `now_ms`, counts the attempt and
    /// returns it with its body. `None` when nothing is pending.
    pub fn inbox_claim_next(&self, now_ms: i64) -> Result<Option<ClaimedInboxEntry>, StoreError> {
        let conn = self.conn();
        // One statement, so two workers can never claim the same row.
        let claimed = conn
            .prepare_cached(&format!(
                "UPDATE inbox SET state = 'claimed', claimed_at = ?1, attempts = attempts + 1
                 WHERE id = (SELECT id FROM inbox WHERE state = 'pending' ORDER BY id LIMIT 1)
                 RETURNING {RECORD_COLUMNS}, body"
            ))?
            .query_row([now_ms], |row| {
                let record = record_from_row(row)?;
                let body: Vec<u8> = row.get(12)?;
                Ok((record, body))
            })
            .optional()?;
        claimed
            .map(|(record, body)| Ok(ClaimedInboxEntry { record: with_state(record)?, body }))
            .transpose()
    }

    /// Finishes a claimed entry successfully.
    pub fn inbox_mark_processed(&self, id: InboxId, now_ms: i64) -> Result<(), StoreError> {
        self.finish(id, InboxState::Processed, None, now_ms)
    }

    /// Finishes a claimed entry without acting on it (the worker found nothing to do).
    pub fn inbox_mark_ignored(
        &self,
        id: InboxId,
        reason: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.finish(id, InboxState::Ignored, Some(reason), now_ms)
    }

    /// Finishes a claimed entry with an error.
    pub fn inbox_mark_failed(
        &self,
        id: InboxId,
        error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.finish(id, InboxState::Failed, Some(error), now_ms)
    }

    fn finish(
        &self,
        id: InboxId,
        state: InboxState,
        reason: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        let changed = conn
            .prepare_cached(
                "UPDATE inbox SET state = ?2, reason = ?3, finished_at = ?4
                 WHERE id = ?1 AND state = 'claimed'",
            )?
            .execute(rusqlite::params![id.0, state.as_str(), reason, now_ms])?;
        if changed == 1 {
            return Ok(());
        }
        let found: Option<String> = conn
            .prepare_cached("SELECT state FROM inbox WHERE id = ?1")?
            .query_row([id.0], |r| r.get(0))
            .optional()?;
        Err(StoreError::InboxNotClaimed { id: id.0, state: found })
    }

    /// Puts claims taken before `claimed_before_ms` back to pending (a worker died mid-entry).
    /// At startup, when no worker runs yet, pass `i64::MAX` to requeue every claim.
    /// Returns how many entries were requeued.
    pub fn inbox_requeue_stale(&self, claimed_before_ms: i64) -> Result<usize, StoreError> {
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE inbox SET state = 'pending', claimed_at = NULL
                 WHERE state = 'claimed' AND claimed_at < ?1",
            )?
            .execute([claimed_before_ms])?;
        if n > 0 {
            tracing::info!(requeued = n, "requeued stale inbox claims");
        }
        Ok(n)
    }

    /// Puts a failed entry back to pending (a manual retry). Errors when it is not failed.
    pub fn inbox_retry_failed(&self, id: InboxId) -> Result<(), StoreError> {
        let conn = self.conn();
        let changed = conn
            .prepare_cached(
                "UPDATE inbox SET state = 'pending', reason = NULL, claimed_at = NULL,
                                  finished_at = NULL
                 WHERE id = ?1 AND state = 'failed'",
            )?
            .execute([id.0])?;
        if changed == 1 {
            return Ok(());
        }
        let found: Option<String> = conn
            .prepare_cached("SELECT state FROM inbox WHERE id = ?1")?
            .query_row([id.0], |r| r.get(0))
            .optional()?;
        Err(StoreError::InboxNotFailed { id: id.0, state: found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(delivery_id: &'a str, body: &'a [u8]) -> NewInboxEntry<'a> {
        NewInboxEntry {
            instance: "corp",
            delivery_id,
            event_kind: "repo:refs_changed",
            received_at_ms: 1_000,
            body,
            event_json: Some(r#"{"kind":"push"}"#),
            ignored_reason: None,
        }
    }

    #[test]
    fn insert_is_idempotent_per_instance_and_delivery() {
        let store = Store::open_in_memory().unwrap();
        let first = store.inbox_insert(&entry("d-1", b"{}")).unwrap();
        let InsertOutcome::Inserted(id) = first else { panic!("first insert must be new") };
        assert_eq!(store.inbox_insert(&entry("d-1", b"{}")).unwrap(), InsertOutcome::Duplicate(id));
        // Another instance may reuse a delivery id (the plugin's body hash, say).
        let other = NewInboxEntry { instance: "lab", ..entry("d-1", b"{}") };
        assert!(matches!(store.inbox_insert(&other).unwrap(), InsertOutcome::Inserted(_)));
        assert_eq!(store.inbox_count(None).unwrap(), 2);
    }

    #[test]
    fn claim_walks_pending_in_arrival_order_and_skips_ignored() {
        let store = Store::open_in_memory().unwrap();
        store.inbox_insert(&entry("a", b"A")).unwrap();
        let ignored =
            NewInboxEntry { ignored_reason: Some("unknown repository"), ..entry("b", b"B") };
        store.inbox_insert(&ignored).unwrap();
        store.inbox_insert(&entry("c", b"C")).unwrap();

        let first = store.inbox_claim_next(2_000).unwrap().unwrap();
        assert_eq!((first.record.delivery_id.as_str(), first.body.as_slice()), ("a", &b"A"[..]));
        assert_eq!(first.record.state, InboxState::Claimed);
        assert_eq!((first.record.attempts, first.record.claimed_at_ms), (1, Some(2_000)));
        let second = store.inbox_claim_next(2_001).unwrap().unwrap();
        assert_eq!(second.record.delivery_id, "c");
        assert!(store.inbox_claim_next(2_002).unwrap().is_none());

        let listed = store.inbox_list(Some(InboxState::Ignored), 10).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].reason.as_deref(), Some("unknown repository"));
        assert_eq!(listed[0].finished_at_ms, Some(1_000));
    }

    #[test]
    fn finishing_requires_a_claim() {
        let store = Store::open_in_memory().unwrap();
        let InsertOutcome::Inserted(id) = store.inbox_insert(&entry("a", b"A")).unwrap() else {
            panic!("new")
        };
        let err = store.inbox_mark_processed(id, 5).unwrap_err();
        assert!(
            matches!(err, StoreError::InboxNotClaimed { state: Some(ref s), .. } if s == "pending")
        );
        let claimed = store.inbox_claim_next(3).unwrap().unwrap();
        store.inbox_mark_failed(claimed.record.id, "bitbucket unreachable", 4).unwrap();
        let rec = store.inbox_get(id).unwrap().unwrap();
        assert_eq!(rec.state, InboxState::Failed);
        assert_eq!(rec.reason.as_deref(), Some("bitbucket unreachable"));
        assert_eq!(rec.finished_at_ms, Some(4));
        assert!(store.inbox_mark_processed(id, 5).is_err(), "a finished entry stays finished");

        store.inbox_retry_failed(id).unwrap();
        let again = store.inbox_claim_next(6).unwrap().unwrap();
        assert_eq!(again.record.attempts, 2);
        store.inbox_mark_processed(again.record.id, 7).unwrap();
        assert!(store.inbox_retry_failed(id).is_err(), "only failed entries are retried");
        let missing = store.inbox_mark_ignored(InboxId(999), "x", 8).unwrap_err();
        assert!(matches!(missing, StoreError::InboxNotClaimed { state: None, .. }));
    }

    #[test]
    fn stale_claims_are_requeued() {
        let store = Store::open_in_memory().unwrap();
        store.inbox_insert(&entry("a", b"A")).unwrap();
        store.inbox_insert(&entry("b", b"B")).unwrap();
        store.inbox_claim_next(100).unwrap().unwrap();
        store.inbox_claim_next(200).unwrap().unwrap();
        assert_eq!(store.inbox_requeue_stale(150).unwrap(), 1, "only the claim older than 150");
        assert_eq!(store.inbox_count(Some(InboxState::Pending)).unwrap(), 1);
        assert_eq!(store.inbox_requeue_stale(i64::MAX).unwrap(), 1);
        assert_eq!(store.inbox_count(Some(InboxState::Claimed)).unwrap(), 0);
        let next = store.inbox_claim_next(300).unwrap().unwrap();
        assert_eq!(next.record.delivery_id, "a", "requeued entries keep their arrival order");
        assert_eq!(next.record.attempts, 2);
    }
}
