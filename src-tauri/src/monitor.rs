//! The monitoring runtime inside the desktop app (`depwatch_app::monitor`: webhook listener,
//! inbox worker, catch-up polling, advisory sync): started with the app, paused and resumed
//! from the tray or the UI, told to sync now from the tray, restarted when the listener
//! settings change.

use crate::Shell;
use depwatch_app::monitor::{Monitor, MonitorConfig, MonitorHandle};
use depwatch_app::Monitoring;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Manager, Runtime};

/// The running monitor, or why it is not running.
#[derive(Default)]
pub struct MonitorSlot {
    state: Mutex<SlotState>,
}

#[derive(Default)]
enum SlotState {
    #[default]
    Starting,
    Running(Arc<MonitorHandle>),
    Failed(String),
}

impl MonitorSlot {
    /// The running monitor, if it started.
    pub fn handle(&self) -> Option<Arc<MonitorHandle>> {
        match &*self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            SlotState::Running(handle) => Some(Arc::clone(handle)),
            SlotState::Starting | SlotState::Failed(_) => None,
        }
    }

    /// Why the monitor is not running, when it failed to start.
    pub fn failure(&self) -> Option<String> {
        match &*self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            SlotState::Failed(reason) => Some(reason.clone()),
            SlotState::Starting | SlotState::Running(_) => None,
        }
    }

    fn set(&self, state: SlotState) {
        *self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = state;
    }
}

/// Registers the slot and starts the monitor in the background with the saved settings. A
/// port already in use does not stop the app: the reason is logged and kept for the UI.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    app.manage(MonitorSlot::default());
    launch(app);
}

fn launch<R: Runtime>(app: &AppHandle<R>) {
    let Ok(depwatch) = app.state::<Shell>().app_arc() else {
        app.state::<MonitorSlot>()
            .set(SlotState::Failed("the database could not be opened".into()));
        return;
    };
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        // Reading the webhook secret may wait on the OS keychain.
        let config = {
            let depwatch = Arc::clone(&depwatch);
            tauri::async_runtime::spawn_blocking(move || MonitorConfig::from_settings(&depwatch))
                .await
        };
        let config = match config {
            Ok(Ok(config)) => config,
            Ok(Err(err)) => return failed(&handle, format!("settings unreadable: {err}")),
            Err(err) => return failed(&handle, format!("settings unreadable: {err}")),
        };
        let listen = config.listen;
        match Monitor::start(depwatch, config).await {
            Ok(monitor) => {
                let bound = monitor.listen_addr().await;
                tracing::info!(requested = %listen, bound = ?bound, "monitoring runtime started");
                handle.state::<MonitorSlot>().set(SlotState::Running(Arc::new(monitor)));
            }
            Err(err) => failed(&handle, err.to_string()),
        }
    });
}

fn failed<R: Runtime>(app: &AppHandle<R>, reason: String) {
    tracing::error!(%reason, "the monitoring runtime did not start; webhooks and polling are off");
    app.state::<MonitorSlot>().set(SlotState::Failed(reason));
}

/// The running monitor, if any.
pub fn handle<R: Runtime>(app: &AppHandle<R>) -> Option<Arc<MonitorHandle>> {
    app.try_state::<MonitorSlot>().and_then(|slot| slot.handle())
}

/// Pauses or resumes the runtime; `None` when it is not running (the caller then persists
/// the choice itself, and the runtime reads it when it starts).
pub fn set_monitoring<R: Runtime>(
    app: &AppHandle<R>,
    monitoring: Monitoring,
) -> Option<Result<Monitoring, depwatch_app::monitor::MonitorError>> {
    handle(app).map(|monitor| monitor.set_monitoring(monitoring))
}

/// "Sync now": a catch-up pass and an advisory sync, as soon as monitoring is active.
pub fn sync_now<R: Runtime>(app: &AppHandle<R>) {
    match handle(app) {
        Some(monitor) => {
            tracing::info!("sync requested from the tray");
            monitor.catch_up_now();
            monitor.sync_advisories_now();
        }
        None => tracing::warn!(
            reason = app.try_state::<MonitorSlot>().and_then(|s| s.failure()).unwrap_or_default(),
            "sync requested but the monitoring runtime is not running"
        ),
    }
}

/// Applies saved settings (listener address, ref patterns, sync interval, webhook secret):
/// stops the running monitor and starts a new one from the settings. Deliveries arriving in
/// between are refused and Bitbucket counts a failure; catch-up at start covers them.
pub async fn reconfigure<R: Runtime>(app: &AppHandle<R>) {
    let Some(slot) = app.try_state::<MonitorSlot>() else {
        // Not the real app (tests): nothing runs.
        return;
    };
    if let Some(old) = slot.handle() {
        if let Err(err) = old.stop().await {
            tracing::warn!(error = %err, "the monitoring runtime stopped with an error");
        }
    }
    slot.set(SlotState::Starting);
    launch(app);
}

/// Tells the listener which repositories are monitored now (after the perimeter changed or a
/// scan stored new repositories).
pub fn refresh_perimeter<R: Runtime>(app: &AppHandle<R>) {
    if let Some(monitor) = handle(app) {
        if let Err(err) = monitor.refresh_perimeter() {
            tracing::warn!(error = %err, "cannot refresh the listener's perimeter");
        }
    }
}

/// Stops the runtime (on quit), so the worker finishes the entry in progress.
pub async fn stop<R: Runtime>(app: &AppHandle<R>) {
    if let Some(monitor) = handle(app) {
        if let Err(err) = monitor.stop().await {
            tracing::warn!(error = %err, "the monitoring runtime stopped with an error");
        }
    }
}
