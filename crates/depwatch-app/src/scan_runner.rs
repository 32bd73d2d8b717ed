//! The historical scan as a background task a shell owns: one scan at a time, started,
//! retried (some or every failed repository) or cancelled while the UI keeps working, with its
//! status read back from the store's `scan_item` rows (so it survives a restart and resumes).
//!
//! Progress events are the app's own ([`crate::Event::ScanProgress`] / `ScanFinished` on the
//! event hub); a shell re-reads [`ScanRunner::status`] when one arrives.

use crate::historical_scan::HistoricalScanOptions;
use crate::instance::{now_ms, InstanceError};
use crate::App;
use depwatch_store::{
    FindingFilter, FindingState, InstanceId, InstanceRecord, RepositoryId, ScanItemState,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where the scan as a whole is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanRunState {
    /// No scan ever ran for this instance.
    Idle,
    Running,
    /// Cancel was asked; the repositories in flight finish first.
    Cancelling,
    /// The last scan ended (completely, cancelled, or halted by an error).
    Finished,
}

/// Where one repository is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanItemStatus {
    Queued,
    Scanning,
    Done,
    Failed,
    /// Not scanned: the scan was cancelled or halted before it got there.
    Skipped,
}

/// One repository of the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanItemView {
    pub repository_id: i64,
    pub project_key: String,
    pub slug: String,
    pub status: ScanItemStatus,
    /// Default branch (short name) when known.
    pub branch: Option<String>,
    /// Findings present on the default branch (any state but closed).
    pub findings: u64,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    pub finished_at_ms: Option<i64>,
}

/// The scan as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanView {
    pub state: ScanRunState,
    pub total: u64,
    /// Repositories finished (done or failed).
    pub done: u64,
    pub failed: u64,
    /// A repository being scanned now.
    pub current: Option<(i64, String, String)>,
    pub started_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
    /// Why the last scan stopped early (cancelled, credentials refused, …).
    pub halted: Option<String>,
    pub items: Vec<ScanItemView>,
}

/// Bookkeeping of the last scan of an instance (setting `scan.<instance id>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScanMeta {
    started_at_ms: Option<i64>,
    finished_at_ms: Option<i64>,
    /// The user cancelled: do not resume on the next start.
    cancelled: bool,
    halted: Option<String>,
}

fn meta_key(instance: InstanceId) -> String {
    format!("scan.{}", instance.0)
}

/// Why a scan could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ScanRunError {
    #[error("a historical scan is already running")]
    Busy,
    #[error(transparent)]
    Instance(#[from] InstanceError),
    #[error(transparent)]
    Store(#[from] depwatch_store::StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("no async runtime to run the scan on")]
    NoRuntime,
}

struct Running {
    instance: InstanceId,
    cancel: Arc<AtomicBool>,
    /// Cleared by the task itself before its last event, so a listener reacting to that event
    /// already sees the scan as ended.
    active: Arc<AtomicBool>,
}

/// Owns the one background historical scan.
#[derive(Default)]
pub struct ScanRunner {
    running: Mutex<Option<Running>>,
}

impl std::fmt::Debug for ScanRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanRunner").field("running", &self.is_running()).finish()
    }
}

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanRequest {
    /// Resume an unfinished scan, else scan the whole perimeter afresh.
    Start,
    /// Scan these failed repositories again (empty: every failed one).
    Retry(Vec<i64>),
}

