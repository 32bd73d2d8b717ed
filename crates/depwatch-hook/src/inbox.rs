//! Where accepted deliveries go: the [`Inbox`] trait the listener commits to before answering
//! 2xx, an in-memory implementation, and the SQLite-backed one over `depwatch-store`.

use crate::config::InstanceId;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use depwatch_bitbucket::webhook::{HookEvent, EVENT_REFS_CHANGED, EVENT_REPO_MODIFIED};
use depwatch_store::{InsertOutcome, NewInboxEntry, Store};
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// What kind of delivery an entry is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Native `repo:refs_changed`.
    RefsChanged,
    /// Native `repo:modified`.
    RepoModified,
    /// Atlassian Labs post-receive plugin push.
    PostReceive,
    /// A native event depwatch does not act on (`pr:opened`, …), kept as the raw key.
    Unsubscribed(String),
}

impl EventKind {
    /// The stored name: the `X-Event-Key`, or `post-receive` for the plugin.
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::RefsChanged => EVENT_REFS_CHANGED,
            EventKind::RepoModified => EVENT_REPO_MODIFIED,
            EventKind::PostReceive => "post-receive",
            EventKind::Unsubscribed(key) => key,
        }
    }
}

/// Whether the pipeline should act on an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// The worker will process it.
    Pending,
    /// Recorded so the UI can show it arrived, but nothing will be done.
    Ignored { reason: String },
}

/// One authenticated delivery.
#[derive(Clone)]
pub struct InboxEntry {
    pub instance: InstanceId,
    pub kind: EventKind,
    /// `X-Request-Id` for native webhooks; `sha256:<hex>` of the body for the plugin (or for a
    /// native delivery without a usable `X-Request-Id`). Unique per instance.
    pub delivery_id: String,
    pub received_at: DateTime<Utc>,
    /// The exact bytes received (the signature covered these).
    pub body: Bytes,
    /// The normalized event, when the event kind is one depwatch parses.
    pub event: Option<HookEvent>,
    pub disposition: Disposition,
}

impl fmt::Debug for InboxEntry {
    // Bodies never reach logs, not even through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxEntry")
            .field("instance", &self.instance)
            .field("kind", &self.kind)
            .field("delivery_id", &self.delivery_id)
            .field("received_at", &self.received_at)
            .field("body_len", &self.body.len())
            .field("event", &self.event.as_ref().map(|_| "…"))
            .field("disposition", &self.disposition)
            .finish()
    }
}

/// What [`Inbox::accept`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// Stored for the first time.
    New,
    /// Already stored (Bitbucket or a proxy redelivered it); nothing changed.
    Duplicate,
}

/// The inbox could not commit an entry; the listener answers 503 so Bitbucket records a failure.
#[derive(Debug, thiserror::Error)]
#[error("inbox could not store the delivery: {message}")]
pub struct InboxError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl InboxError {
    /// An error with a cause.
    pub fn new(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> InboxError {
        InboxError { message: message.into(), source: Some(Box::new(source)) }
    }

    /// An error without a cause.
    pub fn msg(message: impl Into<String>) -> InboxError {
        InboxError { message: message.into(), source: None }
    }
}

/// Durable storage for accepted deliveries.
///
/// `accept` returns only once the entry is committed (the listener answers 2xx afterwards, and
/// Bitbucket never retries). It is called on a blocking thread, so it may do IO. It must be
/// idempotent on `(instance, delivery_id)`.
pub trait Inbox: Send + Sync + 'static {
    /// Commits `entry` unless an entry with the same instance and delivery id exists.
    ///
    /// # Errors
    /// When the entry could not be committed.
    fn accept(&self, entry: InboxEntry) -> Result<AcceptOutcome, InboxError>;
}

/// An inbox in memory: for tests and for a dry-run listener. Not durable.
#[derive(Debug, Default)]
pub struct MemoryInbox {
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    seen: HashSet<(InstanceId, String)>,
    entries: Vec<InboxEntry>,
}

impl MemoryInbox {
    /// An empty inbox.
    pub fn new() -> MemoryInbox {
        MemoryInbox::default()
    }

