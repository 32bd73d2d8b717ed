//! Errors of the Bitbucket client, worded for humans and always naming the URL (never secrets).

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a connection could not be made, classified for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens on that host and port.
    Refused,
    /// TLS failed: untrusted or expired certificate, wrong host name, or not TLS at all.
    Tls,
    /// No answer in time (connect or whole request).
    Timeout,
    /// Any other network failure (reset, proxy refused, ...).
    Other,
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectFailure::Dns => "the host name could not be resolved (DNS)",
            ConnectFailure::Refused => "the connection was refused (is the host and port right?)",
            ConnectFailure::Tls => {
                "TLS/certificate problem (untrusted or self-signed certificate? add the CA PEM)"
            }
            ConnectFailure::Timeout => "the server did not answer in time",
            ConnectFailure::Other => "network error",
        })
    }
}

/// One entry of Bitbucket's `{"errors": [...]}` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// Human message, e.g. "Project ABC does not exist."
    #[serde(default)]
    pub message: Option<String>,
    /// Java exception class, e.g. `com.atlassian.bitbucket.project.NoSuchProjectException`.
    #[serde(default)]
    pub exception_name: Option<String>,
    /// Field name on validation errors.
    #[serde(default)]
    pub context: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message.as_deref().unwrap_or("(no message)"))?;
        if let Some(ctx) = &self.context {
            write!(f, " [field {ctx}]")?;
        }
        if let Some(ex) = &self.exception_name {
            let short = ex.rsplit('.').next().unwrap_or(ex);
            write!(f, " ({short})")?;
        }
        Ok(())
    }
}

/// An OAuth 1.0a problem report (`oauth_problem=...` in `WWW-Authenticate` or a form body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthProblem {
    /// The `oauth_problem` value, e.g. `token_rejected`, `signature_invalid`.
    pub problem: String,
    /// `oauth_problem_advice`, when given.
    pub advice: Option<String>,
    /// The server's signature base string (echoed on `signature_invalid`), with the token value
    /// redacted. Compare it with ours to find proxy or encoding mismatches.
    pub server_base_string: Option<String>,
}

impl OAuthProblem {
    fn explain(&self) -> &'static str {
        match self.problem.as_str() {
            "token_rejected" => "the token is unknown or was revoked; connect again",
            "token_expired" => "the token expired; connect again",
            "token_revoked" => "the token was revoked; connect again",
            "consumer_key_unknown" => {
                "the consumer key is not registered in an Application Link on this server"
            }
            "signature_invalid" => {
                "the signature did not verify: wrong public key on the Application Link, or a proxy changed the URL"
            }
            "timestamp_refused" => {
                "the server refused our timestamp: the system clocks are not synchronized"
            }
            "nonce_used" => "the request nonce was reused",
            "permission_denied" => "access was denied (the user refused, or 3-legged OAuth is not allowed)",
            "permission_unknown" => "the request token has not been authorized yet",
            "parameter_rejected" | "parameter_absent" => "the server rejected an OAuth parameter",
            "signature_method_rejected" => "the server does not accept RSA-SHA1",
            _ => "",
        }
    }
}

impl fmt::Display for OAuthProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oauth_problem={}", self.problem)?;
        let why = self.explain();
        if !why.is_empty() {
            write!(f, " ({why})")?;
        }
        if let Some(advice) = &self.advice {
            write!(f, "; advice: {advice}")?;
        }
        Ok(())
    }
}

/// What the server said on an authentication or authorization failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthReason {
    /// An OAuth problem report.
    OAuth(OAuthProblem),
    /// Bitbucket's `errors[]` body (401 also means "insufficient permission").
    Api(Vec<ApiError>),
    /// No usable explanation in the response.
    Unspecified,
}

impl fmt::Display for AuthReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthReason::OAuth(p) => p.fmt(f),
            AuthReason::Api(errors) => match errors.first() {
                Some(e) => e.fmt(f),
                None => f.write_str("no reason given"),
            },
            AuthReason::Unspecified => f.write_str(
                "no reason given (wrong or expired credentials, or insufficient permission)",
            ),
        }
    }
}