impl ScanRunner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True while a scan task runs.
    pub fn is_running(&self) -> bool {
        self.lock().as_ref().is_some_and(|r| r.active.load(Ordering::Acquire))
    }

    /// Starts a scan of `instance` on the current tokio runtime and returns at once.
    pub fn start(
        &self,
        app: Arc<App>,
        instance: &InstanceRecord,
        request: ScanRequest,
        mut options: HistoricalScanOptions,
    ) -> Result<ScanView, ScanRunError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ScanRunError::NoRuntime)?;
        let mut running = self.lock();
        if running.as_ref().is_some_and(|r| r.active.load(Ordering::Acquire)) {
            return Err(ScanRunError::Busy);
        }
        match &request {
            ScanRequest::Start => {}
            ScanRequest::Retry(ids) if ids.is_empty() => options.retry_failed = true,
            ScanRequest::Retry(ids) => {
                let failed = app.store.scan_items(instance.id, Some(ScanItemState::Failed))?;
                for id in ids {
                    if !failed.iter().any(|i| i.repository_id.0 == *id) {
                        return Err(ScanRunError::Invalid(format!(
                            "repository {id} has no failed scan to retry"
                        )));
                    }
                }
                for id in ids {
                    app.store.scan_item_set(
                        RepositoryId(*id),
                        ScanItemState::Pending,
                        None,
                        now_ms(),
                    )?;
                }
            }
        }
        let cancel = Arc::new(AtomicBool::new(false));
        options.cancel = Some(cancel.clone());
        // Announced below, after the end is recorded.
        options.announce_finish = false;
        let meta = ScanMeta {
            started_at_ms: Some(now_ms()),
            finished_at_ms: None,
            cancelled: false,
            halted: None,
        };
        app.store.set_setting(&meta_key(instance.id), &meta)?;
        let name = instance.name.clone();
        let id = instance.id;
        let task_app = app.clone();
        let task_cancel = cancel.clone();
        let active = Arc::new(AtomicBool::new(true));
        let task_active = active.clone();
        runtime.spawn(async move {
            let outcome = task_app.historical_scan(Some(&name), options).await;
            let halted = match outcome {
                Ok(report) => report.halted,
                Err(err) => {
                    tracing::warn!(instance = %name, error = %err, "historical scan failed");
                    Some(err.to_string())
                }
            };
            let meta = ScanMeta {
                finished_at_ms: Some(now_ms()),
                cancelled: task_cancel.load(Ordering::Relaxed),
                halted,
                ..meta
            };
            if let Err(err) = task_app.store.set_setting(&meta_key(id), &meta) {
                tracing::warn!(error = %err, "cannot record the end of the historical scan");
            }
            task_active.store(false, Ordering::Release);
            let counts = task_app.store.scan_counts(id).unwrap_or_default();
            task_app.events.emit(crate::Event::ScanFinished {
                instance: name.clone(),
                done: counts.finished(),
                failed: counts.failed,
                total: counts.total(),
                halted: meta.halted.clone(),
            });
        });
        *running = Some(Running { instance: id, cancel, active });
        drop(running);
        self.status(&app, instance)
    }

    /// Asks the running scan to stop after the repositories in flight; the rest stays pending
    /// for a later start.
    pub fn cancel(&self) {
        if let Some(r) = self.lock().as_ref() {
            r.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Waits for the running scan, if any, to end.
    pub async fn wait(&self) {
        while self.is_running() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Resumes a scan the app was stopped in the middle of (not one the user cancelled).
    /// Returns whether a scan was started.
    pub fn resume_interrupted(
        &self,
        app: Arc<App>,
        instance: &InstanceRecord,
        options: HistoricalScanOptions,
    ) -> Result<bool, ScanRunError> {
        let meta: ScanMeta = app.store.setting(&meta_key(instance.id))?.unwrap_or_default();
        let counts = app.store.scan_counts(instance.id)?;
        let interrupted = meta.started_at_ms.is_some()
            && meta.finished_at_ms.is_none()
            && counts.pending + counts.running > 0;
        if !interrupted || self.is_running() {
            return Ok(false);
        }
        tracing::info!(instance = %instance.name, pending = counts.pending + counts.running, "resuming the interrupted historical scan");
        self.start(app, instance, ScanRequest::Start, options)?;
        Ok(true)
    }

    /// The scan of `instance` as it stands.
    pub fn status(&self, app: &App, instance: &InstanceRecord) -> Result<ScanView, ScanRunError> {
        let (running, cancelling) = match self.lock().as_ref() {
            Some(r) if r.instance == instance.id && r.active.load(Ordering::Acquire) => {
                (true, r.cancel.load(Ordering::Relaxed))
            }
            _ => (false, false),
        };
        let meta: ScanMeta = app.store.setting(&meta_key(instance.id))?.unwrap_or_default();
        let rows = app.store.scan_items(instance.id, None)?;
        let repos: HashMap<RepositoryId, depwatch_store::RepositoryRecord> =
            app.store.repositories(instance.id, None)?.into_iter().map(|r| (r.id, r)).collect();
        let mut findings: HashMap<(RepositoryId, String), u64> = HashMap::new();
        for f in app.store.findings(&FindingFilter {
            instance: Some(instance.id),
            present_only: true,
            ..FindingFilter::default()
        })? {
            if f.state != FindingState::Closed {
                *findings.entry((f.repository_id, f.ref_id)).or_default() += 1;
            }
        }
        let skipped_reason = meta.halted.clone().map(|h| match h.as_str() {
            "cancelled" => "not scanned: the scan was cancelled".to_owned(),
            other => format!("not scanned: the scan stopped ({other})"),
        });
        let mut view = ScanView {
            state: if running {
                if cancelling {
                    ScanRunState::Cancelling
                } else {
                    ScanRunState::Running
                }
            } else if rows.is_empty() && meta.started_at_ms.is_none() {
                ScanRunState::Idle
            } else {
                ScanRunState::Finished
            },
            total: rows.len() as u64,
            done: 0,
            failed: 0,
            current: None,
            started_at_ms: meta.started_at_ms,
            finished_at_ms: if running { None } else { meta.finished_at_ms },
            halted: if running { None } else { meta.halted.clone() },
            items: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            let repo = repos.get(&row.repository_id);
            let default_branch = repo.and_then(|r| r.default_branch.clone());
            let (status, error) =
                match row.state {
                    ScanItemState::Done => (ScanItemStatus::Done, None),
                    ScanItemState::Failed => (ScanItemStatus::Failed, row.error.clone()),
                    ScanItemState::Running if running => (ScanItemStatus::Scanning, None),
                    ScanItemState::Pending | ScanItemState::Running if running => {
                        (ScanItemStatus::Queued, None)
                    }
                    ScanItemState::Pending | ScanItemState::Running => (
                        ScanItemStatus::Skipped,
                        Some(skipped_reason.clone().unwrap_or_else(|| {
                            "not scanned yet: start the scan to resume".to_owned()
                        })),
                    ),
                };
            match status {
                ScanItemStatus::Done => view.done += 1,
                ScanItemStatus::Failed => {
                    view.done += 1;
                    view.failed += 1;
                }
                ScanItemStatus::Scanning if view.current.is_none() => {
                    view.current =
                        Some((row.repository_id.0, row.project_key.clone(), row.slug.clone()));
                }
                _ => {}
            }
            let findings = default_branch
                .as_ref()
                .and_then(|b| findings.get(&(row.repository_id, b.clone())))
                .copied()
                .unwrap_or(0);
            view.items.push(ScanItemView {
                repository_id: row.repository_id.0,
                project_key: row.project_key,
                slug: row.slug,
                status,
                branch: default_branch
                    .map(|b| b.strip_prefix("refs/heads/").map(str::to_owned).unwrap_or(b)),
                findings,
                error,
                finished_at_ms: row.finished_at_ms,
            });
        }
        Ok(view)
    }
}
