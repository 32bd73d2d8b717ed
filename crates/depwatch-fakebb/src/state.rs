//! The fake's in-memory world: users, tokens, projects, repositories, hooks and logs.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::history::{History, Person, Tree};
use crate::oauth::OAuthState;
use crate::FakeError;

/// Repository or project permission level, ordered Read < Write < Admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// `REPO_READ` / `PROJECT_READ`
    Read,
    /// `REPO_WRITE` / `PROJECT_WRITE`
    Write,
    /// `REPO_ADMIN` / `PROJECT_ADMIN`
    Admin,
}

impl Permission {
    /// Parses `REPO_READ`, `PROJECT_ADMIN`, … (the prefix is ignored).
    pub fn parse(s: &str) -> Option<Permission> {
        match s.rsplit('_').next()? {
            "READ" | "VIEW" => Some(Permission::Read),
            "WRITE" => Some(Permission::Write),
            "ADMIN" => Some(Permission::Admin),
            _ => None,
        }
    }
}

/// A Bitbucket user.
#[derive(Debug, Clone)]
pub struct User {
    /// Numeric id.
    pub id: u64,
    /// Login name (also the slug).
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// E-mail address.
    pub email: String,
    /// Password for Basic auth, if the user can log in with one.
    pub password: Option<String>,
    /// System administrator: every permission everywhere.
    pub sysadmin: bool,
    /// Project key (upper case) → permission.
    pub project_perms: HashMap<String, Permission>,
    /// Repository id → permission.
    pub repo_perms: HashMap<u64, Permission>,
}

impl User {
    /// The user as a commit author.
    pub fn person(&self) -> Person {
        Person { name: self.display_name.clone(), email: self.email.clone() }
    }
}

/// Who an HTTP access token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOwner {
    /// Personal token of a user.
    User(String),
    /// Project token (project key, upper case).
    Project(String),
    /// Repository token (repository id).
    Repo(u64),
}

/// An HTTP access token.
#[derive(Debug, Clone)]
pub struct HttpToken {
    /// Owner.
    pub owner: TokenOwner,
    /// Highest permission the token grants.
    pub permission: Permission,
    /// Expiry (epoch ms), if any.
    pub expires_at: Option<i64>,
}

/// A project (NORMAL, or PERSONAL with key `~USER`).
#[derive(Debug, Clone)]
pub struct Project {
    /// Numeric id.
    pub id: u64,
    /// Key as shown (`SHOP`, `~JDOE`).
    pub key: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Public project.
    pub public: bool,
    /// Owner slug for personal projects.
    pub owner: Option<String>,
}

/// A repository with its history.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Numeric id.
    pub id: u64,
    /// Project key (as stored in `Project::key`).
    pub project_key: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Archived (hidden from `/repos` unless `archived=ARCHIVED|ALL`).
    pub archived: bool,
    /// Public repository.
    pub public: bool,
    /// Configured default branch, full ref (`refs/heads/main`); may not exist yet.
    pub default_branch: String,
    /// `hierarchyId`.
    pub hierarchy_id: String,
    /// Commits, branches and tags.
    pub history: History,
}

/// Where a webhook or hook setting applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One repository (id).
    Repo(u64),
    /// Every repository of a project (upper-case key).
    Project(String),
}

/// A native webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Id.
    pub id: u64,
    /// Scope.
    pub scope: Scope,
    /// Name.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// Subscribed event keys.
    pub events: Vec<String>,
    /// Active flag.
    pub active: bool,
    /// `configuration` object (holds `secret`).
    pub configuration: serde_json::Map<String, serde_json::Value>,
    /// Basic credentials sent with deliveries.
    pub credentials: Option<(String, String)>,
    /// `sslVerificationRequired`.
    pub ssl_verification_required: bool,
    /// Creation time (epoch ms).
    pub created: i64,
    /// Update time (epoch ms).
    pub updated: i64,
}

impl Webhook {
    /// The configured HMAC secret, if any.
    pub fn secret(&self) -> Option<&str> {
        self.configuration.get("secret").and_then(|v| v.as_str()).filter(|s| !s.is_empty())
    }
}

/// State of the Web Post Hooks plugin at one scope.
#[derive(Debug, Clone, Default)]
pub struct PluginHook {
    /// Enabled flag.
    pub enabled: bool,
    /// Settings document (`hook-url-N` entries).
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An injected fault: the next `remaining` requests whose path (after the context path)
/// starts with `path_prefix` get `status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// Path prefix after the context path, e.g. `/rest/api/1.0/projects`.
    pub path_prefix: String,
    /// Status to answer (429, 500, 503, …).
    pub status: u16,
    /// How many requests get the fault.
    pub count: u32,
    /// `Retry-After` seconds (429 defaults to 1).
    #[serde(default)]
    pub retry_after: Option<u32>,
}

