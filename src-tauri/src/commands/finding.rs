//! `list_findings` and the alert lifecycle: `acknowledge_finding`, `close_finding`,
//! `ignore_finding`, `reopen_finding`; plus the sweep that reopens expired ignores.

use super::view::{now_ms, with_app};
use crate::{relay, CommandError, Shell};
use depwatch_app::view::{CloseReason, Finding, FindingFilter};
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime, State};

/// How often the shell reopens ignored findings whose date has come (reads do it too).
pub const IGNORE_SWEEP_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Findings matching the filter, worst first.
#[tauri::command]
pub async fn list_findings(
    shell: State<'_, Shell>,
    filter: FindingFilter,
) -> Result<Vec<Finding>, CommandError> {
    with_app(&shell, move |app, now| app.findings_view(&filter, now)).await
}

/// Stops notifications for an open finding; it stays counted as open.
#[tauri::command]
pub async fn acknowledge_finding<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    finding_id: i64,
) -> Result<Finding, CommandError> {
    let finding =
        with_app(&shell, move |app, now| app.acknowledge_finding(finding_id, now)).await?;
    changed(&handle);
    Ok(finding)
}

/// Closes a finding by hand (`does-not-apply` or `mitigated`, with an optional comment).
#[tauri::command]
pub async fn close_finding<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    finding_id: i64,
    reason: CloseReason,
    comment: Option<String>,
) -> Result<Finding, CommandError> {
    let finding = with_app(&shell, move |app, now| {
        app.close_finding(finding_id, reason, comment.as_deref(), now)
    })
    .await?;
    changed(&handle);
    Ok(finding)
}

/// Ignores a finding until `until` (`YYYY-MM-DD`); it reopens by itself on that day.
#[tauri::command]
pub async fn ignore_finding<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    finding_id: i64,
    reason: String,
    until: String,
) -> Result<Finding, CommandError> {
    let finding =
        with_app(&shell, move |app, now| app.ignore_finding(finding_id, &reason, &until, now))
            .await?;
    changed(&handle);
    Ok(finding)
}

/// Reopens an acknowledged, closed or ignored finding that is still present.
#[tauri::command]
pub async fn reopen_finding<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    finding_id: i64,
) -> Result<Finding, CommandError> {
    let finding = with_app(&shell, move |app, now| app.reopen_finding(finding_id, now)).await?;
    changed(&handle);
    Ok(finding)
}

/// Other screens (the dashboard, the repository list, the tray) show counts that moved.
fn changed<R: Runtime>(handle: &AppHandle<R>) {
    relay::data_changed(handle, "findings");
    relay::data_changed(handle, "repositories");
    crate::tray::refresh(handle);
}

/// Reopens ignored findings whose date has come, every [`IGNORE_SWEEP_INTERVAL`], and tells
/// the screens when any did.
pub fn start_ignore_sweep<R: Runtime>(handle: &AppHandle<R>) {
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(IGNORE_SWEEP_INTERVAL);
        loop {
            tick.tick().await;
            let Ok(app) = handle.state::<Shell>().app_arc() else { return };
            let swept =
                tauri::async_runtime::spawn_blocking(move || app.reopen_expired_ignores(now_ms()))
                    .await;
            match swept {
                Ok(Ok(reopened)) if !reopened.is_empty() => changed(&handle),
                Ok(Ok(_)) => {}
                Ok(Err(err)) => tracing::warn!(error = %err, "ignore sweep failed"),
                Err(err) => tracing::warn!(error = %err, "ignore sweep did not finish"),
            }
        }
    });
}
