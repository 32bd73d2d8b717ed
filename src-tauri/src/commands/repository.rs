//! `list_repositories`, `get_repository`, `list_dependencies`.

use super::view::with_app;
use crate::{CommandError, Shell};
use depwatch_app::view::{DependencyRow, RepositoryDetail, RepositorySummary};
use tauri::State;

/// Every repository of the perimeter.
#[tauri::command]
pub async fn list_repositories(
    shell: State<'_, Shell>,
) -> Result<Vec<RepositorySummary>, CommandError> {
    with_app(&shell, |app, now| app.repositories_view(now)).await
}

/// One repository with its branches and manifests.
#[tauri::command]
pub async fn get_repository(
    shell: State<'_, Shell>,
    repository_id: i64,
) -> Result<RepositoryDetail, CommandError> {
    with_app(&shell, move |app, now| app.repository_view(repository_id, now)).await
}

/// The packages of one branch with their open findings.
#[tauri::command]
pub async fn list_dependencies(
    shell: State<'_, Shell>,
    repository_id: i64,
    branch: String,
) -> Result<Vec<DependencyRow>, CommandError> {
    with_app(&shell, move |app, now| app.dependencies_view(repository_id, &branch, now)).await
}