/// One request as received, for inspection by tests.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path as received (context path included).
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Request headers (names lower case; Basic/Bearer secrets redacted).
    pub headers: Vec<(String, String)>,
    /// Status answered.
    pub status: u16,
    /// Authenticated user, if any.
    pub user: Option<String>,
}

/// Kind of an outgoing delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum DeliveryKind {
    /// Native webhook delivery.
    Webhook {
        /// Webhook id.
        hook_id: u64,
    },
    /// Web Post Hooks plugin delivery to a `hook-url-N`.
    Plugin {
        /// Settings key (`hook-url-0`).
        setting: String,
    },
    /// `/webhooks/test` connectivity check.
    Test,
}

/// One outgoing delivery and its outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Sequence number.
    pub id: u64,
    /// Kind.
    #[serde(flatten)]
    pub kind: DeliveryKind,
    /// Repository id the event is about (none for tests).
    pub repository_id: Option<u64>,
    /// Target URL.
    pub url: String,
    /// `X-Event-Key` (absent for the plugin).
    pub event_key: Option<String>,
    /// `X-Request-Id` (absent for the plugin).
    pub request_id: Option<String>,
    /// Headers sent.
    pub headers: Vec<(String, String)>,
    /// Exact body bytes sent (UTF-8 JSON).
    pub body: String,
    /// Status received.
    pub status: Option<u16>,
    /// Transport error, if the request failed.
    pub error: Option<String>,
    /// Start (epoch ms).
    pub start: i64,
    /// Duration in milliseconds.
    pub duration_ms: u64,
}

/// Circuit-breaker state of one webhook.
#[derive(Debug, Clone, Default)]
pub(crate) struct Breaker {
    /// Consecutive failed deliveries since the last success or trip.
    pub failures: u32,
    /// How often the breaker tripped without a success in between.
    pub trips: u32,
    /// Deliveries are skipped until this server time (epoch ms).
    pub open_until: i64,
}

/// Per-principal token bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub(crate) tokens: f64,
    pub(crate) last: std::time::Instant,
}

/// Everything the fake knows, behind one mutex.
#[derive(Debug)]
pub struct Store {
    pub(crate) cfg: Config,
    pub(crate) context: String,
    pub(crate) base_url: String,
    next_id: u64,
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) tokens: HashMap<String, HttpToken>,
    pub(crate) projects: BTreeMap<String, Project>,
    pub(crate) repos: BTreeMap<u64, Repo>,
    /// (upper-case project key, lower-case slug) → repository id.
    repo_index: HashMap<(String, String), u64>,
    pub(crate) webhooks: BTreeMap<u64, Webhook>,
    pub(crate) plugin_hooks: HashMap<Scope, PluginHook>,
    pub(crate) oauth: OAuthState,
    pub(crate) faults: Vec<Fault>,
    pub(crate) requests: VecDeque<RecordedRequest>,
    pub(crate) deliveries: Vec<Delivery>,
    pub(crate) clock_skew_ms: i64,
    pub(crate) latency: Duration,
    pub(crate) buckets: HashMap<String, Bucket>,
    pub(crate) plugin_installed: bool,
    /// Webhook id → circuit-breaker state.
    pub(crate) breakers: HashMap<u64, Breaker>,
    pub(crate) rate_limit: Option<crate::config::RateLimit>,
}

/// Seed description of a repository.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoSpec {
    /// Project key.
    pub project: String,
    /// Slug.
    pub slug: String,
    /// Name (defaults to the slug).
    #[serde(default)]
    pub name: Option<String>,
    /// Default branch name without `refs/heads/` (defaults to `main`).
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Files of the initial commit on the default branch; no files = empty repository.
    #[serde(default, skip)]
    pub files: Vec<(String, Vec<u8>)>,
    /// Archived flag.
    #[serde(default)]
    pub archived: bool,
    /// Public flag.
    #[serde(default)]
    pub public: bool,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

impl RepoSpec {
    /// A repository `slug` in project `project`, empty until files are added.
    pub fn new(project: &str, slug: &str) -> Self {
        RepoSpec { project: project.to_owned(), slug: slug.to_owned(), ..RepoSpec::default() }
    }

    /// Adds a file to the initial commit.
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.to_owned(), bytes.into()));
        self
    }

    /// Sets the display name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Sets the configured default branch (short name).
    pub fn default_branch(mut self, branch: &str) -> Self {
        self.default_branch = Some(branch.to_owned());
        self
    }

    /// Marks the repository archived.
    pub fn archived(mut self, archived: bool) -> Self {
        self.archived = archived;
        self
    }

    /// Marks the repository public.
    pub fn public(mut self, public: bool) -> Self {
        self.public = public;
        self
    }
}

