//! Keeping Bitbucket pointed at our listener: a native webhook (events `repo:refs_changed` and
//! `repo:modified`, our URL, our secret) at project level where the server (8.x) and the user's
//! rights allow it, else one per repository; the Atlassian Labs Web Post Hooks plugin on
//! servers without native webhooks (< 5.4). Reconciling finds our hook by URL and repairs it
//! (inactive, events dropped, URL or secret changed) instead of piling up new ones.

use depwatch_bitbucket::model::{Webhook, WebhookSpec};
use depwatch_bitbucket::webhook::{EVENT_REFS_CHANGED, EVENT_REPO_MODIFIED};
use depwatch_bitbucket::{Client, Error, HookTarget, HookUrlChange, Secret};

/// The events depwatch subscribes to (an unknown key would get HTTP 400, so only these).
pub const WEBHOOK_EVENTS: [&str; 2] = [EVENT_REFS_CHANGED, EVENT_REPO_MODIFIED];

/// Our webhook as it should be.
#[derive(Debug, Clone)]
pub struct DesiredWebhook {
    /// Shown in Bitbucket's UI (`depwatch-<host>`).
    pub name: String,
    /// Our listener's URL as Bitbucket must call it.
    pub url: String,
    /// HMAC secret (`X-Hub-Signature`).
    pub secret: Secret,
}

impl DesiredWebhook {
    fn spec(&self, ssl_field: Option<bool>) -> WebhookSpec {
        WebhookSpec {
            name: self.name.clone(),
            url: self.url.clone(),
            active: true,
            events: WEBHOOK_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            secret: Some(self.secret.clone()),
            ssl_verification_required: ssl_field,
        }
    }
}

/// What reconciling one target did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum HookAction {
    /// No webhook with our URL existed; one was created.
    Created { id: i64 },
    /// Ours existed but differed; it was updated. `what` names the differences.
    Repaired { id: i64, what: Vec<String> },
    /// Ours existed as it should.
    Unchanged { id: i64 },
    /// Our URL was put into the post-receive plugin (or already was).
    PluginConfigured { slot: String },
}

/// Where our hook ended up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// `PROJECT` or `PROJECT/slug`.
    pub scope: String,
    pub action: HookAction,
}

/// One repository to cover, with its post-receive plugin URL (which carries a per-repository
/// path and token, unlike the native webhook URL).
#[derive(Debug, Clone)]
pub struct RepoToCover {
    pub slug: String,
    pub plugin_url: String,
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/')
}

fn label(target: &HookTarget) -> String {
    match target {
        HookTarget::Repository { project, slug } => format!("{project}/{slug}"),
        HookTarget::Project { project } => project.clone(),
    }
}

/// What differs between a webhook found on the server and the desired one.
fn differences(found: &Webhook, desired: &DesiredWebhook) -> Vec<String> {
    let mut what = Vec::new();
    if found.active == Some(false) {
        what.push("inactive".to_owned());
    }
    for event in WEBHOOK_EVENTS {
        if !found.events.iter().any(|e| e == event) {
            what.push(format!("event {event} missing"));
        }
    }
    // Servers do not always echo the secret back; only a different one is a difference.
    if found.configuration.secret.as_ref().is_some_and(|s| s.expose() != desired.secret.expose()) {
        what.push("secret differs".to_owned());
    }
    what
}

/// Creates or repairs our native webhook on one target and deletes duplicates of it.
///
/// # Errors
/// Bitbucket errors (401 when the user lacks REPO_ADMIN / PROJECT_ADMIN).
pub async fn reconcile_webhook(
    client: &Client,
    target: &HookTarget,
    desired: &DesiredWebhook,
    ssl_field: Option<bool>,
) -> Result<HookAction, Error> {
    let ours: Vec<Webhook> = client
        .list_webhooks(target)
        .await?
        .into_iter()
        .filter(|h| same_url(&h.url, &desired.url))
        .collect();
    let Some(first) = ours.first() else {
        let created = client.create_webhook(target, &desired.spec(ssl_field)).await?;
        tracing::info!(scope = %label(target), id = created.id, "webhook created");
        return Ok(HookAction::Created { id: created.id });
    };
    for duplicate in ours.iter().skip(1) {
        client.delete_webhook(target, duplicate.id).await?;
        tracing::info!(scope = %label(target), id = duplicate.id, "duplicate webhook removed");
    }
    let what = differences(first, desired);
    if what.is_empty() {
        return Ok(HookAction::Unchanged { id: first.id });
    }
    client.update_webhook(target, first.id, &desired.spec(ssl_field)).await?;
    tracing::info!(scope = %label(target), id = first.id, ?what, "webhook repaired");
    Ok(HookAction::Repaired { id: first.id, what })
}

