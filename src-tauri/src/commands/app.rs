//! Installation info and the monitoring switch.

use crate::{tray, CommandError, Shell};
use depwatch_app::{AppInfo, Monitoring};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};

/// Event emitted whenever monitoring is paused or resumed (from the UI or the tray).
pub const MONITORING_CHANGED: &str = "monitoring-changed";

/// Payload of [`MONITORING_CHANGED`].
#[derive(Debug, Clone, Serialize)]
pub struct MonitoringChanged {
    pub monitoring: Monitoring,
}

/// Version, data directory, database path, schema version and monitoring state.
#[tauri::command]
pub fn app_info(shell: State<'_, Shell>) -> Result<AppInfo, CommandError> {
    Ok(shell.app()?.info()?)
}

/// Pauses (`paused: true`) or resumes monitoring; returns the updated info.
#[tauri::command]
pub fn set_monitoring<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    paused: bool,
) -> Result<AppInfo, CommandError> {
    let target = if paused { Monitoring::Paused } else { Monitoring::Active };
    apply_monitoring(&app, &shell, target)?;
    Ok(shell.app()?.info()?)
}

/// Persists the state, updates the tray menu and tells every window.
pub(crate) fn apply_monitoring<R: Runtime>(
    app: &AppHandle<R>,
    shell: &Shell,
    target: Monitoring,
) -> Result<Monitoring, CommandError> {
    // The running monitor persists the choice and pauses or resumes its work; before it runs,
    // the persisted state is what it will start with.
    let monitoring = match crate::monitor::set_monitoring(app, target) {
        Some(result) => result?,
        None => shell.app()?.set_monitoring(target)?,
    };
    tray::show_monitoring(app, monitoring);
    if let Err(err) = app.emit(MONITORING_CHANGED, MonitoringChanged { monitoring }) {
        tracing::warn!(error = %err, "cannot notify the UI of the monitoring change");
    }
    Ok(monitoring)
}
