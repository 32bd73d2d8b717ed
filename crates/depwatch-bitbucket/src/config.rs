//! How to reach and authenticate to one Bitbucket instance.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::oauth::OAuthKey;
use crate::secret::Secret;

/// Credentials sent with every request.
#[derive(Clone, Debug, Default)]
pub enum Auth {
    /// No credentials (only public resources and `application-properties`).
    #[default]
    Anonymous,
    /// An HTTP access token (personal, project or repository): `Authorization: Bearer`.
    Bearer(Secret),
    /// A username with a password or a personal access token: `Authorization: Basic`.
    Basic {
        /// The Bitbucket username.
        username: String,
        /// Password or personal access token.
        secret: Secret,
    },
    /// OAuth 1.0a RSA-SHA1 through an Application Link.
    OAuth1(OAuthCredentials),
}

impl Auth {
    /// A short, secret-free description (`"OAuth 1.0a (consumer depwatch)"`).
    pub fn describe(&self) -> String {
        match self {
            Auth::Anonymous => "anonymous".to_owned(),
            Auth::Bearer(_) => "HTTP access token (Bearer)".to_owned(),
            Auth::Basic { username, .. } => format!("Basic as {username}"),
            Auth::OAuth1(c) => format!(
                "OAuth 1.0a (consumer {}, {})",
                c.consumer_key,
                if c.access_token.is_some() { "authorized" } else { "not yet authorized" }
            ),
        }
    }
}

/// OAuth 1.0a consumer credentials and, once the dance is done, the access token.
#[derive(Clone)]
pub struct OAuthCredentials {
    /// The consumer key registered on the Application Link.
    pub consumer_key: String,
    /// The RSA private key whose public half is on the Application Link.
    pub key: Arc<OAuthKey>,
    /// The access token; `None` while the dance is in progress.
    pub access_token: Option<Secret>,
}

impl fmt::Debug for OAuthCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthCredentials")
            .field("consumer_key", &self.consumer_key)
            .field("key", &"***")
            .field("access_token", &self.access_token)
            .finish()
    }
}

/// Network time limits.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// One whole request, including reading the body.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(60) }
    }
}

/// Retries for rate limiting (429), server errors (5xx) and timeouts.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Retries after a 5xx, timeout or connection reset (idempotent requests only).
    pub max_retries: u32,
    /// First backoff; doubled on every retry.
    pub initial_backoff: Duration,
    /// Backoff ceiling.
    pub max_backoff: Duration,
    /// How many 429 answers are waited out before giving up.
    pub max_rate_limit_waits: u32,
    /// Wait used when a 429 has no (or an unreadable) `Retry-After`.
    pub default_retry_after: Duration,
    /// Ceiling for any single 429 wait; tests set it to a few milliseconds.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_rate_limit_waits: 5,
            default_retry_after: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// A policy with the same counts but millisecond waits, for tests.
    pub fn fast_for_tests() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_retry_after: Duration::from_millis(5),
            ..RetryPolicy::default()
        }
    }
}

/// Bounds on paged listings.
#[derive(Clone, Copy, Debug)]
pub struct PageGuard {
    /// Most pages fetched by one listing before [`Error::PageLimit`].
    pub max_pages: u32,
    /// `limit` asked for on each page (the server may lower it).
    pub page_size: u32,
}

impl Default for PageGuard {
    fn default() -> Self {
        PageGuard { max_pages: 2_000, page_size: 100 }
    }
}

/// Everything needed to talk to one Bitbucket Server / Data Center instance.
#[derive(Clone, Debug)]
pub struct InstanceConfig {
    /// Base URL including the context path (`https://git.corp/bitbucket`), without trailing
    /// slash, query or fragment.
    pub base_url: Url,
    /// Credentials.
    pub auth: Auth,
    /// Extra trusted CA certificates (PEM, one or more), added to the OS trust store.
    pub custom_ca_pem: Option<String>,
    /// Network time limits.
    pub timeouts: Timeouts,
    /// Retry behaviour.
    pub retry: RetryPolicy,
    /// Paging bounds.
    pub page_guard: PageGuard,
    /// Client-side request rate ceiling (requests per second); `None` disables it. Rate limits on
    /// Data Center are per node, so a gentle client-side pace avoids most 429s.
    pub max_requests_per_second: Option<u32>,
    /// Largest JSON response accepted, in bytes.
    pub max_json_bytes: u64,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl InstanceConfig {
    /// A configuration with defaults for `base_url` (validated, see [`parse_base_url`]).
    pub fn new(base_url: &str, auth: Auth) -> Result<Self> {
        Ok(InstanceConfig {
            base_url: parse_base_url(base_url)?,
            auth,
            custom_ca_pem: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            page_guard: PageGuard::default(),
            max_requests_per_second: Some(10),
            max_json_bytes: 64 * 1024 * 1024,
            user_agent: format!("depwatch/{}", env!("CARGO_PKG_VERSION")),
        })
    }
}

/// Validates and normalises a base URL: `http`/`https` only, no credentials, query or fragment;
/// the context path is kept and a trailing slash removed.
pub fn parse_base_url(input: &str) -> Result<Url> {
    let trimmed = input.trim();
    let mut url = Url::parse(trimmed)
        .map_err(|e| Error::Config(format!("base URL {trimmed:?} is not a valid URL: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::Config(format!(
            "base URL scheme must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config("base URL has no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the URL here: it carries a credential.
        return Err(Error::Config(
            "base URL must not contain a username or password; configure credentials separately"
                .to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {trimmed:?} must not have a query or fragment"
        )));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_context_path_and_drops_trailing_slash() {
        let u = parse_base_url("https://Git.Corp/bitbucket/").unwrap();
        assert_eq!(u.as_str(), "https://git.corp/bitbucket");
        let u = parse_base_url("http://h:7990").unwrap();
        assert_eq!(u.path(), "/");
        let u = parse_base_url("https://h/a/b//").unwrap();
        assert_eq!(u.as_str(), "https://h/a/b");
    }

    #[test]
    fn base_url_rejects_bad_input_without_echoing_credentials() {
        let e = parse_base_url("https://bob:pa55@h/x").unwrap_err().to_string();
        assert!(!e.contains("pa55"), "{e}");
        assert!(parse_base_url("ftp://h").is_err());
        assert!(parse_base_url("https://h/x?y=1").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn auth_describe_has_no_secrets() {
        let a = Auth::Basic { username: "bob".into(), secret: Secret::new("pw") };
        assert_eq!(a.describe(), "Basic as bob");
        assert!(!format!("{a:?}").contains("pw\""));
        let b = Auth::Bearer(Secret::new("tok123"));
        assert!(!format!("{b:?}").contains("tok123"));
    }
}
