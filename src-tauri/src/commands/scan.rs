//! The historical scan screen: status, start, retry, cancel, and the throttled
//! `scan-progress` event. The scan itself runs as a background task owned by
//! [`Shell::scans`](crate::Shell).

use crate::commands::{blocking, rfc3339, ErrorPayload};
use crate::relay::data_changed;
use crate::{CommandError, Shell};
use depwatch_app::scan_runner::{ScanItemStatus, ScanRequest, ScanRunState, ScanView};
use depwatch_app::{App, Event, HistoricalScanOptions};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tokio::sync::broadcast::error::RecvError;

/// Event carrying the [`ScanStatus`] while a scan runs.
pub const SCAN_PROGRESS: &str = "scan-progress";

/// At most this often while a scan runs (the end is always sent at once).
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Repositories scanned at once by the desktop (gentle on the server and on a laptop).
const CONCURRENCY: usize = 4;

/// `ScanStatus.current` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanCurrent {
    pub repository_id: i64,
    pub project_key: String,
    pub slug: String,
}

/// `ScanItem` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanItemDto {
    pub repository_id: i64,
    pub project_key: String,
    pub slug: String,
    pub status: ScanItemStatus,
    pub branch: Option<String>,
    pub findings: u64,
    pub error: Option<ErrorPayload>,
    pub finished_at: Option<String>,
}

/// `ScanStatus` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanStatus {
    pub state: ScanRunState,
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    pub current: Option<ScanCurrent>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub items: Vec<ScanItemDto>,
}

impl ScanStatus {
    fn idle() -> ScanStatus {
        ScanStatus {
            state: ScanRunState::Idle,
            total: 0,
            done: 0,
            failed: 0,
            current: None,
            started_at: None,
            finished_at: None,
            items: Vec::new(),
        }
    }
}

impl From<ScanView> for ScanStatus {
    fn from(v: ScanView) -> Self {
        ScanStatus {
            state: v.state,
            total: v.total,
            done: v.done,
            failed: v.failed,
            current: v.current.map(|(repository_id, project_key, slug)| ScanCurrent {
                repository_id,
                project_key,
                slug,
            }),
            started_at: v.started_at_ms.map(rfc3339),
            finished_at: v.finished_at_ms.map(rfc3339),
            items: v
                .items
                .into_iter()
                .map(|i| ScanItemDto {
                    error: i.error.map(|message| {
                        let code = match i.status {
                            ScanItemStatus::Skipped => "skipped",
                            _ => "scan-failed",
                        };
                        ErrorPayload::new(code, message)
                    }),
                    repository_id: i.repository_id,
                    project_key: i.project_key,
                    slug: i.slug,
                    status: i.status,
                    branch: i.branch,
                    findings: i.findings,
                    finished_at: i.finished_at_ms.map(rfc3339),
                })
                .collect(),
        }
    }
}

fn options() -> HistoricalScanOptions {
    HistoricalScanOptions { concurrency: CONCURRENCY, ..HistoricalScanOptions::default() }
}

/// The desktop instance's scan status (idle before any instance is connected). Blocking.
fn status(shell: &Shell, app: &App) -> Result<ScanStatus, CommandError> {
    let Some(instance) = app.desktop_instance()? else { return Ok(ScanStatus::idle()) };
    Ok(shell.scans.status(app, &instance)?.into())
}

fn emit_status<R: Runtime>(handle: &AppHandle<R>, status: &ScanStatus) {
    if let Err(err) = handle.emit(SCAN_PROGRESS, status) {
        tracing::warn!(error = %err, "cannot send scan progress to the UI");
    }
}

/// Where the scan stands.
#[tauri::command]
pub async fn get_scan_status<R: Runtime>(handle: AppHandle<R>) -> Result<ScanStatus, CommandError> {
    blocking(move || {
        let shell = handle.state::<Shell>();
        status(&shell, shell.app()?)
    })
    .await?
}

