//! The HTTP client: URL building under the context path, authentication on every request,
//! retries (429 / 5xx / timeouts), bounded bodies and error classification.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use oauth1_request as oauth;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::config::{Auth, InstanceConfig};
use crate::error::{
    classify_transport, html_title, oauth_problem_from_pairs, parse_www_authenticate,
    truncate_line, ApiError, AuthReason, Error, ErrorBody, Result,
};
use crate::oauth::{authorization_header, parse_form, SignInput};
use crate::secret::Secret;

/// RFC 3986 unreserved characters stay; everything else in a path segment is encoded.
pub(crate) const SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Largest error body read for classification.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// Which OAuth token signs a call.
#[derive(Clone, Debug)]
pub(crate) enum SigningToken {
    /// The access token from the configuration (REST calls).
    Configured,
    /// No token (request-token step).
    None,
    /// A specific token (request token for the exchange, access token for renewal).
    Explicit(Secret),
}

/// A request body.
#[derive(Clone, Debug)]
pub(crate) enum Body {
    None,
    Empty,
    Json(Vec<u8>),
}

/// One logical request; re-signed on every attempt.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub method: Method,
    /// URL without query.
    pub url: Url,
    /// Query pairs, raw (unencoded); encoded once, the same way for the wire and the signature.
    pub query: Vec<(String, String)>,
    pub body: Body,
    pub accept: &'static str,
    pub max_body: u64,
    pub signing_token: SigningToken,
    pub callback: Option<String>,
    pub verifier: Option<String>,
}

impl Call {
    pub(crate) fn get(url: Url) -> Self {
        Call {
            method: Method::GET,
            url,
            query: Vec::new(),
            body: Body::None,
            accept: "application/json",
            max_body: 0,
            signing_token: SigningToken::Configured,
            callback: None,
            verifier: None,
        }
    }

    pub(crate) fn post_empty(url: Url) -> Self {
        Call { method: Method::POST, body: Body::Empty, accept: "*/*", ..Call::get(url) }
    }

    pub(crate) fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    pub(crate) fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| Error::InvalidInput(format!("cannot encode request body: {e}")))?;
        self.body = Body::Json(bytes);
        Ok(self)
    }

    pub(crate) fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    pub(crate) fn query_opt(self, key: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    fn is_idempotent(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE)
    }
}

/// A successful (2xx) response with its body read (bounded).
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Display form of the URL (secrets redacted).
    pub url: String,
}

impl Reply {
    pub(crate) fn text_lossy(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if self.body.is_empty() {
            return Err(Error::Decode {
                url: self.url.clone(),
                detail: format!("empty body (HTTP {}), expected JSON", self.status.as_u16()),
            });
        }
        if looks_like_html(&self.headers, &self.body) {
            let title = html_title(&String::from_utf8_lossy(&self.body));
            return Err(Error::Decode {
                url: self.url.clone(),
                detail: format!(
                    "HTML page{} instead of JSON",
                    title.map(|t| format!(" \"{t}\"")).unwrap_or_default()
                ),
            });
        }
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            url: self.url.clone(),
            detail: format!("JSON does not match the expected shape: {e}"),
        })
    }

    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A Bitbucket Server / Data Center client for one instance. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    config: InstanceConfig,
    pacer: Option<tokio::sync::Mutex<Instant>>,
}

