//! Desktop notifications: the app's alert dispatcher (batching and policy live in
//! `depwatch_app::alert`) delivering through the platform's notification service.
//!
//! D-Bus calls can block (a missing notification daemon means an activation timeout), so one
//! thread of its own talks to the service; the dispatcher only hands it alerts.

use crate::{show_main_window, Shell};
use depwatch_app::alert::{self, Alert, AlertPolicy, AlertSink, BatchTiming};
use serde::Serialize;
use std::sync::mpsc;
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// Event telling the UI to open a finding (a notification was clicked).
pub const OPEN_FINDING: &str = "open-finding";

/// Payload of [`OPEN_FINDING`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenFinding {
    pub finding_id: i64,
}

enum Delivery {
    Show(Alert),
    Fixed(i64),
}

/// The dispatcher's side: forwards to the delivery thread.
struct Desktop {
    tx: mpsc::Sender<Delivery>,
}

impl AlertSink for Desktop {
    fn show(&mut self, alert: Alert) {
        tracing::info!(title = %alert.title, findings = alert.finding_ids.len(), "notifying");
        let _ = self.tx.send(Delivery::Show(alert));
    }

    fn fixed(&mut self, finding_id: i64) {
        let _ = self.tx.send(Delivery::Fixed(finding_id));
    }
}

/// Starts the dispatcher on the app's event stream and the delivery thread.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let Ok(events) = app.state::<Shell>().app().map(|a| a.events().subscribe()) else {
        return;
    };
    let (tx, rx) = mpsc::channel();
    let handle = app.clone();
    let spawned = std::thread::Builder::new()
        .name("notifications".into())
        .spawn(move || deliver(&handle, &rx));
    if let Err(err) = spawned {
        tracing::error!(error = %err, "cannot start the notification thread; notifications are off");
        return;
    }
    let handle = app.clone();
    tauri::async_runtime::spawn(alert::dispatch_alerts(
        events,
        move || policy(&handle),
        local_minute,
        Desktop { tx },
        BatchTiming::default(),
    ));
}

fn policy<R: Runtime>(app: &AppHandle<R>) -> AlertPolicy {
    let shell = app.state::<Shell>();
    match shell.app().map(depwatch_app::App::settings) {
        Ok(Ok(settings)) => settings.notifications.alert_policy(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "notification settings unreadable; using the defaults");
            AlertPolicy::default()
        }
        Err(_) => AlertPolicy::default(),
    }
}

fn local_minute() -> u16 {
    let now = jiff::Zoned::now();
    u16::try_from(i32::from(now.hour()) * 60 + i32::from(now.minute())).unwrap_or(0)
}

#[cfg(all(unix, not(target_os = "macos")))]
fn deliver<R: Runtime>(app: &AppHandle<R>, rx: &mpsc::Receiver<Delivery>) {
    use notify_rust::{Hint, Notification, Timeout, Urgency};
    use std::collections::BTreeMap;

    let mut withdrawals = alert::Withdrawals::default();
    let mut titles: BTreeMap<u32, String> = BTreeMap::new();
    while let Ok(delivery) = rx.recv() {
        match delivery {
            Delivery::Show(alert) => {
                let urgency = match alert.urgency {
                    alert::Urgency::Low => Urgency::Low,
                    alert::Urgency::Normal => Urgency::Normal,
                    alert::Urgency::Critical => Urgency::Critical,
                };
                let shown = Notification::new()
                    .appname("depwatch")
                    .summary(&alert.title)
                    .body(&alert.body)
                    .icon("depwatch-desktop")
                    .hint(Hint::DesktopEntry("depwatch-desktop".into()))
                    .urgency(urgency)
                    .action("default", "Open")
                    .timeout(Timeout::Default)
                    .show();
                match shown {
                    Ok(handle) => {
                        let id = handle.id();
                        withdrawals.record(id, &alert.finding_ids);
                        titles.insert(id, alert.title.clone());
                        while titles.len() > 256 {
                            titles.pop_first();
                        }
                        let app = app.clone();
                        let finding_id = alert.open_finding;
                        // Waits for a click or the close signal, whichever comes first.
                        let waiter = std::thread::Builder::new()
                            .name("notification-click".into())
                            .spawn(move || {
                                handle.wait_for_action(|action| {
                                    if action == "default" {
                                        open_finding(&app, finding_id);
                                    }
                                });
                            });
                        if let Err(err) = waiter {
                            tracing::warn!(error = %err, "cannot watch a notification for clicks");
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "cannot show a notification"),
                }
            }
            Delivery::Fixed(finding_id) => {
                for id in withdrawals.fixed(finding_id) {
                    let title = titles.remove(&id).unwrap_or_default();
                    // Replacing (same id) is how the notification spec withdraws with a word.
                    let replaced = Notification::new()
                        .id(id)
                        .appname("depwatch")
                        .summary(&format!("Fixed: {title}"))
                        .body("Every finding this notification reported is gone.")
                        .icon("depwatch-desktop")
                        .hint(Hint::DesktopEntry("depwatch-desktop".into()))
                        .hint(Hint::Transient(true))
                        .urgency(Urgency::Low)
                        .timeout(Timeout::Milliseconds(8000))
                        .show();
                    if let Err(err) = replaced {
                        tracing::warn!(error = %err, "cannot replace a notification");
                    }
                }
            }
        }
    }
}

/// macOS and Windows: no replacement or urgency; a click opens depwatch where the platform
/// routes it to the app.
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn deliver<R: Runtime>(_app: &AppHandle<R>, rx: &mpsc::Receiver<Delivery>) {
    while let Ok(delivery) = rx.recv() {
        if let Delivery::Show(alert) = delivery {
            let shown =
                notify_rust::Notification::new().summary(&alert.title).body(&alert.body).show();
            if let Err(err) = shown {
                tracing::warn!(error = %err, "cannot show a notification");
            }
        }
    }
}

#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
fn open_finding<R: Runtime>(app: &AppHandle<R>, finding_id: i64) {
    show_main_window(app);
    if let Err(err) = app.emit(OPEN_FINDING, OpenFinding { finding_id }) {
        tracing::warn!(error = %err, "cannot ask the UI to open a finding");
    }
}
