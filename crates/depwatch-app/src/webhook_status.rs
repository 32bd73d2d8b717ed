//! How depwatch hears about pushes, per project and repository: what the last webhook
//! installation (reconcile) found, kept in the setting table (`webhooks.<instance id>`, one map
//! from scope — `PROJECT` or `PROJECT/slug` — to the outcome), and the installation itself with
//! the desktop's listener URL and webhook secret.
//!
//! A repository is `installed` when its own webhook or its project's is in place, `failing`
//! when the last installation attempt failed for a reason other than permissions, `polling`
//! when depwatch may not install one (no admin permission, a personal project, a server without
//! webhooks) and catch-up polling is all there is, and `missing` when nothing was tried yet.

use crate::connection::error_code;
use crate::instance::{now_ms, InstanceError};
use crate::settings::{outgoing_address, SettingsError};
use crate::webhook_registration::{
    install_for_project, reconcile_webhook, DesiredWebhook, HookAction, RepoToCover,
};
use crate::App;
use depwatch_bitbucket::{Client, Error as BbError, HookTarget};
use depwatch_store::{InstanceRecord, ProjectRecord, RepositoryRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How pushes to a project or repository reach depwatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookState {
    Installed,
    Missing,
    Failing,
    Polling,
}

/// The state of one scope, with why (for failing and polling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    pub state: WebhookState,
    pub detail: Option<String>,
    /// Unix milliseconds of the installation attempt that set this state.
    pub checked_at_ms: Option<i64>,
}

impl WebhookStatus {
    fn new(state: WebhookState, detail: Option<String>) -> WebhookStatus {
        WebhookStatus { state, detail, checked_at_ms: None }
    }
}

/// The stored outcomes of one instance, by scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookBook {
    pub scopes: BTreeMap<String, WebhookStatus>,
}

fn book_key(instance: &InstanceRecord) -> String {
    format!("webhooks.{}", instance.id.0)
}

