//! Listener configuration: where to bind, which Bitbucket instances may deliver, and the limits.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The fixed port the listener binds by default.
///
/// Bitbucket stores the URL it calls, so the port must survive restarts: a random port would
/// silently break every registered webhook. 28123 sits above the privileged range and below
/// every common ephemeral range (Linux 32768–60999, Windows and macOS 49152–65535), so an
/// outgoing connection can never be holding it when depwatch starts; it is also clear of the
/// usual developer ports (3000, 5000, 8000, 8080, 9000) and of Gerrit's 29418.
pub const DEFAULT_PORT: u16 = 28123;

/// Default cap on a request body: large multi-ref pushes and the plugin's 100 changesets stay
/// well below it.
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Default time a request may take, body upload included. Bitbucket gives up after about 10 s,
/// so answering later than that is useless.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

/// Default cap on open connections: far above what one Bitbucket node keeps open (it delivers
/// at most 250 requests at a time server-wide), low enough that idle sockets cannot exhaust
/// file descriptors.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// A secret (webhook HMAC key or plugin URL token). Its `Debug` is redacted and it has no
/// `Display`, so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret's bytes (UTF-8, as Bitbucket uses them for the HMAC key).
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether the secret is empty (treated as "no secret").
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Identifies a configured Bitbucket instance (a server profile) in URLs and in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(String);

impl InstanceId {
    /// Validates an id: 1–64 characters of `[A-Za-z0-9._-]`, so it can sit in a URL path
    /// segment unencoded.
    ///
    /// # Errors
    /// When the id is empty, too long or has other characters.
    pub fn new(id: impl Into<String>) -> Result<InstanceId, ConfigError> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(InstanceId(id))
        } else {
            Err(ConfigError::BadInstanceId(id))
        }
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One Bitbucket instance allowed to deliver.
#[derive(Debug, Clone)]
pub struct InstanceConfig {
    pub id: InstanceId,
    /// The HMAC key registered with the native webhook (generated per instance by the app).
    /// `None` accepts unsigned deliveries for this instance.
    pub webhook_secret: Option<Secret>,
    /// A secret the user typed (for a webhook they registered by hand); wins over
    /// `webhook_secret`. An empty override turns signature checking off for this instance.
    pub webhook_secret_override: Option<Secret>,
    /// Token expected in `?token=` on the post-receive plugin URL. `None` disables the plugin
    /// route for this instance (plugin deliveries are never accepted unauthenticated).
    pub plugin_token: Option<Secret>,
    /// Host (and port, if not the default) of the Bitbucket server, as in the plugin URL
    /// `/repo-syncer/repos/{host}/…`. `None` accepts any host segment.
    pub bitbucket_host: Option<String>,
}

impl InstanceConfig {
    /// An instance with no secrets yet.
    pub fn new(id: InstanceId) -> InstanceConfig {
        InstanceConfig {
            id,
            webhook_secret: None,
            webhook_secret_override: None,
            plugin_token: None,
            bitbucket_host: None,
        }
    }

    /// The HMAC key in force: the override when set, else the generated secret. Empty secrets
    /// count as none.
    pub fn effective_secret(&self) -> Option<&Secret> {
        self.webhook_secret_override
            .as_ref()
            .or(self.webhook_secret.as_ref())
            .filter(|s| !s.is_empty())
    }
}

/// Per-source-IP token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests a source may send at once.
    pub burst: u32,
    /// Tokens regained per second.
    pub per_second: f64,
}

impl Default for RateLimit {
    /// A project-level webhook fans one push out to many repositories, all from the Bitbucket
    /// node's address, so the bucket is generous; it exists to stop a runaway or hostile sender.
    fn default() -> RateLimit {
        RateLimit { burst: 200, per_second: 50.0 }
    }
}

/// Everything the listener needs.
#[derive(Debug, Clone)]
pub struct HookConfig {
    /// Where to bind (the caller binds; this is what it should bind).
    pub bind: SocketAddr,
    pub instances: Vec<InstanceConfig>,
    pub max_body_bytes: usize,
    /// Also bounds how long a client may take to send the request headers.
    pub request_timeout: Duration,
    pub rate_limit: RateLimit,
    /// Connections beyond this wait in the kernel backlog until one closes.
    pub max_connections: usize,
}

impl Default for HookConfig {
    /// All interfaces on [`DEFAULT_PORT`]: Bitbucket runs on another machine, so a loopback
    /// bind would never receive anything (the UI warns when it is loopback-only).
    fn default() -> HookConfig {
        HookConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_PORT),
            instances: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            rate_limit: RateLimit::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl HookConfig {
    /// Checks the configuration: unique instance ids and sane limits.
    ///
    /// # Errors
    /// The first problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, a) in self.instances.iter().enumerate() {
            if self.instances.iter().skip(i + 1).any(|b| b.id == a.id) {
                return Err(ConfigError::DuplicateInstance(a.id.to_string()));
            }
        }
        if self.max_body_bytes == 0 {
            return Err(ConfigError::Limit("max_body_bytes must be above 0"));
        }
        if self.max_connections == 0 {
            return Err(ConfigError::Limit("max_connections must be above 0"));
        }
        if self.request_timeout.is_zero() {
            return Err(ConfigError::Limit("request_timeout must be above 0"));
        }
        if self.rate_limit.burst == 0
            || !self.rate_limit.per_second.is_finite()
            || self.rate_limit.per_second < 0.0
        {
            return Err(ConfigError::Limit(
                "rate_limit needs a burst above 0 and a finite, non-negative refill rate",
            ));
        }
        Ok(())
    }

    /// The instance with this id.
    pub fn instance(&self, id: &str) -> Option<&InstanceConfig> {
        self.instances.iter().find(|i| i.id.as_str() == id)
    }
}