async fn start<R: Runtime>(
    handle: AppHandle<R>,
    shell: &Shell,
    request: ScanRequest,
) -> Result<ScanStatus, CommandError> {
    let app: Arc<App> = shell.app_arc()?;
    let instance = {
        let app = app.clone();
        blocking(move || app.require_desktop_instance()).await??
    };
    let view = shell.scans.start(app, &instance, request, options())?;
    let status: ScanStatus = view.into();
    emit_status(&handle, &status);
    data_changed(&handle, "scan");
    Ok(status)
}

/// Scans every repository in the perimeter (resuming an unfinished scan first).
#[tauri::command]
pub async fn start_scan<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
) -> Result<ScanStatus, CommandError> {
    start(handle, &shell, ScanRequest::Start).await
}

/// Scans failed repositories again (`repositoryIds` empty: every failed one).
#[tauri::command]
pub async fn retry_scan<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    repository_ids: Vec<i64>,
) -> Result<ScanStatus, CommandError> {
    start(handle, &shell, ScanRequest::Retry(repository_ids)).await
}

/// Stops the scan after the repositories in flight; the rest stays for the next start.
#[tauri::command]
pub async fn cancel_scan<R: Runtime>(handle: AppHandle<R>) -> Result<ScanStatus, CommandError> {
    let status = blocking({
        let handle = handle.clone();
        move || {
            let shell = handle.state::<Shell>();
            shell.scans.cancel();
            status(&shell, shell.app()?)
        }
    })
    .await??;
    emit_status(&handle, &status);
    Ok(status)
}

/// Forwards scan events as `scan-progress`, at most every [`PROGRESS_INTERVAL`] while the
/// scan runs and at once when it ends; resumes a scan the app was quit in the middle of.
pub fn start_relay<R: Runtime>(handle: &AppHandle<R>) {
    let Ok(app) = handle.state::<Shell>().app_arc() else { return };
    let mut events = app.events().subscribe();
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move {
        resume_interrupted(&handle, &app).await;
        let mut last_sent = Instant::now() - PROGRESS_INTERVAL;
        let mut pending = false;
        loop {
            let received = if pending {
                let wait = PROGRESS_INTERVAL.saturating_sub(last_sent.elapsed());
                tokio::time::timeout(wait, events.recv()).await.ok()
            } else {
                Some(events.recv().await)
            };
            let send_now = match received {
                // The interval ran out with progress unsent.
                None => true,
                Some(Ok(Event::ScanProgress { .. }) | Err(RecvError::Lagged(_))) => {
                    pending = true;
                    last_sent.elapsed() >= PROGRESS_INTERVAL
                }
                Some(Ok(Event::ScanFinished { .. })) => true,
                Some(Ok(_)) => false,
                Some(Err(RecvError::Closed)) => break,
            };
            if send_now {
                pending = false;
                last_sent = Instant::now();
                let h = handle.clone();
                let status = blocking(move || {
                    let shell = h.state::<Shell>();
                    status(&shell, shell.app()?)
                })
                .await;
                match status {
                    Ok(Ok(status)) => emit_status(&handle, &status),
                    Ok(Err(err)) | Err(err) => {
                        tracing::warn!(error = %err, "cannot read the scan status")
                    }
                }
            }
        }
    });
}

async fn resume_interrupted<R: Runtime>(handle: &AppHandle<R>, app: &Arc<App>) {
    let connection = {
        let app = app.clone();
        blocking(move || app.desktop_connection()).await
    };
    let Ok(Ok(Some(connection))) = connection else { return };
    if !connection.connected() {
        return;
    }
    let shell = handle.state::<Shell>();
    match shell.scans.resume_interrupted(app.clone(), &connection.instance, options()) {
        Ok(true) => data_changed(handle, "scan"),
        Ok(false) => {}
        Err(err) => tracing::warn!(error = %err, "cannot resume the interrupted scan"),
    }
}
