//! Events the app emits while it works (scan progress, findings, authentication problems), on
//! a Tauri-free broadcast stream: the desktop shell forwards them to the UI and the tray, the
//! CLI draws a progress bar.

use serde::Serialize;
use std::sync::{Arc, OnceLock};
use tokio::sync::broadcast;

/// Why a finding event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingOrigin {
    /// The first scan of a repository (a baseline: the shell should not notify each one).
    HistoricalScan,
    /// A push brought it in or fixed it.
    Push,
    /// A new or changed advisory affects a package already in use (after an advisory sync):
    /// "new advisory affects repository X", with no push involved.
    Advisory,
}

/// One finding, as events carry it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingSummary {
    pub finding_id: i64,
    pub instance: String,
    /// `PROJECT/slug`.
    pub repository: String,
    pub ref_id: String,
    pub commit_id: String,
    pub advisory_id: String,
    pub package: String,
    pub version: String,
    pub severity: String,
    /// `vulnerability`, or an informational kind (`unmaintained`, `unsound`, `notice`).
    pub kind: String,
    /// The advisory's one-line summary, when it has one.
    pub summary: Option<String>,
    pub manifest: String,
    /// Who brought the change in: the pusher (webhook actor), else the commit's author; for
    /// an advisory hit, the author of the commit the package has been in use since.
    pub author: Option<String>,
}

/// Something the UI may want to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// The historical scan of an instance moved on.
    #[serde(rename_all = "camelCase")]
    ScanProgress {
        instance: String,
        /// Repositories finished (done or failed).
        done: u64,
        failed: u64,
        total: u64,
        /// `PROJECT/slug` just finished.
        current: Option<String>,
    },
    /// The historical scan stopped: finished, cancelled, or halted by an auth problem.
    #[serde(rename_all = "camelCase")]
    ScanFinished { instance: String, done: u64, failed: u64, total: u64, halted: Option<String> },
    /// A finding appeared on a ref.
    #[serde(rename_all = "camelCase")]
    FindingIntroduced { origin: FindingOrigin, finding: FindingSummary },
    /// A finding disappeared from a ref.
    #[serde(rename_all = "camelCase")]
    FindingFixed { origin: FindingOrigin, finding: FindingSummary },
    /// Bitbucket refused the credentials of an instance; it is now in the auth-error state.
    #[serde(rename_all = "camelCase")]
    AuthProblem { instance: String, message: String },
    /// An instance's connection state changed (after a test or a failed call).
    #[serde(rename_all = "camelCase")]
    InstanceState { instance: String, state: String, message: Option<String> },
    /// A catch-up pass (inventory refresh, then every monitored ref's head against the last
    /// processed commit) finished; its errors name the instance or repository.
    #[serde(rename_all = "camelCase")]
    CatchUpFinished { report: crate::push_processing::CatchUpReport },
    /// The scheduled advisory sync finished: `changed` records were written or removed,
    /// `new_findings` packages in use are newly affected (each also a `FindingIntroduced` with
    /// origin `advisory`); `failed` names each source that could not be synced, with why.
    #[serde(rename_all = "camelCase")]
    AdvisoriesSynced { changed: u64, new_findings: u64, failed: Vec<String> },
    /// depwatch's webhook on a project or repository (`scope`: `PROJECT` or `PROJECT/slug`,
    /// empty for the whole instance) could not be checked or repaired; pushes there are only
    /// seen by catch-up polling until it is fixed.
    #[serde(rename_all = "camelCase")]
    WebhookUnhealthy { instance: String, scope: String, message: String },
}

/// The broadcast hub. Sending never blocks or fails: with no subscriber an event is dropped,
/// and a subscriber that falls more than the capacity behind gets `Lagged` and skips ahead.
///
/// The channel is created on the first `subscribe`: its ring of `capacity` slots is written
/// when created, which a one-shot CLI command that never listens should not pay for. Events
/// emitted before anyone subscribes reach nobody either way.
#[derive(Debug, Clone)]
pub struct EventHub {
    capacity: usize,
    sender: Arc<OnceLock<broadcast::Sender<Event>>>,
}

impl EventHub {
    /// A hub that keeps up to `capacity` undelivered events per subscriber.
    pub fn new(capacity: usize) -> EventHub {
        EventHub { capacity: capacity.max(1), sender: Arc::default() }
    }

    /// A new receiver of every event emitted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.get_or_init(|| broadcast::channel(self.capacity).0).subscribe()
    }

    /// Emits an event to every current subscriber.
    pub fn emit(&self, event: Event) {
        tracing::debug!(?event, "event");
        if let Some(sender) = self.sender.get() {
            // An error only means nobody listens right now.
            let _ = sender.send(event);
        }
    }
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub::new(1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_channel_even_when_a_clone_subscribes_first() {
        let hub = EventHub::new(4);
        let clone = hub.clone();
        let mut rx = clone.subscribe();
        hub.emit(Event::AuthProblem { instance: "x".into(), message: "seen".into() });
        match rx.try_recv() {
            Ok(Event::AuthProblem { message, .. }) => assert_eq!(message, "seen"),
            other => panic!("the clone's subscriber must get the event: {other:?}"),
        }
    }

    #[test]
    fn events_reach_subscribers_and_serialize_tagged() {
        let hub = EventHub::default();
        hub.emit(Event::AuthProblem { instance: "x".into(), message: "nobody listens".into() });
        let mut rx = hub.subscribe();
        hub.emit(Event::ScanProgress {
            instance: "corp".into(),
            done: 1,
            failed: 0,
            total: 2,
            current: Some("SHOP/web".into()),
        });
        let got = rx.try_recv().unwrap();
        assert_eq!(
            serde_json::to_value(&got).unwrap(),
            serde_json::json!({"type": "scanProgress", "instance": "corp", "done": 1,
                "failed": 0, "total": 2, "current": "SHOP/web"})
        );
        assert!(rx.try_recv().is_err(), "only events after subscribing");
    }
}
