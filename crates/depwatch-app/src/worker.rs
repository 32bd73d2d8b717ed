//! The inbox worker: drains webhook deliveries the listener committed, one at a time, in
//! arrival order, and finishes each as processed, ignored (with a reason) or failed (with the
//! error).
//!
//! Crash safety: the listener commits before answering 2xx, and [`Worker::recover`] puts claims
//! left by a killed process back to pending at startup, so every accepted delivery is processed
//! after a restart. Processing is idempotent (a ref already scanned at the pushed commit is not
//! scanned again), so an entry whose work completed just before the kill, but which was not yet
//! marked, has no second effect.

use depwatch_store::{ClaimedInboxEntry, InboxId, Store, StoreError};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// What a handler did with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Acted on.
    Processed,
    /// Deliberately not acted on; the reason is stored with the entry.
    Ignored(String),
}

/// Handles one claimed entry. An `Err` marks the entry failed with the error text (secrets must
/// never be in it).
pub trait EntryHandler: Send + Sync {
    /// Processes `entry`.
    fn handle(
        &self,
        entry: &ClaimedInboxEntry,
    ) -> impl Future<Output = Result<Handled, String>> + Send;
}

/// Counts since the worker started.
#[derive(Debug, Default)]
pub struct WorkerStats {
    pub processed: AtomicU64,
    pub ignored: AtomicU64,
    pub failed: AtomicU64,
}

/// The drain loop over the store's inbox.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Arc<Store>,
    wake: Arc<Notify>,
    /// Backstop poll when no wake-up comes (another process wrote the inbox).
    idle_poll: Duration,
    stats: Arc<WorkerStats>,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Worker {
    /// A worker over `store`; call [`Worker::waker`]'s `notify_one` after inserting entries.
    pub fn new(store: Arc<Store>) -> Worker {
        Worker {
            store,
            wake: Arc::new(Notify::new()),
            idle_poll: Duration::from_secs(5),
            stats: Arc::new(WorkerStats::default()),
        }
    }

    /// Changes the backstop poll interval.
    #[must_use]
    pub fn with_idle_poll(mut self, idle_poll: Duration) -> Worker {
        self.idle_poll = idle_poll.max(Duration::from_millis(10));
        self
    }

    /// Wakes the worker when an entry arrives (the listener's inbox calls it).
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Counts since start.
    pub fn stats(&self) -> &WorkerStats {
        &self.stats
    }

    /// Puts every claimed entry back to pending. Call once at startup, before any worker runs:
    /// a claim that exists then was left by a process that died mid-entry.
    ///
    /// # Errors
    /// Database errors.
    pub fn recover(&self) -> Result<usize, StoreError> {
        self.store.inbox_requeue_stale(i64::MAX)
    }

    /// Processes pending entries until none is left. Returns how many were finished.
    ///
    /// # Errors
    /// Database errors (a handler error only fails its entry).
    pub async fn drain<H: EntryHandler>(&self, handler: &H) -> Result<usize, StoreError> {
        let mut done = 0;
        while let Some(entry) = self.store.inbox_claim_next(now_ms())? {
            self.finish(entry.record.id, handler.handle(&entry).await)?;
            done += 1;
        }
        Ok(done)
    }

    /// Processes the oldest pending entry, if any. Returns whether there was one. Lets a caller
    /// stop between entries (monitoring paused) instead of draining the whole backlog.
    ///
    /// # Errors
    /// Database errors (a handler error only fails its entry).
    pub async fn process_next<H: EntryHandler>(&self, handler: &H) -> Result<bool, StoreError> {
        let Some(entry) = self.store.inbox_claim_next(now_ms())? else { return Ok(false) };
        self.finish(entry.record.id, handler.handle(&entry).await)?;
        Ok(true)
    }

    /// The backstop poll interval.
    pub fn idle_poll(&self) -> Duration {
        self.idle_poll
    }

    fn finish(&self, id: InboxId, outcome: Result<Handled, String>) -> Result<(), StoreError> {
        match outcome {
            Ok(Handled::Processed) => {
                self.stats.processed.fetch_add(1, Ordering::Relaxed);
                self.store.inbox_mark_processed(id, now_ms())
            }
            Ok(Handled::Ignored(reason)) => {
                self.stats.ignored.fetch_add(1, Ordering::Relaxed);
                self.store.inbox_mark_ignored(id, &reason, now_ms())
            }
            Err(error) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%id, %error, "inbox entry failed");
                self.store.inbox_mark_failed(id, &error, now_ms())
            }
        }
    }

    /// Recovers stale claims, then drains whenever woken (or every idle-poll interval) until
    /// `shutdown` resolves. The entry in progress at shutdown is finished first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn run<H: EntryHandler>(
        &self,
        handler: &H,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), StoreError> {
        let requeued = self.recover()?;
        if requeued > 0 {
            tracing::info!(requeued, "resuming inbox entries left by a previous run");
        }
        tokio::pin!(shutdown);
        loop {
            self.drain(handler).await?;
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.idle_poll) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depwatch_store::{InboxState, NewInboxEntry};

    struct ByBody;

    impl EntryHandler for ByBody {
        async fn handle(&self, entry: &ClaimedInboxEntry) -> Result<Handled, String> {
            match entry.body.as_slice() {
                b"ok" => Ok(Handled::Processed),
                b"skip" => Ok(Handled::Ignored("nothing monitored".into())),
                _ => Err("bitbucket unreachable".into()),
            }
        }
    }

    fn insert(store: &Store, id: &str, body: &[u8]) {
        store
            .inbox_insert(&NewInboxEntry {
                instance: "corp",
                delivery_id: id,
                event_kind: "repo:refs_changed",
                received_at_ms: 1,
                body,
                event_json: None,
                ignored_reason: None,
            })
            .unwrap();
    }

    #[tokio::test]
    async fn drain_finishes_every_entry_with_its_outcome() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        insert(&store, "a", b"ok");
        insert(&store, "b", b"skip");
        insert(&store, "c", b"boom");
        let worker = Worker::new(Arc::clone(&store));
        assert_eq!(worker.drain(&ByBody).await.unwrap(), 3);
        let rows = store.inbox_list(None, 10).unwrap();
        let got: Vec<_> =
            rows.iter().map(|r| (r.delivery_id.as_str(), r.state, r.reason.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("c", InboxState::Failed, Some("bitbucket unreachable")),
                ("b", InboxState::Ignored, Some("nothing monitored")),
                ("a", InboxState::Processed, None),
            ]
        );
        assert_eq!(worker.stats().failed.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_claim_left_by_a_dead_process_is_processed_once_on_restart() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        insert(&store, "a", b"ok");
        insert(&store, "b", b"ok");
        // The previous process claimed "a" and died.
        store.inbox_claim_next(5).unwrap().unwrap();
        let worker = Worker::new(Arc::clone(&store));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let run = {
            let worker = worker.clone();
            tokio::spawn(async move { worker.run(&ByBody, async { rx.await.unwrap_or(()) }).await })
        };
        while store.inbox_count(Some(InboxState::Processed)).unwrap() < 2 {
            tokio::task::yield_now().await;
        }
        insert(&store, "c", b"ok");
        worker.waker().notify_one();
        while store.inbox_count(Some(InboxState::Processed)).unwrap() < 3 {
            tokio::task::yield_now().await;
        }
        tx.send(()).unwrap();
        run.await.unwrap().unwrap();
        let rows = store.inbox_list(None, 10).unwrap();
        assert!(rows.iter().all(|r| r.state == InboxState::Processed
            && r.attempts == 1 + u32::from(r.delivery_id == "a")));
    }
}