/// Why installing a webhook failed as a whole (per-scope failures are recorded instead).
#[derive(Debug, thiserror::Error)]
pub enum WebhookInstallError {
    #[error(transparent)]
    Instance(#[from] InstanceError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Store(#[from] depwatch_store::StoreError),
    #[error("{message}")]
    Bitbucket { code: &'static str, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// What to install on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookScope {
    /// Every repository of a project (a project-level webhook when allowed).
    Project(String),
    /// One repository (store id).
    Repository(i64),
}

fn outcome_status(outcome: &Result<HookAction, BbError>, now: i64) -> WebhookStatus {
    let (state, detail) = match outcome {
        Ok(_) => (WebhookState::Installed, None),
        // 401/403 on the webhook admin REST means no admin permission: poll instead.
        Err(err @ (BbError::Auth { .. } | BbError::Http { status: 403, .. })) => (
            WebhookState::Polling,
            Some(format!(
                "depwatch may not install a webhook here (REPO_ADMIN or PROJECT_ADMIN needed); it polls instead: {err}"
            )),
        ),
        Err(err) => (WebhookState::Failing, Some(err.to_string())),
    };
    WebhookStatus { state, detail, checked_at_ms: Some(now) }
}

impl App {
    /// The stored installation outcomes of an instance.
    pub fn webhook_book(&self, instance: &InstanceRecord) -> Result<WebhookBook, InstanceError> {
        Ok(self.store.setting::<WebhookBook>(&book_key(instance))?.unwrap_or_default())
    }

    fn record_webhook_outcomes(
        &self,
        instance: &InstanceRecord,
        outcomes: Vec<(String, WebhookStatus)>,
    ) -> Result<(), InstanceError> {
        let mut book = self.webhook_book(instance)?;
        for (scope, status) in outcomes {
            book.scopes.insert(scope, status);
        }
        self.store.set_setting(&book_key(instance), &book)?;
        Ok(())
    }

    /// The webhook state of a project.
    pub fn project_webhook_status(
        &self,
        book: &WebhookBook,
        project: &ProjectRecord,
    ) -> WebhookStatus {
        if let Some(status) = book.scopes.get(&project.key) {
            return status.clone();
        }
        if project.personal {
            return WebhookStatus::new(
                WebhookState::Polling,
                Some("personal projects have no project-level webhook; their repositories are covered one by one".to_owned()),
            );
        }
        // Covered repository by repository: the project shows what they show.
        let prefix = format!("{}/", project.key);
        let mut repo_states = book
            .scopes
            .iter()
            .filter(|(scope, _)| scope.starts_with(&prefix))
            .map(|(_, s)| s.state);
        match repo_states.next() {
            Some(first) if repo_states.all(|s| s == first) => WebhookStatus::new(
                first,
                Some("no project-level webhook; repositories are covered one by one".to_owned()),
            ),
            Some(_) => WebhookStatus::new(
                WebhookState::Failing,
                Some("no project-level webhook, and not every repository has one".to_owned()),
            ),
            None => WebhookStatus::new(WebhookState::Missing, None),
        }
    }

    /// The webhook state of a repository: its own, else its project's when that one is
    /// installed.
    pub fn repository_webhook_status(
        &self,
        book: &WebhookBook,
        repo: &RepositoryRecord,
    ) -> WebhookStatus {
        if let Some(status) = book.scopes.get(&format!("{}/{}", repo.project_key, repo.slug)) {
            return status.clone();
        }
        match book.scopes.get(&repo.project_key) {
            Some(project) if project.state == WebhookState::Installed => project.clone(),
            _ => WebhookStatus::new(WebhookState::Missing, None),
        }
    }

    /// The webhook as it should be for `instance`: the listener URL (with this machine's
    /// address when the listener binds every interface) and the webhook secret (generated on
    /// first use). Blocking: the secret store may be asked.
    pub fn desired_webhook(
        &self,
        instance: &InstanceRecord,
    ) -> Result<DesiredWebhook, SettingsError> {
        let settings = self.settings()?;
        let machine = machine_address(&settings, Some(instance));
        let secret = match self.webhook_secret()? {
            Some(secret) => secret,
            None => self.regenerate_webhook_secret()?,
        };
        Ok(DesiredWebhook {
            name: "depwatch".to_owned(),
            url: settings.webhook_url(Some(&instance.name), machine),
            secret,
        })
    }

    /// Installs (or repairs) depwatch's webhook on a project or repository, records the outcome
    /// per scope, and returns the outcomes. `desired` comes from [`App::desired_webhook`].
    pub async fn install_webhook(
        &self,
        instance: &InstanceRecord,
        scope: &WebhookScope,
        desired: &DesiredWebhook,
    ) -> Result<Vec<(String, WebhookStatus)>, WebhookInstallError> {
        let client: Client = self.client(instance)?;
        let bb = |err: BbError| {
            if let Err(e) = self.record_call_error(instance, &err) {
                tracing::warn!(error = %e, "cannot record the instance state");
            }
            WebhookInstallError::Bitbucket { code: error_code(&err), message: err.to_string() }
        };
        let now = now_ms();
        let outcomes: Vec<(String, WebhookStatus)> = match scope {
            WebhookScope::Project(key) => {
                let repos = self.store.repositories(instance.id, Some(key))?;
                if !self.store.projects(instance.id)?.iter().any(|p| &p.key == key) {
                    return Err(WebhookInstallError::Invalid(format!(
                        "instance `{}` has no project `{key}`",
                        instance.name
                    )));
                }
                let cover: Vec<RepoToCover> = repos
                    .iter()
                    .map(|r| RepoToCover {
                        slug: r.slug.clone(),
                        plugin_url: plugin_url(desired, instance, &r.project_key, &r.slug),
                    })
                    .collect();
                let results =
                    install_for_project(&client, key, &cover, desired).await.map_err(bb)?;
                let mut outcomes: Vec<(String, WebhookStatus)> = results
                    .into_iter()
                    .map(|(scope, result)| {
                        let result = result.map(|installed| installed.action);
                        (scope, outcome_status(&result, now))
                    })
                    .collect();
                // Covered per repository: the project scope itself has no webhook of ours.
                if !outcomes.iter().any(|(s, _)| s == key) {
                    outcomes.push((
                        key.clone(),
                        WebhookStatus {
                            state: WebhookState::Polling,
                            detail: Some("no project-level webhook (needs PROJECT_ADMIN on Bitbucket 8.0 or later); repositories are covered one by one".to_owned()),
                            checked_at_ms: Some(now),
                        },
                    ));
                }
                outcomes
            }
            WebhookScope::Repository(id) => {
                let repo = self
                    .store
                    .repository(depwatch_store::RepositoryId(*id))?
                    .filter(|r| r.instance_id == instance.id)
                    .ok_or_else(|| {
                        WebhookInstallError::Invalid(format!(
                            "instance `{}` has no repository with id {id}",
                            instance.name
                        ))
                    })?;
                let props = client.application_properties().await.map_err(bb)?;
                let label = format!("{}/{}", repo.project_key, repo.slug);
                if !props.has_native_webhooks() {
                    let cover = [RepoToCover {
                        slug: repo.slug.clone(),
                        plugin_url: plugin_url(desired, instance, &repo.project_key, &repo.slug),
                    }];
                    install_for_project(&client, &repo.project_key, &cover, desired)
                        .await
                        .map_err(bb)?
                        .into_iter()
                        .map(|(scope, result)| {
                            (scope, outcome_status(&result.map(|i| i.action), now))
                        })
                        .collect()
                } else {
                    let ssl_field = props.major_minor().filter(|v| *v >= (9, 0)).map(|_| true);
                    let target = HookTarget::repo(&repo.project_key, &repo.slug);
                    let result = reconcile_webhook(&client, &target, desired, ssl_field).await;
                    vec![(label, outcome_status(&result, now))]
                }
            }
        };
        self.record_webhook_outcomes(instance, outcomes.clone())?;
        Ok(outcomes)
    }
}

/// This machine's address as Bitbucket would see it, when the listener binds every interface
/// (`None` otherwise: the listen address is the host). Blocking but quick (no packet is sent).
pub fn machine_address(
    settings: &crate::Settings,
    instance: Option<&InstanceRecord>,
) -> Option<std::net::IpAddr> {
    if !settings.listen_address.is_unspecified() {
        return None;
    }
    let host = instance.and_then(|i| {
        i.base_url.split_once("://").and_then(|(_, rest)| {
            rest.split(['/', ':']).next().filter(|h| !h.is_empty()).map(str::to_owned)
        })
    });
    outgoing_address(host.as_deref())
}

/// The Web Post Hooks plugin URL for one repository: the listener's base, then
/// `/repo-syncer/repos/{bitbucket host}/{project}/{repo}?token=` with the webhook secret (the
/// monitor runtime accepts the webhook secret as the plugin token).
fn plugin_url(
    desired: &DesiredWebhook,
    instance: &InstanceRecord,
    project: &str,
    slug: &str,
) -> String {
    let webhook_url = desired.url.as_str();
    let base = webhook_url.split("/webhook").next().unwrap_or(webhook_url);
    let host = instance
        .base_url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        .unwrap_or("bitbucket");
    format!("{base}/repo-syncer/repos/{host}/{project}/{slug}?token={}", desired.secret.expose())
}
