//! `get_advisory`.

use super::view::with_app;
use crate::{CommandError, Shell};
use depwatch_app::view::AdvisoryDetail;
use tauri::State;

/// One advisory by id or alias, with every monitored place it hits.
#[tauri::command]
pub async fn get_advisory(
    shell: State<'_, Shell>,
    advisory_id: String,
) -> Result<AdvisoryDetail, CommandError> {
    with_app(&shell, move |app, now| app.advisory_view(&advisory_id, now)).await
}
