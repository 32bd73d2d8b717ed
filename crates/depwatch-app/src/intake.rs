//! The listener's inbox as the app runs it: the durable store inbox, plus a wake-up for the
//! worker so a delivery is processed as soon as it is committed instead of at the next poll.

use depwatch_hook::{AcceptOutcome, Inbox, InboxEntry, InboxError, StoreInbox};
use std::sync::Arc;
use tokio::sync::Notify;

/// [`StoreInbox`] that wakes the worker after each new entry.
#[derive(Debug, Clone)]
pub struct WakingInbox {
    inner: StoreInbox,
    wake: Arc<Notify>,
}

impl WakingInbox {
    /// Wraps `inner`; `wake` is the worker's [`crate::Worker::waker`].
    pub fn new(inner: StoreInbox, wake: Arc<Notify>) -> WakingInbox {
        WakingInbox { inner, wake }
    }
}

impl Inbox for WakingInbox {
    fn accept(&self, entry: InboxEntry) -> Result<AcceptOutcome, InboxError> {
        let outcome = self.inner.accept(entry)?;
        if outcome == AcceptOutcome::New {
            self.wake.notify_one();
        }
        Ok(outcome)
    }
}