/// A non-success response body, classified without dumping it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorBody {
    /// Bitbucket's `errors[]` JSON.
    Api(Vec<ApiError>),
    /// An HTML page (reverse proxy, XSRF rejection, login page) with its `<title>`.
    Html {
        /// The page title, shortened.
        title: Option<String>,
    },
    /// An OAuth problem form body.
    OAuth(OAuthProblem),
    /// Some other text, shortened to a single line.
    Text(String),
    /// No body.
    Empty,
}

impl ErrorBody {
    /// The first `errors[]` entry, if the body was Bitbucket JSON.
    pub fn first_api_error(&self) -> Option<&ApiError> {
        match self {
            ErrorBody::Api(errors) => errors.first(),
            _ => None,
        }
    }

    /// True when any `errors[].exceptionName` contains `needle`.
    pub fn has_exception(&self, needle: &str) -> bool {
        match self {
            ErrorBody::Api(errors) => errors
                .iter()
                .any(|e| e.exception_name.as_deref().is_some_and(|name| name.contains(needle))),
            _ => false,
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorBody::Api(errors) => {
                let mut first = true;
                for e in errors.iter().take(3) {
                    if !first {
                        f.write_str("; ")?;
                    }
                    first = false;
                    e.fmt(f)?;
                }
                if errors.len() > 3 {
                    write!(f, "; and {} more", errors.len() - 3)?;
                }
                if errors.is_empty() {
                    f.write_str("empty errors list")?;
                }
                Ok(())
            }
            ErrorBody::Html { title: Some(t) } => write!(f, "HTML page \"{t}\""),
            ErrorBody::Html { title: None } => f.write_str("HTML page"),
            ErrorBody::OAuth(p) => p.fmt(f),
            ErrorBody::Text(t) => write!(f, "\"{t}\""),
            ErrorBody::Empty => f.write_str("empty body"),
        }
    }
}

/// Every failure of the Bitbucket client. Each variant that concerns a request names its URL
/// (with secret-bearing query values redacted).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The instance configuration is unusable (bad base URL, bad CA PEM, bad key).
    #[error("invalid Bitbucket configuration: {0}")]
    Config(String),

    /// A caller-supplied value cannot be sent (empty path segment, `..`, bad hook key).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// The server could not be reached.
    #[error("cannot reach {url}: {kind}")]
    Connect {
        /// The request URL.
        url: String,
        /// What kind of failure.
        kind: ConnectFailure,
        /// Low-level detail (no secrets), for logs.
        detail: String,
    },

    /// 401 (or an OAuth problem on any status): bad, expired or revoked credentials, or
    /// insufficient permission.
    #[error("{url}: not authorized (HTTP {status}): {reason}")]
    Auth {
        /// The request URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's reason.
        reason: AuthReason,
    },

    /// 404: missing project, repository, path or ref (or an unknown endpoint).
    #[error("{url}: not found (HTTP 404): {body}")]
    NotFound {
        /// The request URL.
        url: String,
        /// What the server said.
        body: ErrorBody,
    },

    /// 429 still after the allowed number of waits.
    #[error("{url}: rate limited by the server (HTTP 429) after {attempts} attempts")]
    RateLimited {
        /// The request URL.
        url: String,
        /// How many requests were made.
        attempts: u32,
        /// The last `Retry-After` the server asked for.
        retry_after: Option<Duration>,
    },

    /// Any other non-success status (after retries for 5xx).
    #[error("{url}: HTTP {status}: {body}")]
    Http {
        /// The request URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What the server said.
        body: ErrorBody,
    },

    /// No Bitbucket REST API at the base URL: the context path is missing or wrong, or the URL
    /// points at something else.
    #[error("{url}: no Bitbucket REST API here ({detail}); check the base URL and its context path (e.g. https://host/bitbucket){}", suggestion.as_ref().map(|s| format!("; Bitbucket answers at {s}")).unwrap_or_default())]
    WrongContextPath {
        /// The probed URL.
        url: String,
        /// What came back instead.
        detail: String,
        /// A base URL that did answer like Bitbucket, when one was found.
        suggestion: Option<String>,
    },

    /// The response could not be decoded as expected.
    #[error("{url}: unexpected response: {detail}")]
    Decode {
        /// The request URL.
        url: String,
        /// What did not fit.
        detail: String,
    },

    /// The response body exceeded the allowed size.
    #[error("{url}: response larger than the {limit}-byte limit")]
    TooLarge {
        /// The request URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },

    /// A paged listing needed more pages than the guard allows.
    #[error(
        "{url}: more than {max_pages} pages; stopped (raise the page guard if this is expected)"
    )]
    PageLimit {
        /// The listing URL.
        url: String,
        /// The guard.
        max_pages: u32,
    },

    /// The OAuth request token is older than its lifetime (10 minutes on Bitbucket).
    #[error("the OAuth request token is {} s old, past its {} s lifetime; start the authorization again", age.as_secs(), ttl.as_secs())]
    RequestTokenExpired {
        /// Age of the request token.
        age: Duration,
        /// Its lifetime.
        ttl: Duration,
    },

    /// The user pressed Deny on the authorization page.
    #[error("the user denied access on the Bitbucket authorization page")]
    OAuthDenied,

    /// An OAuth call needs an access token but the client has none, or needs OAuth credentials.
    #[error("OAuth is not set up for this call: {0}")]
    OAuthNotConfigured(String),

    /// An RSA key could not be generated, loaded or encoded.
    #[error("RSA key: {0}")]
    Key(String),
}

