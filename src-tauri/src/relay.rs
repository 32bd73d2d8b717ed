//! Relays the app's events to the window and the tray: finding and scan events become
//! `data-changed` notices for the screens showing that data, and a tray refresh.

use crate::{tray, Shell};
use depwatch_app::Event;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// Event telling open screens which data to reload.
pub const DATA_CHANGED: &str = "data-changed";

/// Payload of [`DATA_CHANGED`]; `scope` is one of the UI's `DataChanged` scopes.
#[derive(Debug, Clone, Serialize)]
pub struct DataChanged {
    pub scope: &'static str,
}

/// The screens an event makes stale, and whether the tray's counts may have moved.
fn stale(event: &Event) -> (&'static [&'static str], bool) {
    match event {
        Event::FindingIntroduced { .. } | Event::FindingFixed { .. } => {
            (&["findings", "repositories"], true)
        }
        Event::ScanFinished { .. } => (&["scan", "repositories", "findings"], true),
        Event::AuthProblem { .. } | Event::InstanceState { .. } => (&["connection"], false),
        // Refs it processed announce their findings themselves.
        Event::CatchUpFinished { .. } => (&["repositories"], false),
        // The perimeter screen shows each webhook's state.
        Event::WebhookUnhealthy { .. } => (&["perimeter", "repositories"], false),
        Event::AdvisoriesSynced { new_findings: 0, .. } => (&["advisories", "settings"], false),
        Event::AdvisoriesSynced { .. } => {
            (&["advisories", "settings", "findings", "repositories"], true)
        }
        // Progress has its own event, sent by the scan commands.
        Event::ScanProgress { .. } => (&[], false),
    }
}

/// What a burst of events made stale.
#[derive(Default)]
struct Pending {
    scopes: BTreeSet<&'static str>,
    tray_moved: bool,
    /// A scan stored repositories the listener should now accept pushes for.
    scan_finished: bool,
}

impl Pending {
    /// Adds an event; `None` means some were missed, so everything is stale.
    fn take(&mut self, event: Option<&Event>) {
        match event {
            Some(event) => {
                let (scopes, tray) = stale(event);
                self.scopes.extend(scopes.iter().copied());
                self.tray_moved |= tray;
                self.scan_finished |= matches!(event, Event::ScanFinished { .. });
            }
            None => {
                self.scopes.extend(["findings", "repositories", "scan", "connection"]);
                self.tray_moved = true;
            }
        }
    }
}

/// Tells `scope`'s screens to reload.
pub fn data_changed<R: Runtime>(app: &AppHandle<R>, scope: &'static str) {
    if let Err(err) = app.emit(DATA_CHANGED, DataChanged { scope }) {
        tracing::warn!(error = %err, scope, "cannot tell the UI that data changed");
    }
}

/// Follows the event stream until it closes. A burst (a scan stores hundreds of findings)
/// costs one reload per scope and one tray refresh per quarter second.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let Ok(mut events) = app.state::<Shell>().app().map(|a| a.events().subscribe()) else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let first = match events.recv().await {
                Ok(event) => Some(event),
                // Something was missed: reload everything below.
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => break,
            };
            let mut pending = Pending::default();
            pending.take(first.as_ref());
            if pending.scopes.is_empty() && !pending.tray_moved {
                continue;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            loop {
                match events.try_recv() {
                    Ok(event) => pending.take(Some(&event)),
                    Err(TryRecvError::Lagged(_)) => pending.take(None),
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            let Pending { scopes, tray_moved, scan_finished } = pending;
            if scan_finished {
                crate::monitor::refresh_perimeter(&app);
            }
            for scope in scopes {
                data_changed(&app, scope);
            }
            if tray_moved {
                tray::refresh(&app);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use depwatch_app::{FindingOrigin, FindingSummary};

    #[test]
    fn finding_events_make_findings_and_repositories_stale_and_move_the_tray() {
        let finding = FindingSummary {
            finding_id: 1,
            instance: "corp".into(),
            repository: "SHOP/web".into(),
            ref_id: "refs/heads/main".into(),
            commit_id: "c1".into(),
            advisory_id: "GHSA-1".into(),
            package: "lodash".into(),
            version: "4.17.20".into(),
            severity: "high".into(),
            kind: "vulnerability".into(),
            summary: None,
            manifest: "package-lock.json".into(),
            author: Some("jdoe".into()),
        };
        let introduced = Event::FindingIntroduced { origin: FindingOrigin::Push, finding };
        assert_eq!(stale(&introduced), (&["findings", "repositories"][..], true));
        let progress = Event::ScanProgress {
            instance: "corp".into(),
            done: 1,
            failed: 0,
            total: 2,
            current: None,
        };
        assert_eq!(stale(&progress), (&[][..], false));
    }
}