impl Client {
    /// Builds a client. TLS verification is always on, against the OS trust store plus
    /// `custom_ca_pem`; `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` are honoured.
    pub fn new(config: InstanceConfig) -> Result<Self> {
        let mut headers = HeaderMap::new();
        // Without it, Bitbucket answers mutating calls with a 403 "XSRF check failed" page.
        headers.insert("X-Atlassian-Token", HeaderValue::from_static("no-check"));
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.timeouts.connect)
            .timeout(config.timeouts.request)
            // Redirects could carry the Authorization header elsewhere or turn a POST into a
            // GET; Bitbucket's API does not redirect, so surface any redirect as an error.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &config.custom_ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                Error::Config(format!("custom CA PEM is not a valid certificate bundle: {e}"))
            })?;
            if certs.is_empty() {
                return Err(Error::Config("custom CA PEM contains no certificate".to_owned()));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let pacer = config
            .max_requests_per_second
            .filter(|n| *n > 0)
            .map(|_| tokio::sync::Mutex::new(Instant::now()));
        Ok(Client { inner: Arc::new(Inner { http, config, pacer }) })
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &InstanceConfig {
        &self.inner.config
    }

    /// The base URL (with context path).
    pub fn base_url(&self) -> &Url {
        &self.inner.config.base_url
    }

    /// A new client for the same instance with an OAuth access token (after the dance or a
    /// renewal). Fails unless the client uses OAuth 1.0a.
    pub fn with_oauth_access_token(&self, token: Secret) -> Result<Client> {
        let mut config = self.inner.config.clone();
        match &mut config.auth {
            Auth::OAuth1(creds) => creds.access_token = Some(token),
            other => {
                return Err(Error::OAuthNotConfigured(format!(
                    "the client uses {}, not OAuth 1.0a",
                    other.describe()
                )))
            }
        }
        Client::new(config)
    }

    /// `{base}/seg/seg/...`, each segment percent-encoded on its own.
    pub(crate) fn base_join(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.config.base_url.clone();
        let mut path = url.path().trim_end_matches('/').to_owned();
        for seg in segments {
            path.push('/');
            path.extend(utf8_percent_encode(seg, SEGMENT));
        }
        url.set_path(&path);
        url
    }

    /// `{base}/rest/api/1.0/seg/...`. Segments must already be validated (see [`segment`]).
    pub(crate) fn rest(&self, segments: &[&str]) -> Url {
        let mut all = vec!["rest", "api", "1.0"];
        all.extend_from_slice(segments);
        self.base_join(&all)
    }

    /// Sends a GET and decodes JSON.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let reply = self.send(&call).await?;
        reply.json()
    }

    /// Sends a call with retries; returns the 2xx reply or a classified error.
    pub(crate) async fn send(&self, call: &Call) -> Result<Reply> {
        let cfg = &self.inner.config;
        let policy = cfg.retry;
        let mut attempts: u32 = 0;
        let mut failures: u32 = 0;
        let mut rate_waits: u32 = 0;
        loop {
            attempts += 1;
            self.pace().await;
            let (request, shown) = self.build_request(call)?;
            let outcome = self.inner.http.execute(request).await;
            let response = match outcome {
                Ok(r) => r,
                Err(err) => {
                    // reqwest's message embeds the raw URL (secret query values included).
                    let err = err.without_url();
                    let classified = classify_transport(&shown, &err);
                    // A request that never connected was never processed: safe to retry even for
                    // POST. Timeouts after sending are retried only for idempotent methods.
                    let retryable = err.is_connect() || (call.is_idempotent() && err.is_timeout());
                    if retryable && failures < policy.max_retries {
                        let wait = backoff(policy.initial_backoff, policy.max_backoff, failures);
                        failures += 1;
                        tracing::debug!(url = %shown, ?wait, error = %classified, "retrying after transport error");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(classified);
                }
            };
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let asked = retry_after(response.headers(), SystemTime::now());
                if rate_waits < policy.max_rate_limit_waits {
                    rate_waits += 1;
                    let wait =
                        asked.unwrap_or(policy.default_retry_after).min(policy.max_retry_after);
                    tracing::info!(url = %shown, ?wait, "rate limited (429); waiting");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(Error::RateLimited { url: shown, attempts, retry_after: asked });
            }
            if status.is_server_error() && call.is_idempotent() && failures < policy.max_retries {
                let wait = backoff(policy.initial_backoff, policy.max_backoff, failures);
                failures += 1;
                tracing::debug!(url = %shown, status = status.as_u16(), ?wait, "retrying after server error");
                tokio::time::sleep(wait).await;
                continue;
            }
            let headers = response.headers().clone();
            if status.is_success() {
                let limit = if call.max_body > 0 { call.max_body } else { cfg.max_json_bytes };
                let body = read_limited(response, limit, &shown).await?;
                return Ok(Reply { status, headers, body, url: shown });
            }
            // Errors: read a bounded prefix only; an oversized error page is cut, not refused.
            let body = read_prefix(response, MAX_ERROR_BODY).await;
            return Err(classify_status(status, &headers, &body, shown));
        }
    }

    async fn pace(&self) {
        let (Some(pacer), Some(rate)) =
            (&self.inner.pacer, self.inner.config.max_requests_per_second)
        else {
            return;
        };
        let interval = Duration::from_secs(1) / rate.max(1);
        let wait = {
            let mut next = pacer.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + interval;
            slot.saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    fn build_request(&self, call: &Call) -> Result<(reqwest::Request, String)> {
        let cfg = &self.inner.config;
        let params = oauth::ParameterList::new(call.query.clone());
        let mut base = call.url.clone();
        base.set_query(None);
        base.set_fragment(None);
        let uri_no_query = base.as_str().to_owned();
        let full = if call.query.is_empty() {
            uri_no_query.clone()
        } else {
            oauth::to_query(uri_no_query.clone(), &params)
        };
        let url = Url::parse(&full)
            .map_err(|e| Error::InvalidInput(format!("cannot build request URL: {e}")))?;
        let shown = display_url(&url);

        let mut request = reqwest::Request::new(call.method.clone(), url);
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static(call.accept));
        let authorization = match &cfg.auth {
            Auth::Anonymous => None,
            Auth::Bearer(token) => Some(format!("Bearer {}", token.expose())),
            Auth::Basic { username, secret } => {
                let raw = format!("{username}:{}", secret.expose());
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)))
            }
            Auth::OAuth1(creds) => {
                let token = match &call.signing_token {
                    SigningToken::Configured => creds.access_token.as_ref().map(Secret::expose),
                    SigningToken::None => None,
                    SigningToken::Explicit(t) => Some(t.expose()),
                };
                Some(authorization_header(
                    call.method.as_str(),
                    &uri_no_query,
                    &params,
                    &SignInput {
                        consumer_key: &creds.consumer_key,
                        key: &creds.key,
                        token,
                        callback: call.callback.as_deref(),
                        verifier: call.verifier.as_deref(),
                        fixed_nonce: None,
                        fixed_timestamp: None,
                    },
                ))
            }
        };
        if let Some(value) = authorization {
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                Error::Config(
                    "credentials contain characters that cannot go into an HTTP header".to_owned(),
                )
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        match &call.body {
            Body::None => {}
            Body::Empty => {
                *request.body_mut() = Some(reqwest::Body::from(Vec::new()));
            }
            Body::Json(bytes) => {
                request
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                *request.body_mut() = Some(reqwest::Body::from(bytes.clone()));
            }
        }
        Ok((request, shown))
    }
}

