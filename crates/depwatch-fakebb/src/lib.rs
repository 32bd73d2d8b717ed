//! A faithful fake Bitbucket Server / Data Center for tests and demos.
//!
//! A real HTTP server (axum on tokio) mounted under a non-empty context path, with REST API 1.0
//! paging and errors, Basic/Bearer/OAuth 1.0a (RSA-SHA1) auth, XSRF checks, rate limiting,
//! webhook and Web Post Hooks plugin management, signed webhook delivery on pushes, and a
//! control API at `{ctx}/_control/…`. Tests drive it through [`FakeBitbucket`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), depwatch_fakebb::FakeError> {
//! use depwatch_fakebb::{CommitSpec, Config, FakeBitbucket, Permission, Push, RepoSpec};
//! let fake = FakeBitbucket::start(Config::default()).await?;
//! fake.add_user("alice", Some("secret"), true)?;
//! let token = fake.add_personal_token("alice", Permission::Admin)?;
//! fake.add_project("SHOP", "Shop")?;
//! fake.add_repo(RepoSpec::new("SHOP", "web").file("Cargo.lock", "# lock\n"))?;
//! let report = fake
//!     .push("SHOP", "web", Push::new().commit(CommitSpec::on("main").file("a.txt", "x")))
//!     .await?;
//! # let _ = (token, report); Ok(()) }
//! ```

// Handlers short-circuit with a ready HTTP response as the error value; boxing every one of
// them would only add noise in a test server.
#![allow(clippy::result_large_err)]

mod auth;
mod browser;
mod clock;
mod config;
mod control;
mod delivery;
mod history;
mod oauth;
mod paging;
mod push;
mod request;
mod rest;
mod server;
mod shapes;
mod state;
mod webhooks;

pub mod demo;

use std::sync::Arc;
use std::time::Duration;

use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Serialize;

pub use browser::{press_authorize, AuthorizeAnswer};
pub use config::{Config, RateLimit, Resource};
pub use delivery::{signature as hmac_signature, PLUGIN_HOOK_KEY};
pub use history::ZERO_HASH;
pub use oauth::{base_string as oauth_base_string, percent_encode as oauth_percent_encode};
pub use push::{CommitSpec, PayloadOptions, Push, RefChange, RefChangeKind, RefOp};
pub use shapes::TimestampStyle;
pub use state::{Delivery, DeliveryKind, Fault, Permission, RecordedRequest, RepoSpec};
pub use webhooks::KNOWN_EVENTS;

use server::Shared;
use state::{Store, TokenOwner};

/// Errors of the test API.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// Invalid configuration.
    #[error("invalid fake configuration: {0}")]
    Config(String),
    /// Binding or serving failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// Address tried.
        addr: std::net::SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// Something named does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Something already exists.
    #[error("already exists: {0}")]
    Duplicate(String),
    /// Invalid input (key, slug, path, PEM, …).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The outgoing HTTP client could not be built.
    #[error("http client: {0}")]
    Client(String),
}

/// Identity of a seeded repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// Numeric id (`repository.id`).
    pub id: u64,
    /// Project key as stored (upper case).
    pub project_key: String,
    /// Slug.
    pub slug: String,
}

/// What a push did: net ref changes and the deliveries made (already completed).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushReport {
    /// Repository id.
    pub repository_id: u64,
    /// One entry per ref that changed.
    pub changes: Vec<RefChange>,
    /// Deliveries (webhooks and plugin), with status and latency.
    pub deliveries: Vec<Delivery>,
}

/// A running fake instance. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeBitbucket {
    shared: Arc<Shared>,
    addr: std::net::SocketAddr,
    base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

fn random_secret(len: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

pub(crate) fn add_token(
    store: &mut Store,
    owner: TokenOwner,
    permission: Permission,
    expires_in: Option<Duration>,
) -> Result<String, FakeError> {
    match &owner {
        TokenOwner::User(u) if !store.users.contains_key(u) => {
            return Err(FakeError::NotFound(format!("user {u}")))
        }
        TokenOwner::Project(k) if store.project(k).is_none() => {
            return Err(FakeError::NotFound(format!("project {k}")))
        }
        TokenOwner::Repo(id) if !store.repos.contains_key(id) => {
            return Err(FakeError::NotFound(format!("repository id {id}")))
        }
        _ => {}
    }
    let secret = random_secret(44);
    let now = store.now_ms();
    store.tokens.insert(
        secret.clone(),
        state::HttpToken {
            owner,
            permission,
            expires_at: expires_in
                .map(|d| now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))),
        },
    );
    Ok(secret)
}