    /// Everything accepted so far, in order.
    pub fn entries(&self) -> Vec<InboxEntry> {
        self.lock().entries.clone()
    }

    /// How many entries were accepted.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing was accepted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, MemoryState> {
        // A panic elsewhere cannot leave the set and the list out of step: both are updated
        // after every fallible step.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inbox for MemoryInbox {
    fn accept(&self, entry: InboxEntry) -> Result<AcceptOutcome, InboxError> {
        let mut state = self.lock();
        if !state.seen.insert((entry.instance.clone(), entry.delivery_id.clone())) {
            return Ok(AcceptOutcome::Duplicate);
        }
        state.entries.push(entry);
        Ok(AcceptOutcome::New)
    }
}

/// The app's durable inbox: the `inbox` table of the depwatch database.
#[derive(Debug, Clone)]
pub struct StoreInbox {
    store: Arc<Store>,
}

impl StoreInbox {
    /// Wraps an open (migrated) store.
    pub fn new(store: Arc<Store>) -> StoreInbox {
        StoreInbox { store }
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
}

impl Inbox for StoreInbox {
    fn accept(&self, entry: InboxEntry) -> Result<AcceptOutcome, InboxError> {
        let event_json = entry
            .event
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| InboxError::new("cannot serialize the normalized event", e))?;
        let ignored_reason = match &entry.disposition {
            Disposition::Pending => None,
            Disposition::Ignored { reason } => Some(reason.as_str()),
        };
        let outcome = self
            .store
            .inbox_insert(&NewInboxEntry {
                instance: entry.instance.as_str(),
                delivery_id: &entry.delivery_id,
                event_kind: entry.kind.as_str(),
                received_at_ms: entry.received_at.timestamp_millis(),
                body: &entry.body,
                event_json: event_json.as_deref(),
                ignored_reason,
            })
            .map_err(|e| InboxError::new("database write failed", e))?;
        Ok(match outcome {
            InsertOutcome::Inserted(_) => AcceptOutcome::New,
            InsertOutcome::Duplicate(_) => AcceptOutcome::Duplicate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depwatch_store::InboxState;

    fn entry(delivery: &str, disposition: Disposition) -> InboxEntry {
        InboxEntry {
            instance: InstanceId::new("corp").unwrap(),
            kind: EventKind::Unsubscribed("pr:opened".into()),
            delivery_id: delivery.into(),
            received_at: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
            body: Bytes::from_static(b"{\"secret-looking\":1}"),
            event: None,
            disposition,
        }
    }

    #[test]
    fn debug_hides_the_body() {
        let text = format!("{:?}", entry("d", Disposition::Pending));
        assert!(!text.contains("secret-looking") && text.contains("body_len: 20"), "{text}");
    }

    #[test]
    fn memory_inbox_deduplicates() {
        let inbox = MemoryInbox::new();
        assert_eq!(inbox.accept(entry("d", Disposition::Pending)).unwrap(), AcceptOutcome::New);
        assert_eq!(
            inbox.accept(entry("d", Disposition::Pending)).unwrap(),
            AcceptOutcome::Duplicate
        );
        assert_eq!(inbox.len(), 1);
    }

    #[test]
    fn store_inbox_writes_rows_with_state() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let inbox = StoreInbox::new(Arc::clone(&store));
        assert_eq!(inbox.accept(entry("a", Disposition::Pending)).unwrap(), AcceptOutcome::New);
        let ignored = Disposition::Ignored { reason: "not subscribed".into() };
        assert_eq!(inbox.accept(entry("b", ignored.clone())).unwrap(), AcceptOutcome::New);
        assert_eq!(inbox.accept(entry("b", ignored)).unwrap(), AcceptOutcome::Duplicate);
        let rows = store.inbox_list(None, 10).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].state, InboxState::Ignored);
        assert_eq!(rows[0].event_kind, "pr:opened");
        assert_eq!(rows[1].state, InboxState::Pending);
        assert_eq!(rows[1].received_at_ms, 1_700_000_000_123);
    }
}
