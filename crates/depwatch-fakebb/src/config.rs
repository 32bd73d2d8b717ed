//! Instance configuration: context path, paging caps, OAuth lifetimes, rate limiting.

use std::collections::HashMap;
use std::time::Duration;

/// A paged resource, used to pick its default `limit` and hard cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `GET /projects`
    Projects,
    /// `GET /projects/{key}/repos` and `GET /repos`
    Repos,
    /// `GET …/branches`
    Branches,
    /// `GET …/tags`
    Tags,
    /// `GET …/files`
    Files,
    /// `GET …/browse` (directory children)
    BrowseChildren,
    /// `GET …/browse/{file}` (lines)
    BrowseLines,
    /// `GET …/commits`
    Commits,
    /// `GET …/commits/{id}/changes` and `…/compare/changes`
    Changes,
    /// `GET /users`
    Users,
    /// `GET …/webhooks`
    Webhooks,
}

/// How a token bucket on Basic/Bearer requests behaves (Bitbucket DC 6.6+ rate limiting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Bucket size (Atlassian's default is 60).
    pub capacity: u32,
    /// Tokens added per second (Atlassian's default is 5).
    pub refill_per_sec: f64,
}

/// Configuration of one fake instance. `Config::default()` is what tests usually want.
#[derive(Debug, Clone)]
pub struct Config {
    /// Non-empty context path such as `/bitbucket`. Every route and link carries it.
    pub context_path: String,
    /// Address to bind; tests use `127.0.0.1:0`.
    pub bind: std::net::SocketAddr,
    /// Base URL used in links and in the OAuth base string instead of the bound address
    /// (for a fake sitting behind a proxy). Must include the context path.
    pub public_base_url: Option<String>,
    /// `limit` when the request sends none (Bitbucket: 25). Browse lines use `browse_default_limit`.
    pub default_limit: usize,
    /// Default `limit` for file lines on `/browse/{file}`.
    pub browse_default_limit: usize,
    /// Hard cap applied when a resource has no entry in `page_caps`.
    pub default_cap: usize,
    /// Per-resource hard caps; the server silently lowers `limit` to these.
    pub page_caps: HashMap<Resource, usize>,
    /// When set, a hidden item sits after every N visible ones, so `nextPageStart` is not
    /// `start + size` (Atlassian "Paged APIs": "not necessarily").
    pub hidden_item_every: Option<usize>,
    /// `page.max.changes`: changes past this count cannot be paged to.
    pub max_changes: usize,
    /// Token bucket on Basic/Bearer requests. Off when `None`.
    pub rate_limit: Option<RateLimit>,
    /// Request token lifetime (Atlassian default 10 minutes).
    pub request_token_ttl: Duration,
    /// OAuth access token lifetime (Atlassian default 5 years).
    pub access_token_ttl: Duration,
    /// Session (renewal) lifetime (Atlassian default: access TTL + 30 days).
    pub session_ttl: Duration,
    /// Accepted distance between `oauth_timestamp` and the server clock.
    pub timestamp_window: Duration,
    /// Whether the Atlassian Labs Web Post Hooks plugin is installed.
    pub plugin_installed: bool,
    /// Latency added to every request (for benchmarks).
    pub latency: Duration,
    /// Version reported by `application-properties`.
    pub version: String,
    /// How many received requests are kept for inspection (oldest dropped first).
    pub request_log_capacity: usize,
    /// Timeout of webhook and plugin deliveries.
    pub delivery_timeout: Duration,
    /// User the OAuth authorize page acts as when the browser sends no Basic credentials.
    pub browser_user: Option<String>,
    /// Webhook circuit breaker (Bitbucket DC): after 5 consecutive failures a hook is skipped
    /// for 10 s, doubling per trip up to 10 h (server clock). Off by default.
    pub circuit_breaker: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            context_path: "/bitbucket".to_owned(),
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            public_base_url: None,
            default_limit: 25,
            browse_default_limit: 500,
            default_cap: 1000,
            page_caps: HashMap::new(),
            hidden_item_every: None,
            max_changes: 1000,
            rate_limit: None,
            request_token_ttl: Duration::from_secs(600),
            access_token_ttl: Duration::from_secs(157_680_000),
            session_ttl: Duration::from_secs(160_272_000),
            timestamp_window: Duration::from_secs(300),
            plugin_installed: true,
            latency: Duration::ZERO,
            version: "9.4.2".to_owned(),
            request_log_capacity: 10_000,
            delivery_timeout: Duration::from_secs(10),
            browser_user: None,
            circuit_breaker: false,
        }
    }
}

impl Config {
    /// The hard cap for `resource`.
    pub fn cap(&self, resource: Resource) -> usize {
        self.page_caps.get(&resource).copied().unwrap_or(self.default_cap).max(1)
    }

    /// Sets the cap of one resource (builder style).
    pub fn with_cap(mut self, resource: Resource, cap: usize) -> Self {
        self.page_caps.insert(resource, cap);
        self
    }

    /// Context path normalised to `/x` form without a trailing slash.
    pub(crate) fn normalized_context(&self) -> Result<String, crate::FakeError> {
        let trimmed = self.context_path.trim_matches('/');
        if trimmed.is_empty() {
            return Err(crate::FakeError::Config(
                "context_path must be non-empty (e.g. /bitbucket)".to_owned(),
            ));
        }
        Ok(format!("/{trimmed}"))
    }
}
