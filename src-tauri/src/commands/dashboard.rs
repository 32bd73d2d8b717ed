//! `get_dashboard`.

use super::settings::AdvisorySourceDto;
use super::view::with_app;
use crate::{CommandError, ErrorCode, Shell};
use depwatch_app::view::Dashboard;
use tauri::State;

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
