//! Registering native webhooks (5.4+) at repository or project (8.x) level.

use reqwest::Method;

use crate::client::{segment, Call, Client};
use crate::error::Result;
use crate::model::{Webhook, WebhookSpec, WebhookTestResult};

/// Where a webhook or hook setting lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookTarget {
    /// One repository (needs REPO_ADMIN).
    Repository {
        /// Project key.
        project: String,
        /// Repository slug.
        slug: String,
    },
    /// A whole project, inherited by its repositories (needs PROJECT_ADMIN; 8.x for webhooks).
    Project {
        /// Project key.
        project: String,
    },
}

impl HookTarget {
    /// A repository target.
    pub fn repo(project: impl Into<String>, slug: impl Into<String>) -> Self {
        HookTarget::Repository { project: project.into(), slug: slug.into() }
    }

    /// A project target.
    pub fn project(project: impl Into<String>) -> Self {
        HookTarget::Project { project: project.into() }
    }

    /// Validated path segments: `projects/{p}[/repos/{r}]`.
    pub(crate) fn segments(&self) -> Result<Vec<&str>> {
        Ok(match self {
            HookTarget::Repository { project, slug } => vec![
                "projects",
                segment("project key", project)?,
                "repos",
                segment("repository slug", slug)?,
            ],
            HookTarget::Project { project } => vec!["projects", segment("project key", project)?],
        })
    }
}

impl Client {
    fn webhooks_path<'a>(&self, target: &'a HookTarget, tail: &[&'a str]) -> Result<Vec<&'a str>> {
        let mut path = target.segments()?;
        path.push("webhooks");
        path.extend_from_slice(tail);
        Ok(path)
    }

    /// All webhooks of the target (paged).
    pub async fn list_webhooks(&self, target: &HookTarget) -> Result<Vec<Webhook>> {
        let path = self.webhooks_path(target, &[])?;
        self.paged::<Webhook>(&path, &[], None)?.collect_all().await
    }

    /// One webhook.
    pub async fn get_webhook(&self, target: &HookTarget, id: i64) -> Result<Webhook> {
        let id = id.to_string();
        let path = self.webhooks_path(target, &[&id])?;
        self.get_json(Call::get(self.rest(&path))).await
    }

    /// Creates a webhook (the server answers 200, not 201). List first and reuse a webhook
    /// whose `url` matches so that hooks don't pile up.
    pub async fn create_webhook(&self, target: &HookTarget, spec: &WebhookSpec) -> Result<Webhook> {
        let path = self.webhooks_path(target, &[])?;
        let call = Call::get(self.rest(&path)).with_method(Method::POST).json(&spec.to_body())?;
        self.get_json(call).await
    }

    /// Replaces a webhook's settings.
    pub async fn update_webhook(
        &self,
        target: &HookTarget,
        id: i64,
        spec: &WebhookSpec,
    ) -> Result<Webhook> {
        let id = id.to_string();
        let path = self.webhooks_path(target, &[&id])?;
        let call = Call::get(self.rest(&path)).with_method(Method::PUT).json(&spec.to_body())?;
        self.get_json(call).await
    }

    /// Deletes a webhook (204).
    pub async fn delete_webhook(&self, target: &HookTarget, id: i64) -> Result<()> {
        let id = id.to_string();
        let path = self.webhooks_path(target, &[&id])?;
        let call = Call::get(self.rest(&path)).with_method(Method::DELETE);
        self.send(&call).await.map(|_| ())
    }

    /// Makes the **server** call `url` (`POST …/webhooks/test?url=`): tells whether Bitbucket
    /// can reach our listener at all.
    pub async fn test_webhook_url(
        &self,
        target: &HookTarget,
        url: &str,
        ssl_verification_required: Option<bool>,
    ) -> Result<WebhookTestResult> {
        let path = self.webhooks_path(target, &["test"])?;
        let mut call = Call::post_empty(self.rest(&path))
            .query("url", url)
            .query_opt("sslVerificationRequired", ssl_verification_required);
        call.accept = "application/json";
        self.get_json(call).await
    }
}