/// Exponential backoff: `initial * 2^n`, capped.
pub(crate) fn backoff(initial: Duration, max: Duration, n: u32) -> Duration {
    let factor = 1u32.checked_shl(n.min(16)).unwrap_or(u32::MAX);
    initial.saturating_mul(factor).min(max)
}

/// `Retry-After` as seconds or an HTTP date; `None` when absent or unreadable.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

async fn read_limited(mut response: reqwest::Response, limit: u64, url: &str) -> Result<Vec<u8>> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(Error::TooLarge { url: url.to_owned(), limit });
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(Error::TooLarge { url: url.to_owned(), limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(err) => return Err(classify_transport(url, &err.without_url())),
        }
    }
}

async fn read_prefix(mut response: reqwest::Response, limit: u64) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = (limit as usize).saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or(&[]));
        if body.len() as u64 >= limit {
            break;
        }
    }
    body
}

fn content_type(headers: &HeaderMap) -> String {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase()
}

pub(crate) fn looks_like_html(headers: &HeaderMap, body: &[u8]) -> bool {
    let ct = content_type(headers);
    if ct.contains("html") {
        return true;
    }
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

#[derive(serde::Deserialize)]
struct ErrorsBody {
    errors: Vec<ApiError>,
}

#[derive(serde::Deserialize)]
struct MessageBody {
    message: String,
}

/// Classifies a non-success body without dumping it.
pub(crate) fn classify_body(headers: &HeaderMap, body: &[u8]) -> ErrorBody {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return ErrorBody::Empty;
    }
    if looks_like_html(headers, body) {
        return ErrorBody::Html { title: html_title(&text) };
    }
    if trimmed.starts_with('{') || content_type(headers).contains("json") {
        if let Ok(parsed) = serde_json::from_str::<ErrorsBody>(trimmed) {
            return ErrorBody::Api(parsed.errors);
        }
        // go-scm also tolerates {"message": "...", "status-code": N}.
        if let Ok(parsed) = serde_json::from_str::<MessageBody>(trimmed) {
            return ErrorBody::Api(vec![ApiError {
                message: Some(parsed.message),
                exception_name: None,
                context: None,
            }]);
        }
    }
    if trimmed.contains("oauth_problem=") {
        if let Some(problem) = oauth_problem_from_pairs(&parse_form(trimmed)) {
            return ErrorBody::OAuth(problem);
        }
    }
    ErrorBody::Text(truncate_line(trimmed, 200))
}