/// A configuration mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("instance id `{0}` is not usable in a URL: use 1-64 letters, digits, '.', '_' or '-'")]
    BadInstanceId(String),
    #[error("instance id `{0}` is configured twice")]
    DuplicateInstance(String),
    #[error("invalid listener limit: {0}")]
    Limit(&'static str),
}

/// Whether a bind address only accepts connections from this machine. Bitbucket Server runs
/// elsewhere, so the UI and CLI warn when this is true.
pub fn is_loopback_only(bind: &SocketAddr) -> bool {
    match bind.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The URL Bitbucket must call for native webhooks: `http://{host}:{port}/webhook`, or
/// `/webhook/{instance}` when the instance is named (needed when several instances share one
/// secret, harmless otherwise).
///
/// `public_host` is the address Bitbucket can reach this machine at (an IP or DNS name; IPv6
/// literals are bracketed here). The listener speaks plain HTTP: put a TLS proxy in front and
/// register its URL instead when the server requires HTTPS.
pub fn webhook_url(public_host: &str, port: u16, instance: Option<&InstanceId>) -> String {
    let host = bracket_ipv6(public_host);
    match instance {
        Some(id) => format!("http://{host}:{port}/webhook/{id}"),
        None => format!("http://{host}:{port}/webhook"),
    }
}

/// The URL to enter in the Atlassian Labs Web Post Hooks plugin for one repository, in the
/// scheme Gemnasium Enterprise documented: `/repo-syncer/repos/{bitbucket_host}/{project}/{repo}`
/// with the token as a query parameter. The result contains the token: show it to the user,
/// never log it.
pub fn plugin_url(
    public_host: &str,
    port: u16,
    bitbucket_host: &str,
    project_key: &str,
    repo_slug: &str,
    token: &Secret,
) -> String {
    let host = bracket_ipv6(public_host);
    format!(
        "http://{host}:{port}/repo-syncer/repos/{}/{}/{}?token={}",
        encode_segment(bitbucket_host),
        encode_segment(project_key),
        encode_segment(repo_slug),
        encode_segment(&String::from_utf8_lossy(token.expose())),
    )
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `~`, which personal
/// project keys start with).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        let cases = [
            ("127.0.0.1:28123", true),
            ("127.1.2.3:1", true),
            ("[::1]:28123", true),
            ("[::ffff:127.0.0.1]:28123", true),
            ("0.0.0.0:28123", false),
            ("[::]:28123", false),
            ("10.20.30.40:28123", false),
        ];
        for (addr, expected) in cases {
            let addr: SocketAddr = addr.parse().unwrap();
            assert_eq!(is_loopback_only(&addr), expected, "{addr}");
        }
        assert!(!is_loopback_only(&HookConfig::default().bind), "the default must be reachable");
    }

    #[test]
    fn urls() {
        let id = InstanceId::new("corp").unwrap();
        assert_eq!(webhook_url("10.0.0.5", DEFAULT_PORT, None), "http://10.0.0.5:28123/webhook");
        assert_eq!(webhook_url("fe80::1", 9, Some(&id)), "http://[fe80::1]:9/webhook/corp");
        assert_eq!(
            plugin_url("laptop.corp", 28123, "git.corp:7990", "~JDOE", "my repo", &Secret::new("t/k")),
            "http://laptop.corp:28123/repo-syncer/repos/git.corp%3A7990/~JDOE/my%20repo?token=t%2Fk"
        );
    }

    #[test]
    fn secrets_are_redacted_and_override_wins() {
        let mut inst = InstanceConfig::new(InstanceId::new("a").unwrap());
        inst.webhook_secret = Some(Secret::new("generated"));
        assert_eq!(inst.effective_secret(), Some(&Secret::new("generated")));
        inst.webhook_secret_override = Some(Secret::new("typed"));
        assert_eq!(inst.effective_secret(), Some(&Secret::new("typed")));
        inst.webhook_secret_override = Some(Secret::new(""));
        assert_eq!(inst.effective_secret(), None, "an empty override means no secret");
        assert_eq!(format!("{inst:?}").matches("<redacted>").count(), 2);
        assert!(!format!("{inst:?}").contains("generated"));
    }

    #[test]
    fn validation() {
        assert!(InstanceId::new("corp-dc_1.eu").is_ok());
        assert!(InstanceId::new("").is_err());
        assert!(InstanceId::new("a/b").is_err());
        let mut cfg = HookConfig::default();
        cfg.validate().unwrap();
        let inst = InstanceConfig::new(InstanceId::new("x").unwrap());
        cfg.instances = vec![inst.clone(), inst];
        assert_eq!(cfg.validate(), Err(ConfigError::DuplicateInstance("x".into())));
        cfg.instances.pop();
        cfg.rate_limit.burst = 0;
        assert!(cfg.validate().is_err());
    }
}