pub(crate) fn grant(
    store: &mut Store,
    user: &str,
    project: &str,
    repo: Option<&str>,
    permission: Permission,
) -> Result<(), FakeError> {
    let key = store
        .project(project)
        .map(|p| p.key.clone())
        .ok_or_else(|| FakeError::NotFound(format!("project {project}")))?;
    let repo_id = match repo {
        Some(slug) => Some(
            store
                .repo_id(&key, slug)
                .ok_or_else(|| FakeError::NotFound(format!("repository {key}/{slug}")))?,
        ),
        None => None,
    };
    let u = store.users.get_mut(user).ok_or_else(|| FakeError::NotFound(format!("user {user}")))?;
    match repo_id {
        Some(id) => u.repo_perms.insert(id, permission),
        None => u.project_perms.insert(key, permission),
    };
    Ok(())
}

fn add_webhook(
    store: &mut Store,
    scope: state::Scope,
    url: &str,
    secret: Option<&str>,
) -> Result<u64, FakeError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(FakeError::Invalid(format!("webhook URL {url:?} must be http(s)")));
    }
    let id = store.next_id();
    let now = store.now_ms();
    let mut configuration = serde_json::Map::new();
    if let Some(s) = secret {
        configuration.insert("secret".to_owned(), serde_json::Value::String(s.to_owned()));
    }
    store.webhooks.insert(
        id,
        state::Webhook {
            id,
            scope,
            name: format!("webhook-{id}"),
            url: url.to_owned(),
            events: vec!["repo:refs_changed".to_owned(), "repo:modified".to_owned()],
            active: true,
            configuration,
            credentials: None,
            ssl_verification_required: true,
            created: now,
            updated: now,
        },
    );
    Ok(id)
}

pub(crate) async fn do_push(
    shared: &Arc<Shared>,
    key: &str,
    slug: &str,
    push: &Push,
) -> Result<PushReport, FakeError> {
    let (repo_id, changes, outgoing) = {
        let mut store = shared.lock();
        let repo_id = store
            .repo_id(key, slug)
            .ok_or_else(|| FakeError::NotFound(format!("repository {key}/{slug}")))?;
        let changes = push::apply(&mut store, repo_id, push)?;
        let actor = push::actor_name(&store, push.actor.as_deref());
        let outgoing = if changes.is_empty() {
            Vec::new()
        } else {
            delivery::for_push(&store, repo_id, &changes, &push.payload, actor.as_deref())
        };
        (repo_id, changes, outgoing)
    };
    let deliveries = delivery::send_all(&shared.store, &shared.client, outgoing).await;
    Ok(PushReport { repository_id: repo_id, changes, deliveries })
}

pub(crate) async fn do_rename(
    shared: &Arc<Shared>,
    key: &str,
    slug: &str,
    new_slug: &str,
    new_name: Option<&str>,
) -> Result<Vec<Delivery>, FakeError> {
    let outgoing = {
        let mut store = shared.lock();
        let id = store
            .repo_id(key, slug)
            .ok_or_else(|| FakeError::NotFound(format!("repository {key}/{slug}")))?;
        let (old, new) = store.rename_repo(id, new_slug, new_name)?;
        let actor = push::actor_name(&store, None);
        match delivery::repo_modified_body(&store, old, new, actor.as_deref()) {
            Some(body) => delivery::native_event(&store, id, "repo:modified", &body),
            None => Vec::new(),
        }
    };
    Ok(delivery::send_all(&shared.store, &shared.client, outgoing).await)
}

pub(crate) async fn do_ping(shared: &Arc<Shared>, hook_id: u64) -> Result<Delivery, FakeError> {
    let outgoing = {
        let store = shared.lock();
        let hook = store
            .webhooks
            .get(&hook_id)
            .ok_or_else(|| FakeError::NotFound(format!("webhook {hook_id}")))?;
        delivery::ping(&store, &hook.url, Some(hook_id))
    };
    delivery::send_all(&shared.store, &shared.client, vec![outgoing])
        .await
        .into_iter()
        .next()
        .ok_or_else(|| FakeError::Client("ping delivery task failed".to_owned()))
}