/// Turns a non-success status into a typed error.
pub(crate) fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    url: String,
) -> Error {
    let parsed = classify_body(headers, body);
    let header_problem = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| oauth_problem_from_pairs(&parse_www_authenticate(v)));
    // Prefer the body's report: it may carry the advice and the echoed base string.
    let oauth = match &parsed {
        ErrorBody::OAuth(p) => Some(p.clone()),
        _ => header_problem,
    };
    let code = status.as_u16();
    if code == 401 || (oauth.is_some() && (code == 400 || code == 403)) {
        let reason = match (oauth, &parsed) {
            (Some(p), _) => {
                if let Some(base) = &p.server_base_string {
                    tracing::debug!(%url, server_base_string = %base, "server signature base string");
                }
                AuthReason::OAuth(p)
            }
            (None, ErrorBody::Api(errors)) => AuthReason::Api(errors.clone()),
            _ => AuthReason::Unspecified,
        };
        return Error::Auth { url, status: code, reason };
    }
    if code == 404 {
        return Error::NotFound { url, body: parsed };
    }
    if let Some(p) = oauth {
        return Error::Http { url, status: code, body: ErrorBody::OAuth(p) };
    }
    Error::Http { url, status: code, body: parsed }
}

/// Query parameters whose values are never shown in errors or logs.
fn is_sensitive_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "url"
        || n.contains("token")
        || n.contains("secret")
        || n.contains("password")
        || n.contains("session_handle")
        || n.contains("verifier")
}

/// The URL as shown in errors: sensitive query values replaced by `***`.
pub(crate) fn display_url(url: &Url) -> String {
    let Some(query) = url.query() else {
        return url.as_str().to_owned();
    };
    let mut shown = url.clone();
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_sensitive_param(&crate::oauth::percent_decode(k)) => {
                format!("{k}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    shown.set_query(Some(&redacted.join("&")));
    shown.as_str().to_owned()
}

/// Validates a caller-supplied path segment (project key, slug, hook key, ref, ...).
pub(crate) fn segment<'a>(what: &str, value: &'a str) -> Result<&'a str> {
    if value.is_empty() {
        return Err(Error::InvalidInput(format!("{what} is empty")));
    }
    if value == "." || value == ".." {
        return Err(Error::InvalidInput(format!("{what} {value:?} is not a valid path segment")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!("{what} contains control characters")));
    }
    Ok(value)
}

