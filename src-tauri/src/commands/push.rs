//! `list_pushes`.

use super::view::with_app;
use crate::{CommandError, ErrorCode, Shell};
use depwatch_app::view::PushEvent;
use tauri::State;

/// Most pushes one call returns.
const MAX_PUSHES: u32 = 1000;

/// Processed pushes, newest first, of one repository (or all when `repositoryId` is null).
#[tauri::command]
pub async fn list_pushes(
    shell: State<'_, Shell>,
    repository_id: Option<i64>,
    limit: i64,
) -> Result<Vec<PushEvent>, CommandError> {
    let limit =
        u32::try_from(limit).ok().filter(|l| (1..=MAX_PUSHES).contains(l)).ok_or_else(|| {
            CommandError::new(
                ErrorCode::InvalidInput,
                format!("limit {limit} is out of range (1 to {MAX_PUSHES})"),
            )
        })?;
    with_app(&shell, move |app, now| app.pushes(repository_id, limit, now)).await
}