impl FakeBitbucket {
    /// Binds `config.bind` (use port 0 in tests) and starts serving.
    pub async fn start(config: Config) -> Result<FakeBitbucket, FakeError> {
        let context = config.normalized_context()?;
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| FakeError::Bind { addr: config.bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| FakeError::Bind { addr: config.bind, source })?;
        let base_url = match &config.public_base_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{addr}{context}"),
        };
        let client = reqwest::Client::builder()
            .timeout(config.delivery_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FakeError::Client(e.to_string()))?;
        let store = Store::new(config, context, base_url.clone());
        let shared = Arc::new(Shared::new(store, client));
        let app = axum::Router::new().fallback(server::handle).with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "fake Bitbucket server stopped");
            }
        });
        Ok(FakeBitbucket { shared, addr, base_url, shutdown: Some(tx), task: Some(task) })
    }

    /// Base URL including the context path, e.g. `http://127.0.0.1:41234/bitbucket`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Bound socket address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Context path (`/bitbucket`).
    pub fn context_path(&self) -> &str {
        &self.shared.context
    }

    /// Adds a user; `admin` makes them a system administrator (every permission).
    pub fn add_user(
        &self,
        name: &str,
        password: Option<&str>,
        admin: bool,
    ) -> Result<(), FakeError> {
        self.shared.lock().add_user(name, password, admin)
    }

    /// Adds a NORMAL project.
    pub fn add_project(&self, key: &str, name: &str) -> Result<u64, FakeError> {
        self.shared.lock().add_project(key, name, false)
    }

    /// Adds a public NORMAL project (readable anonymously).
    pub fn add_public_project(&self, key: &str, name: &str) -> Result<u64, FakeError> {
        self.shared.lock().add_project(key, name, true)
    }

    /// Adds a repository (files become one initial commit on the default branch). A project key
    /// `~user` creates the user's PERSONAL project on demand.
    pub fn add_repo(&self, spec: RepoSpec) -> Result<RepoInfo, FakeError> {
        let mut store = self.shared.lock();
        let slug = spec.slug.clone();
        let id = store.add_repo(spec)?;
        let project_key = store.repos.get(&id).map(|r| r.project_key.clone()).unwrap_or_default();
        Ok(RepoInfo { id, project_key, slug })
    }

    /// Adds many repositories under one lock (fast seeding of large instances).
    pub fn add_repos(
        &self,
        specs: impl IntoIterator<Item = RepoSpec>,
    ) -> Result<Vec<u64>, FakeError> {
        let mut store = self.shared.lock();
        specs.into_iter().map(|s| store.add_repo(s)).collect()
    }

    /// Grants `user` a permission on a whole project.
    pub fn grant_project(
        &self,
        user: &str,
        project: &str,
        permission: Permission,
    ) -> Result<(), FakeError> {
        grant(&mut self.shared.lock(), user, project, None, permission)
    }

    /// Grants `user` a permission on one repository.
    pub fn grant_repo(
        &self,
        user: &str,
        project: &str,
        slug: &str,
        permission: Permission,
    ) -> Result<(), FakeError> {
        grant(&mut self.shared.lock(), user, project, Some(slug), permission)
    }

    /// Creates a personal HTTP access token (Bearer, or Basic `user:token`).
    pub fn add_personal_token(
        &self,
        user: &str,
        permission: Permission,
    ) -> Result<String, FakeError> {
        add_token(&mut self.shared.lock(), TokenOwner::User(user.to_owned()), permission, None)
    }

    /// Creates a personal token that expires after `ttl` (server clock).
    pub fn add_expiring_personal_token(
        &self,
        user: &str,
        permission: Permission,
        ttl: Duration,
    ) -> Result<String, FakeError> {
        add_token(&mut self.shared.lock(), TokenOwner::User(user.to_owned()), permission, Some(ttl))
    }

    /// Creates a project access token (Bearer only).
    pub fn add_project_token(
        &self,
        project: &str,
        permission: Permission,
    ) -> Result<String, FakeError> {
        add_token(
            &mut self.shared.lock(),
            TokenOwner::Project(project.to_uppercase()),
            permission,
            None,
        )
    }

    /// Creates a repository access token (Bearer only).
    pub fn add_repo_token(
        &self,
        project: &str,
        slug: &str,
        permission: Permission,
    ) -> Result<String, FakeError> {
        let mut store = self.shared.lock();
        let id = store
            .repo_id(project, slug)
            .ok_or_else(|| FakeError::NotFound(format!("repository {project}/{slug}")))?;
        add_token(&mut store, TokenOwner::Repo(id), permission, None)
    }

    /// Registers an OAuth consumer (Application Link incoming authentication) with a PEM public
    /// key; `callback` is the consumer callback URL that overrides `oob`.
    pub fn add_consumer(
        &self,
        key: &str,
        name: &str,
        public_key_pem: &str,
        callback: Option<&str>,
    ) -> Result<(), FakeError> {
        let consumer = oauth::Consumer::from_pem(key, name, public_key_pem, callback)?;
        self.shared.lock().oauth.consumers.insert(key.to_owned(), consumer);
        Ok(())
    }

    /// Issues an OAuth access token for `user` without the dance; returns (token, session handle).
    pub fn issue_oauth_access_token(
        &self,
        consumer: &str,
        user: &str,
    ) -> Result<(String, String), FakeError> {
        let mut store = self.shared.lock();
        if !store.oauth.consumers.contains_key(consumer) {
            return Err(FakeError::NotFound(format!("consumer {consumer}")));
        }
        if !store.users.contains_key(user) {
            return Err(FakeError::NotFound(format!("user {user}")));
        }
        let now = store.now_ms();
        let cfg = store.cfg.clone();
        Ok(store.oauth.issue_access(consumer, user, now, &cfg))
    }

    /// Revokes an OAuth access token; returns whether it existed.
    pub fn revoke_oauth_token(&self, token: &str) -> bool {
        self.shared.lock().oauth.revoke(token)
    }

    /// Applies a push and waits for every delivery it triggers.
    pub async fn push(
        &self,
        project: &str,
        slug: &str,
        push: Push,
    ) -> Result<PushReport, FakeError> {
        do_push(&self.shared, project, slug, &push).await
    }

    /// Renames a repository (slug, optionally name) and delivers `repo:modified` with the old and
    /// new `RestRepository` to subscribed webhooks; the id stays the same.
    pub async fn rename_repo(
        &self,
        project: &str,
        slug: &str,
        new_slug: &str,
        new_name: Option<&str>,
    ) -> Result<Vec<Delivery>, FakeError> {
        do_rename(&self.shared, project, slug, new_slug, new_name).await
    }

    /// Deletes a repository (it disappears from every listing and its URLs answer 404, as after
    /// "Delete repository" in Bitbucket); returns its id.
    pub fn delete_repo(&self, project: &str, slug: &str) -> Result<u64, FakeError> {
        self.shared.lock().delete_repo(project, slug)
    }

    /// Registers a native webhook on a repository (as `POST …/webhooks` would) subscribed to
    /// `repo:refs_changed` and `repo:modified`; returns its id.
    pub fn add_repo_webhook(
        &self,
        project: &str,
        slug: &str,
        url: &str,
        secret: Option<&str>,
    ) -> Result<u64, FakeError> {
        let mut store = self.shared.lock();
        let id = store
            .repo_id(project, slug)
            .ok_or_else(|| FakeError::NotFound(format!("repository {project}/{slug}")))?;
        add_webhook(&mut store, state::Scope::Repo(id), url, secret)
    }

    /// Registers a project-level webhook (applies to every repository of the project).
    pub fn add_project_webhook(
        &self,
        project: &str,
        url: &str,
        secret: Option<&str>,
    ) -> Result<u64, FakeError> {
        let mut store = self.shared.lock();
        let key = store
            .project(project)
            .map(|p| p.key.clone())
            .ok_or_else(|| FakeError::NotFound(format!("project {project}")))?;
        add_webhook(&mut store, state::Scope::Project(key), url, secret)
    }

    /// Project keys, in key order (for seeding loops).
    pub fn project_keys(&self) -> Vec<String> {
        self.shared.lock().projects.keys().cloned().collect()
    }

    /// Sends an unsigned `diagnostics:ping` to webhook `hook_id`.
    pub async fn ping_webhook(&self, hook_id: u64) -> Result<Delivery, FakeError> {
        do_ping(&self.shared, hook_id).await
    }

    /// Head commit of `branch`, if it exists.
    pub fn branch_head(&self, project: &str, slug: &str, branch: &str) -> Option<String> {
        let store = self.shared.lock();
        let id = store.repo_id(project, slug)?;
        store.repos.get(&id)?.history.branches.get(branch).cloned()
    }

    /// Injects a fault: the next `fault.count` requests under `fault.path_prefix` get `fault.status`.
    pub fn inject_fault(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Removes all pending faults.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Adds `latency` to every request.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Skews the server clock by `seconds` (negative = behind).
    pub fn set_clock_skew(&self, seconds: i64) {
        self.shared.lock().clock_skew_ms = seconds.saturating_mul(1000);
    }

    /// Turns the Basic/Bearer token bucket on or off.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut store = self.shared.lock();
        store.rate_limit = limit;
        store.buckets.clear();
    }

    /// Installs or removes the Web Post Hooks plugin.
    pub fn set_plugin_installed(&self, installed: bool) {
        self.shared.lock().plugin_installed = installed;
    }

    /// Requests received so far (bounded by `Config::request_log_capacity`; control calls excluded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.iter().cloned().collect()
    }

    /// Forgets recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Deliveries made so far (webhooks, plugin, tests).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeBitbucket {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