/// Milliseconds since the epoch of the real clock.
pub(crate) fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Store {
    pub(crate) fn new(cfg: Config, context: String, base_url: String) -> Self {
        Store {
            latency: cfg.latency,
            plugin_installed: cfg.plugin_installed,
            rate_limit: cfg.rate_limit,
            cfg,
            context,
            base_url,
            next_id: 1,
            users: BTreeMap::new(),
            tokens: HashMap::new(),
            projects: BTreeMap::new(),
            repos: BTreeMap::new(),
            repo_index: HashMap::new(),
            webhooks: BTreeMap::new(),
            plugin_hooks: HashMap::new(),
            oauth: OAuthState::default(),
            faults: Vec::new(),
            requests: VecDeque::new(),
            deliveries: Vec::new(),
            clock_skew_ms: 0,
            buckets: HashMap::new(),
            breakers: HashMap::new(),
        }
    }

    /// Server clock (real clock plus skew), epoch ms.
    pub(crate) fn now_ms(&self) -> i64 {
        wall_ms().saturating_add(self.clock_skew_ms)
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(crate) fn add_user(
        &mut self,
        name: &str,
        password: Option<&str>,
        sysadmin: bool,
    ) -> Result<(), FakeError> {
        if name.is_empty() || name.contains('/') {
            return Err(FakeError::Invalid(format!("bad user name {name:?}")));
        }
        if self.users.contains_key(name) {
            return Err(FakeError::Duplicate(format!("user {name}")));
        }
        let id = self.next_id();
        let display = name
            .split(['.', '_', '-'])
            .map(|w| {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        self.users.insert(
            name.to_owned(),
            User {
                id,
                name: name.to_owned(),
                display_name: display,
                email: format!("{name}@example.com"),
                password: password.map(str::to_owned),
                sysadmin,
                project_perms: HashMap::new(),
                repo_perms: HashMap::new(),
            },
        );
        Ok(())
    }

    /// Looks a project up by key, case-insensitively.
    pub(crate) fn project(&self, key: &str) -> Option<&Project> {
        self.projects.get(&key.to_uppercase())
    }

    pub(crate) fn add_project(
        &mut self,
        key: &str,
        name: &str,
        public: bool,
    ) -> Result<u64, FakeError> {
        let valid = !key.is_empty()
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        if !valid {
            return Err(FakeError::Invalid(format!(
                "project key {key:?} must start with a letter and hold only letters, digits, _ or -"
            )));
        }
        let upper = key.to_uppercase();
        if self.projects.contains_key(&upper) {
            return Err(FakeError::Duplicate(format!("project {key}")));
        }
        let id = self.next_id();
        self.projects.insert(
            upper.clone(),
            Project {
                id,
                key: upper,
                name: name.to_owned(),
                description: None,
                public,
                owner: None,
            },
        );
        Ok(id)
    }

    /// Creates (if needed) the personal project `~USER` of `user` and returns its key.
    pub(crate) fn ensure_personal_project(&mut self, user: &str) -> Result<String, FakeError> {
        let u = self.users.get(user).ok_or_else(|| FakeError::NotFound(format!("user {user}")))?;
        let display = u.display_name.clone();
        let key = format!("~{}", user.to_uppercase());
        if !self.projects.contains_key(&key) {
            let id = self.next_id();
            self.projects.insert(
                key.clone(),
                Project {
                    id,
                    key: key.clone(),
                    name: display,
                    description: None,
                    public: false,
                    owner: Some(user.to_owned()),
                },
            );
        }
        Ok(key)
    }

    /// Repository by project key (case-insensitive) and slug.
    pub(crate) fn repo_id(&self, key: &str, slug: &str) -> Option<u64> {
        self.repo_index.get(&(key.to_uppercase(), slug.to_lowercase())).copied()
    }

    pub(crate) fn add_repo(&mut self, spec: RepoSpec) -> Result<u64, FakeError> {
        let key = spec.project.to_uppercase();
        if key.starts_with('~') {
            let user = key.trim_start_matches('~').to_lowercase();
            let owner = self
                .users
                .keys()
                .find(|u| u.eq_ignore_ascii_case(&user))
                .cloned()
                .ok_or_else(|| FakeError::NotFound(format!("user {user}")))?;
            self.ensure_personal_project(&owner)?;
        }
        if !self.projects.contains_key(&key) {
            return Err(FakeError::NotFound(format!("project {}", spec.project)));
        }
        let valid_slug = !spec.slug.is_empty()
            && spec.slug.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid_slug {
            return Err(FakeError::Invalid(format!("repository slug {:?}", spec.slug)));
        }
        if self.repo_id(&key, &spec.slug).is_some() {
            return Err(FakeError::Duplicate(format!("repository {key}/{}", spec.slug)));
        }
        let id = self.next_id();
        let branch = spec.default_branch.clone().unwrap_or_else(|| "main".to_owned());
        let mut history = History::default();
        if !spec.files.is_empty() {
            let mut tree = Tree::new();
            for (path, bytes) in spec.files {
                let path = normalize_path(&path)?;
                tree.insert(path, Arc::new(bytes));
            }
            let author = Person { name: "Seed".to_owned(), email: "seed@example.com".to_owned() };
            let now = self.now_ms();
            let c = history.make_commit(
                &format!("{id}"),
                vec![],
                tree,
                author.clone(),
                author,
                now,
                "Initial commit".to_owned(),
            );
            history.set_branch(&branch, &c.id);
        }
        let hierarchy_id = {
            let full = crate::history::blob_id(format!("{key}/{}/{id}", spec.slug).as_bytes());
            full.get(..20).unwrap_or(&full).to_owned()
        };
        self.repo_index.insert((key.clone(), spec.slug.to_lowercase()), id);
        self.repos.insert(
            id,
            Repo {
                id,
                project_key: key,
                slug: spec.slug.clone(),
                name: spec.name.unwrap_or(spec.slug),
                description: spec.description,
                archived: spec.archived,
                public: spec.public,
                default_branch: format!("refs/heads/{branch}"),
                hierarchy_id,
                history,
            },
        );
        Ok(id)
    }

    /// Renames repository `id` (slug and optionally name); returns (old JSON, new JSON).
    pub(crate) fn rename_repo(
        &mut self,
        id: u64,
        new_slug: &str,
        new_name: Option<&str>,
    ) -> Result<(serde_json::Value, serde_json::Value), FakeError> {
        let valid = !new_slug.is_empty()
            && new_slug.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid {
            return Err(FakeError::Invalid(format!("repository slug {new_slug:?}")));
        }
        let (key, old_slug) = {
            let r = self
                .repos
                .get(&id)
                .ok_or_else(|| FakeError::NotFound(format!("repository id {id}")))?;
            (r.project_key.clone(), r.slug.clone())
        };
        if self.repo_id(&key, new_slug).is_some_and(|other| other != id) {
            return Err(FakeError::Duplicate(format!("repository {key}/{new_slug}")));
        }
        let old = self.repos.get(&id).map(|r| crate::shapes::repository(self, r, false));
        self.repo_index.remove(&(key.clone(), old_slug.to_lowercase()));
        self.repo_index.insert((key, new_slug.to_lowercase()), id);
        if let Some(r) = self.repos.get_mut(&id) {
            r.slug = new_slug.to_owned();
            if let Some(n) = new_name {
                r.name = n.to_owned();
            }
        }
        let new = self.repos.get(&id).map(|r| crate::shapes::repository(self, r, false));
        Ok((old.unwrap_or_default(), new.unwrap_or_default()))
    }

    /// Deletes a repository with its webhooks and plugin settings, as Bitbucket does; its id is
    /// never reused. Returns the deleted repository's id.
    pub(crate) fn delete_repo(&mut self, key: &str, slug: &str) -> Result<u64, FakeError> {
        let id = self
            .repo_id(key, slug)
            .ok_or_else(|| FakeError::NotFound(format!("repository {key}/{slug}")))?;
        if let Some(r) = self.repos.remove(&id) {
            self.repo_index.remove(&(r.project_key.to_uppercase(), r.slug.to_lowercase()));
        }
        self.webhooks.retain(|_, h| h.scope != Scope::Repo(id));
        self.plugin_hooks.remove(&Scope::Repo(id));
        Ok(id)
    }

    /// Adds a request to the bounded log.
    pub(crate) fn record_request(&mut self, r: RecordedRequest) {
        if self.cfg.request_log_capacity == 0 {
            return;
        }
        while self.requests.len() >= self.cfg.request_log_capacity {
            self.requests.pop_front();
        }
        self.requests.push_back(r);
    }
}

/// Validates a repository file path: relative, `/`-separated, no `.`/`..`/empty segments.
pub(crate) fn normalize_path(path: &str) -> Result<String, FakeError> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty()
        || trimmed.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(FakeError::Invalid(format!("file path {path:?}")));
    }
    Ok(trimmed.to_owned())
}
