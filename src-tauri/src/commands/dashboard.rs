//! `get_dashboard`.

use super::view::with_app;
use crate::{CommandError, ErrorCode, Shell};
use depwatch_app::settings::AdvisorySourceStatus;
use depwatch_app::view::{rfc3339, Dashboard};
use serde::Serialize;
use tauri::State;

/// `AdvisorySourceStatus` in `types.ts` (RFC 3339 time, typed error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvisorySourceDto {
    pub id: String,
    pub name: String,
    pub ecosystems: Vec<&'static str>,
    pub enabled: bool,
    pub last_sync_at: Option<String>,
    pub advisory_count: u64,
    pub stale: bool,
    pub last_error: Option<SourceError>,
}

/// `BackendErrorPayload` of a failed sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceError {
    pub code: &'static str,
    pub message: String,
}

impl From<AdvisorySourceStatus> for AdvisorySourceDto {
    fn from(s: AdvisorySourceStatus) -> AdvisorySourceDto {
        AdvisorySourceDto {
            id: s.id,
            name: s.name,
            ecosystems: s.ecosystems.iter().map(|e| e.as_str()).collect(),
            enabled: s.enabled,
            last_sync_at: s.last_sync_at.map(|t| rfc3339(t.saturating_mul(1000))),
            advisory_count: s.advisory_count,
            stale: s.stale,
            last_error: s.last_error.map(|message| SourceError { code: "advisories", message }),
        }
    }
}

/// Totals, the worst repositories, the 90-day trend, recent pushes and advisory sources.
#[tauri::command]
pub async fn get_dashboard(
    shell: State<'_, Shell>,
) -> Result<Dashboard<AdvisorySourceDto>, CommandError> {
    with_app(&shell, |app, now| {
        let sources = app
            .advisory_source_statuses()
            .map_err(|e| CommandError::new(ErrorCode::Database, e.to_string()))?;
        let sources = sources.into_iter().map(AdvisorySourceDto::from).collect();
        app.dashboard_view(now, sources).map_err(CommandError::from)
    })
    .await
}
