//! The Perimeter screen: the projects and repositories the account sees with how pushes reach
//! depwatch for each, the selection, and webhook installation.

use crate::commands::blocking;
use crate::relay::data_changed;
use crate::{CommandError, ErrorCode, Shell};
use depwatch_app::perimeter_selection::PerimeterSelection;
use depwatch_app::view::rfc3339;
use depwatch_app::webhook_status::{self, WebhookScope, WebhookState};
use depwatch_app::App;
use depwatch_store::{InstanceRecord, RepositoryId};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tauri::{AppHandle, Runtime, State};

/// `WebhookStatus` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatusDto {
    pub state: WebhookState,
    pub last_delivery_at: Option<String>,
    pub detail: Option<String>,
}

impl WebhookStatusDto {
    /// The installation outcome, with when a webhook delivery last led to a snapshot.
    fn new(s: webhook_status::WebhookStatus, last_delivery_ms: Option<i64>) -> Self {
        WebhookStatusDto {
            state: s.state,
            last_delivery_at: last_delivery_ms.map(rfc3339),
            detail: s.detail,
        }
    }
}

/// `PerimeterRepository` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PerimeterRepository {
    pub id: i64,
    pub project_key: String,
    pub slug: String,
    pub name: String,
    pub archived: bool,
    pub personal: bool,
    pub webhook: WebhookStatusDto,
}

/// `PerimeterProject` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PerimeterProject {
    pub key: String,
    pub name: String,
    pub personal: bool,
    pub webhook: WebhookStatusDto,
    pub repositories: Vec<PerimeterRepository>,
}

fn desktop_instance(app: &App) -> Result<InstanceRecord, CommandError> {
    Ok(app.require_desktop_instance()?)
}

/// The stored listing with webhook states (no network).
fn stored_projects(
    app: &App,
    instance: &InstanceRecord,
) -> Result<Vec<PerimeterProject>, CommandError> {
    let book = app.webhook_book(instance)?;
    let repos = app.repositories(Some(&instance.name), None)?;
    let delivered: HashMap<RepositoryId, i64> = app
        .store()
        .repository_activity()?
        .into_iter()
        .filter_map(|a| Some((a.repository, a.last_webhook_at_ms?)))
        .collect();
    let mut projects: Vec<PerimeterProject> = app
        .projects(Some(&instance.name))?
        .iter()
        .map(|p| {
            let in_project: Vec<_> = repos.iter().filter(|r| r.project_key == p.key).collect();
            let repositories: Vec<PerimeterRepository> = in_project
                .iter()
                .map(|r| PerimeterRepository {
                    id: r.id.0,
                    project_key: r.project_key.clone(),
                    slug: r.slug.clone(),
                    name: r.name.clone().unwrap_or_else(|| r.slug.clone()),
                    archived: r.archived,
                    personal: r.personal,
                    webhook: WebhookStatusDto::new(
                        app.repository_webhook_status(&book, r),
                        delivered.get(&r.id).copied(),
                    ),
                })
                .collect();
            // A project hook delivers for all its repositories: its last delivery is theirs.
            let project_delivery =
                in_project.iter().filter_map(|r| delivered.get(&r.id).copied()).max();
            PerimeterProject {
                key: p.key.clone(),
                name: p.name.clone().unwrap_or_else(|| p.key.clone()),
                personal: p.personal,
                webhook: WebhookStatusDto::new(
                    app.project_webhook_status(&book, p),
                    project_delivery,
                ),
                repositories,
            }
        })
        .collect();
    projects.sort_by(|a, b| a.personal.cmp(&b.personal).then_with(|| a.key.cmp(&b.key)));
    Ok(projects)
}

/// Projects and repositories visible to the account, listed from Bitbucket (the stored
/// listing when Bitbucket cannot be reached and one exists).
#[tauri::command]
pub async fn list_projects(shell: State<'_, Shell>) -> Result<Vec<PerimeterProject>, CommandError> {
    let app = shell.app_arc()?;
    let instance = {
        let app = app.clone();
        blocking(move || desktop_instance(&app)).await??
    };
    if let Err(err) = app.refresh_inventory(Some(&instance.name)).await {
        let has_listing = !app.projects(Some(&instance.name))?.is_empty();
        if !has_listing {
            return Err(err.into());
        }
        tracing::warn!(error = %err, "cannot refresh the project list; showing the stored one");
    }
    blocking(move || stored_projects(&app, &instance)).await?
}

/// The saved perimeter.
#[tauri::command]
pub async fn get_perimeter(shell: State<'_, Shell>) -> Result<PerimeterSelection, CommandError> {
    let app = shell.app_arc()?;
    blocking(move || {
        let instance = desktop_instance(&app)?;
        Ok(app.perimeter_selection(&instance)?)
    })
    .await?
}

/// Validates, saves and applies a perimeter.
#[tauri::command]
pub async fn save_perimeter<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    perimeter: PerimeterSelection,
) -> Result<PerimeterSelection, CommandError> {
    let app = shell.app_arc()?;
    let saved = blocking(move || {
        let instance = desktop_instance(&app)?;
        Ok::<_, CommandError>(app.save_perimeter_selection(&instance, perimeter)?)
    })
    .await??;
    crate::monitor::refresh_perimeter(&handle);
    data_changed(&handle, "perimeter");
    Ok(saved)
}

/// Installs (or repairs) depwatch's webhook on a project (`projectKey`) or a repository
/// (`repositoryId`); returns the project list with the new states. When depwatch may not
/// install it, the error says so (`forbidden`) and the repository stays polled.
#[tauri::command]
pub async fn install_webhook<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    project_key: Option<String>,
    repository_id: Option<i64>,
) -> Result<Vec<PerimeterProject>, CommandError> {
    let scope = match (project_key, repository_id) {
        (Some(key), None) => WebhookScope::Project(key),
        (None, Some(id)) => WebhookScope::Repository(id),
        _ => {
            return Err(CommandError::new(
                ErrorCode::InvalidInput,
                "Give either a project key or a repository id, not both.",
            ))
        }
    };
    let app: Arc<App> = shell.app_arc()?;
    let (instance, desired) = {
        let app = app.clone();
        blocking(move || {
            let instance = desktop_instance(&app)?;
            let desired = app.desired_webhook(&instance)?;
            Ok::<_, CommandError>((instance, desired))
        })
        .await??
    };
    let outcomes = app.install_webhook(&instance, &scope, &desired).await?;
    // The first installation generates the webhook secret: the listener must check it.
    crate::monitor::reconfigure(&handle).await;
    data_changed(&handle, "perimeter");
    let refused = outcomes.iter().find(|(_, s)| s.state == WebhookState::Polling);
    let failed = outcomes.iter().find(|(_, s)| s.state == WebhookState::Failing);
    let all_polling = outcomes.iter().all(|(_, s)| s.state == WebhookState::Polling);
    if let Some((scope, status)) = failed {
        return Err(CommandError::new(
            ErrorCode::Bitbucket,
            format!("{scope}: {}", status.detail.clone().unwrap_or_default()),
        ));
    }
    if let (true, Some((scope, status))) = (all_polling, refused) {
        return Err(CommandError::new(
            ErrorCode::Forbidden,
            format!("{scope}: {}", status.detail.clone().unwrap_or_default()),
        ));
    }
    blocking(move || stored_projects(&app, &instance)).await?
}