/// Covers the repositories of one project: a project-level webhook when the server has them
/// (8.x) and the user may create it, else a webhook per repository, else (servers < 5.4) the
/// post-receive plugin per repository. Returns one result per scope tried last; a failure on
/// one repository does not stop the others.
///
/// # Errors
/// Only when the server version cannot be read.
pub async fn install_for_project(
    client: &Client,
    project: &str,
    repos: &[RepoToCover],
    desired: &DesiredWebhook,
) -> Result<Vec<(String, Result<Installed, Error>)>, Error> {
    let props = client.application_properties().await?;
    // `sslVerificationRequired` exists from 9.x; older servers may reject unknown fields.
    let ssl_field = props.major_minor().filter(|v| *v >= (9, 0)).map(|_| true);
    let mut results = Vec::new();
    if !props.has_native_webhooks() {
        for repo in repos {
            let target = HookTarget::repo(project, &repo.slug);
            let outcome =
                client.add_post_receive_url(&target, &repo.plugin_url).await.map(|change| {
                    let slot = match change {
                        HookUrlChange::Added { slot } | HookUrlChange::AlreadyPresent { slot } => {
                            slot
                        }
                        HookUrlChange::Removed { .. } | HookUrlChange::NotPresent => String::new(),
                    };
                    Installed {
                        scope: label(&target),
                        action: HookAction::PluginConfigured { slot },
                    }
                });
            results.push((label(&target), outcome));
        }
        return Ok(results);
    }
    if props.has_project_webhooks() {
        let target = HookTarget::project(project);
        match reconcile_webhook(client, &target, desired, ssl_field).await {
            Ok(action) => {
                results.push((label(&target), Ok(Installed { scope: label(&target), action })));
                return Ok(results);
            }
            // Not a project admin: per repository, where REPO_ADMIN may still be granted.
            Err(Error::Auth { .. }) => {
                tracing::info!(project, "no PROJECT_ADMIN: installing webhooks per repository");
            }
            Err(e) => {
                results.push((label(&target), Err(e)));
                return Ok(results);
            }
        }
    }
    for repo in repos {
        let target = HookTarget::repo(project, &repo.slug);
        let outcome = reconcile_webhook(client, &target, desired, ssl_field)
            .await
            .map(|action| Installed { scope: label(&target), action });
        results.push((label(&target), outcome));
    }
    Ok(results)
}

/// Removes our webhook (every webhook with our URL) and our post-receive plugin URL from a
/// target when it is no longer monitored. Returns how many webhooks were deleted.
///
/// # Errors
/// Bitbucket errors other than "the plugin is not installed".
pub async fn remove_from(
    client: &Client,
    target: &HookTarget,
    webhook_url: &str,
    plugin_url: Option<&str>,
) -> Result<usize, Error> {
    let mut deleted = 0;
    let hooks = match client.list_webhooks(target).await {
        Ok(hooks) => hooks,
        // Servers before 5.4 have no webhook REST: only the plugin URL can be ours.
        Err(Error::NotFound { .. }) if plugin_url.is_some() => Vec::new(),
        Err(e) => return Err(e),
    };
    for hook in hooks {
        if same_url(&hook.url, webhook_url) {
            client.delete_webhook(target, hook.id).await?;
            deleted += 1;
        }
    }
    if let Some(url) = plugin_url {
        if client.hook(target, depwatch_bitbucket::POST_RECEIVE_HOOK_KEY).await?.is_some() {
            client.remove_post_receive_url(target, url).await?;
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(active: Option<bool>, events: &[&str], secret: Option<&str>) -> Webhook {
        serde_json::from_value(serde_json::json!({
            "id": 7, "url": "http://laptop:28123/webhook/corp/", "active": active,
            "events": events,
            "configuration": secret.map(|s| serde_json::json!({"secret": s})).unwrap_or(serde_json::json!({})),
        }))
        .unwrap()
    }

    #[test]
    fn differences_name_what_to_repair() {
        let desired = DesiredWebhook {
            name: "depwatch".into(),
            url: "http://laptop:28123/webhook/corp".into(),
            secret: Secret::new("s"),
        };
        assert!(same_url(&hook(None, &[], None).url, &desired.url));
        assert!(differences(&hook(Some(true), &WEBHOOK_EVENTS, None), &desired).is_empty());
        assert!(differences(&hook(Some(true), &WEBHOOK_EVENTS, Some("s")), &desired).is_empty());
        assert_eq!(
            differences(&hook(Some(false), &["repo:refs_changed"], Some("old")), &desired),
            ["inactive", "event repo:modified missing", "secret differs"]
        );
    }
}