/// Splits a repository file path into segments (`a/b/c.json` → `["a","b","c.json"]`), rejecting
/// empty, `.` and `..` segments.
pub(crate) fn file_path_segments(path: &str) -> Result<Vec<&str>> {
    let trimmed = path.trim_start_matches('/');
    if trimmed.is_empty() {
        return Err(Error::InvalidInput("file path is empty".to_owned()));
    }
    trimmed
        .split('/')
        .map(|s| {
            if s.is_empty() {
                Err(Error::InvalidInput(format!("file path {path:?} has an empty segment")))
            } else {
                segment("file path segment", s)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InstanceConfig;

    fn client(base: &str) -> Client {
        Client::new(InstanceConfig::new(base, Auth::Anonymous).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn urls_keep_context_path_and_encode_segments() {
        let c = client("https://git.corp/bitbucket/");
        let u = c.rest(&["projects", "~jdoe", "repos", "a b", "raw", "dir", "x#y?.json"]);
        assert_eq!(
            u.as_str(),
            "https://git.corp/bitbucket/rest/api/1.0/projects/~jdoe/repos/a%20b/raw/dir/x%23y%3F.json"
        );
        let root = client("http://h:7990");
        assert_eq!(
            root.rest(&["application-properties"]).as_str(),
            "http://h:7990/rest/api/1.0/application-properties"
        );
    }

    #[test]
    fn file_paths_are_split_and_checked() {
        assert_eq!(file_path_segments("/web/package.json").unwrap(), vec!["web", "package.json"]);
        assert!(file_path_segments("a//b").is_err());
        assert!(file_path_segments("a/../b").is_err());
        assert!(file_path_segments("").is_err());
    }

    #[test]
    fn display_url_redacts_sensitive_values() {
        let u = Url::parse("https://h/x/webhooks/test?url=http%3A%2F%2F1.2.3.4%2Fhook%2Fprh%2Fsecrettoken&sslVerificationRequired=true&oauth_session_handle=H").unwrap();
        let shown = display_url(&u);
        assert!(!shown.contains("secrettoken"), "{shown}");
        assert!(!shown.contains("=H"), "{shown}");
        assert!(shown.contains("sslVerificationRequired=true"));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, SystemTime::now()), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, SystemTime::now()), Some(Duration::from_secs(7)));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let i = Duration::from_millis(100);
        let m = Duration::from_secs(1);
        assert_eq!(backoff(i, m, 0), Duration::from_millis(100));
        assert_eq!(backoff(i, m, 2), Duration::from_millis(400));
        assert_eq!(backoff(i, m, 10), m);
        assert_eq!(backoff(i, m, 40), m);
    }

    #[test]
    fn bodies_are_classified() {
        let mut json = HeaderMap::new();
        json.insert(CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
        let b = classify_body(
            &json,
            br#"{"errors":[{"context":"name","message":"Bad name","exceptionName":"x.y.ValidationException"}]}"#,
        );
        let ErrorBody::Api(errs) = &b else { panic!("{b:?}") };
        assert_eq!(errs[0].context.as_deref(), Some("name"));
        let mut html = HeaderMap::new();
        html.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        assert_eq!(
            classify_body(&html, b"<html><title>XSRF check failed</title>"),
            ErrorBody::Html { title: Some("XSRF check failed".into()) }
        );
        let plain = HeaderMap::new();
        let b = classify_body(&plain, b"oauth_problem=token_expired&oauth_problem_advice=x");
        assert!(matches!(b, ErrorBody::OAuth(ref p) if p.problem == "token_expired"));
        assert_eq!(classify_body(&plain, b"  "), ErrorBody::Empty);
        let b = classify_body(&plain, br#"{"message":"nope","status-code":500}"#);
        assert_eq!(b.first_api_error().and_then(|e| e.message.as_deref()), Some("nope"));
    }

    #[test]
    fn status_401_with_header_problem_is_auth() {
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"OAuth realm="x", oauth_problem="token_rejected""#),
        );
        let e = classify_status(StatusCode::UNAUTHORIZED, &h, b"", "u".into());
        assert_eq!(e.oauth_problem(), Some("token_rejected"));
        assert!(e.to_string().contains("token_rejected"));
        let e = classify_status(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            b"oauth_problem=timestamp_refused",
            "u".into(),
        );
        assert!(matches!(e, Error::Auth { status: 400, .. }));
        assert!(e.to_string().contains("clocks"));
    }
}