impl Error {
    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. } | Error::Http { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(404),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The `oauth_problem`, when the error carries one.
    pub fn oauth_problem(&self) -> Option<&str> {
        match self {
            Error::Auth { reason: AuthReason::OAuth(p), .. } => Some(&p.problem),
            Error::Http { body: ErrorBody::OAuth(p), .. } => Some(&p.problem),
            _ => None,
        }
    }

    /// True for 404 whose `errors[]` names this exception (substring match).
    pub(crate) fn is_not_found_with(&self, exception: &str) -> bool {
        matches!(self, Error::NotFound { body, .. } if body.has_exception(exception))
    }
}

/// Classifies a transport error (no response) for humans.
pub(crate) fn classify_transport(url: &str, err: &reqwest::Error) -> Error {
    let mut chain = String::new();
    let mut refused = false;
    let mut timed_out = err.is_timeout();
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => refused = true,
                std::io::ErrorKind::TimedOut => timed_out = true,
                _ => {}
            }
        }
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&e.to_string());
        source = e.source();
    }
    let lower = chain.to_ascii_lowercase();
    let kind = if timed_out {
        ConnectFailure::Timeout
    } else if refused || lower.contains("connection refused") {
        ConnectFailure::Refused
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
        || lower.contains("nodename nor servname")
    {
        ConnectFailure::Dns
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("invalidcontenttype")
        || lower.contains("corrupt message")
        || lower.contains("unknownissuer")
    {
        ConnectFailure::Tls
    } else {
        ConnectFailure::Other
    };
    // reqwest's own Display repeats the URL; ours already names it, and the chain holds no
    // secrets (auth lives in headers, which reqwest never prints).
    Error::Connect { url: url.to_owned(), kind, detail: truncate_line(&chain, 400) }
}

/// Shortens to one line of at most `max` characters.
pub(crate) fn truncate_line(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut s: String = one_line.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// Extracts `<title>` from an HTML page, shortened; `None` when absent.
pub(crate) fn html_title(body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = lower.get(start..)?.find('>')? + start + 1;
    let close = lower.get(open_end..)?.find("</title")? + open_end;
    let title = body.get(open_end..close)?;
    let title = truncate_line(title, 120);
    if title.is_empty() {
        None
    } else {
        Some(title)
    }
}

/// Parses an OAuth form body or a `WWW-Authenticate: OAuth ...` header into a problem report.
pub(crate) fn oauth_problem_from_pairs(pairs: &[(String, String)]) -> Option<OAuthProblem> {
    let get = |k: &str| pairs.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone());
    let problem = get("oauth_problem")?;
    Some(OAuthProblem {
        problem,
        advice: get("oauth_problem_advice"),
        server_base_string: get("oauth_signature_base_string").map(|b| redact_base_string(&b)),
    })
}

/// Redacts the `oauth_token` value inside an echoed signature base string.
fn redact_base_string(base: &str) -> String {
    // In a base string, parameters are percent-encoded once more: `oauth_token%3DVALUE%26`.
    let marker = "oauth_token%3D";
    match base.find(marker) {
        Some(pos) => {
            let value_start = pos + marker.len();
            let rest = base.get(value_start..).unwrap_or("");
            let value_end = rest.find("%26").map(|i| value_start + i).unwrap_or(base.len());
            format!(
                "{}***{}",
                base.get(..value_start).unwrap_or(""),
                base.get(value_end..).unwrap_or("")
            )
        }
        None => base.to_owned(),
    }
}

/// Parses `WWW-Authenticate: OAuth realm="…", oauth_problem="…"` parameters.
pub(crate) fn parse_www_authenticate(value: &str) -> Vec<(String, String)> {
    let trimmed = value.trim();
    let Some(rest) =
        trimmed.get(..5).filter(|p| p.eq_ignore_ascii_case("oauth")).and_then(|_| trimmed.get(5..))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for part in split_header_params(rest) {
        if let Some((k, v)) = part.split_once('=') {
            let v = v.trim().trim_matches('"');
            out.push((k.trim().to_owned(), crate::oauth::percent_decode(v)));
        }
    }
    out
}

/// Splits `a="x, y", b="z"` on commas outside quotes.
fn split_header_params(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                if let Some(p) = s.get(start..i) {
                    parts.push(p);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if let Some(p) = s.get(start..) {
        parts.push(p);
    }
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_title_is_extracted_and_shortened() {
        let page = "<html><head><TITLE>502 Bad\n Gateway</TITLE></head><body>nginx</body></html>";
        assert_eq!(html_title(page).as_deref(), Some("502 Bad Gateway"));
        assert_eq!(html_title("<html><body>x</body></html>"), None);
        assert_eq!(html_title("<title></title>"), None);
    }

    #[test]
    fn www_authenticate_is_parsed() {
        let pairs = parse_www_authenticate(
            r#"OAuth realm="https://git.corp/bitbucket", oauth_problem="token_rejected", oauth_problem_advice="Token%20revoked""#,
        );
        let p = oauth_problem_from_pairs(&pairs).unwrap();
        assert_eq!(p.problem, "token_rejected");
        assert_eq!(p.advice.as_deref(), Some("Token revoked"));
        assert!(parse_www_authenticate("Basic realm=\"x\"").is_empty());
    }

    #[test]
    fn base_string_token_is_redacted() {
        let b = "GET&https%3A%2F%2Fh%2Fx&oauth_consumer_key%3Dk%26oauth_token%3DSECRETTOK%26oauth_version%3D1.0";
        let r = redact_base_string(b);
        assert!(!r.contains("SECRETTOK"));
        assert!(r.contains("oauth_token%3D***%26oauth_version"));
    }

    #[test]
    fn api_error_display_is_short() {
        let e = ApiError {
            message: Some("Project ABC does not exist.".into()),
            exception_name: Some("com.atlassian.bitbucket.project.NoSuchProjectException".into()),
            context: None,
        };
        assert_eq!(e.to_string(), "Project ABC does not exist. (NoSuchProjectException)");
    }

    #[test]
    fn truncation_is_char_safe() {
        let s = "é".repeat(300);
        let t = truncate_line(&s, 10);
        assert_eq!(t.chars().count(), 11);
    }
}
