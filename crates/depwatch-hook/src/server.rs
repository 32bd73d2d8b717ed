//! The HTTP listener: routes, authentication, limits and the commit-before-2xx rule.

use crate::config::{ConfigError, HookConfig, InstanceConfig, InstanceId};
use crate::inbox::{AcceptOutcome, Disposition, EventKind, Inbox, InboxEntry};
use crate::oauth_callback::{callback_router, OAuthCallbacks};
use crate::rate_limit::RateLimiter;
use crate::repository::{RepoDirectory, RepoLookup};
use crate::signature::{
    algorithm_prefix, body_digest, token_matches, SignatureHeader, SignatureProblem,
};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use depwatch_bitbucket::webhook::{
    detect_unsupported_headers, normalize_post_receive, normalize_refs_changed,
    normalize_repo_modified, HookEvent, SenderHeaders, WebhookError, EVENT_PING,
    EVENT_REFS_CHANGED, EVENT_REPO_MODIFIED,
};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

/// What the listener shares between requests. Cheap to clone.
#[derive(Clone)]
pub struct HookState {
    shared: Arc<Shared>,
}

struct Shared {
    config: HookConfig,
    inbox: Arc<dyn Inbox>,
    repos: Arc<dyn RepoDirectory>,
    limiter: RateLimiter,
    oauth_callbacks: OAuthCallbacks,
}

impl HookState {
    /// Validates `config` and bundles it with the inbox and the repository directory.
    ///
    /// # Errors
    /// When the configuration is invalid (see [`HookConfig::validate`]).
    pub fn new(
        config: HookConfig,
        inbox: Arc<dyn Inbox>,
        repos: Arc<dyn RepoDirectory>,
    ) -> Result<HookState, ConfigError> {
        config.validate()?;
        let limiter = RateLimiter::new(config.rate_limit);
        let oauth_callbacks = OAuthCallbacks::new();
        Ok(HookState {
            shared: Arc::new(Shared { config, inbox, repos, limiter, oauth_callbacks }),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &HookConfig {
        &self.shared.config
    }

    /// The OAuth attempts this listener's `/oauth/callback/{nonce}` route delivers to: register
    /// an attempt here to receive its browser callback on the main listener.
    pub fn oauth_callbacks(&self) -> &OAuthCallbacks {
        &self.shared.oauth_callbacks
    }
}

/// The routes, with limits applied, ready to serve.
///
/// * `POST /webhook` and `POST /webhook/{instance}`: native webhooks.
/// * `POST /repo-syncer/repos/{bitbucket_host}/{project}/{repo}?token=…`: the post-receive
///   plugin.
/// * `GET /oauth/callback/{nonce}`: the browser's OAuth 1.0a callback
///   ([`crate::oauth_callback`]).
/// * `GET /healthz`.
pub fn router(state: HookState) -> Router {
    let config = state.config();
    let callbacks = callback_router(state.oauth_callbacks().clone());
    let deliveries = Router::new()
        .route("/webhook", post(native_default))
        .route("/webhook/{instance}", post(native_named))
        .route("/repo-syncer/repos/{bitbucket_host}/{project}/{repo}", post(plugin))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(deliveries)
        .fallback(not_found)
        .with_state(state.clone())
        .merge(callbacks)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
}

/// How long in-flight requests get to finish after `shutdown` completes.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves deliveries on an already-bound listener until `shutdown` completes, then lets
/// in-flight requests finish (up to 10 s). Taking the listener (instead of an address) lets
/// tests bind `127.0.0.1:0` and lets the app report a bind error before starting.
///
/// HTTP/1.1 only (Bitbucket's client speaks it). Each connection must send its headers within
/// `request_timeout`, and at most `max_connections` are open at once.
///
/// # Errors
/// When accepting connections fails with a non-transient error.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: HookState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let config = state.config();
    let header_timeout = config.request_timeout;
    let permits = Arc::new(Semaphore::new(config.max_connections));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, instances = config.instances.len(), "webhook listener started");
    }
    let app = router(state);
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) if is_transient(&e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a webhook connection failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                Err(e) => return Err(e),
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut request: axum::http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "webhook connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("webhook listener stopping");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("webhook connections still open after the drain timeout; closing them");
    }
    Ok(())
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    // EMFILE/ENFILE show up as `Other`/uncategorized; connection resets before accept are
    // per-connection and harmless.
    !matches!(
        e.kind(),
        ErrorKind::InvalidInput | ErrorKind::PermissionDenied | ErrorKind::AddrInUse
    )
}

// ---------------------------------------------------------------------------------------------
// Replies

/// A JSON reply: `{"status": …, "message": …, "delivery": …}`.
struct Reply {
    status: StatusCode,
    word: &'static str,
    message: Option<String>,
    delivery: Option<String>,
    retry_after_secs: Option<u64>,
}

impl Reply {
    fn new(status: StatusCode, word: &'static str) -> Reply {
        Reply { status, word, message: None, delivery: None, retry_after_secs: None }
    }

    fn error(status: StatusCode, message: impl Into<String>) -> Reply {
        Reply::new(status, "error").message(message)
    }

    fn message(mut self, message: impl Into<String>) -> Reply {
        self.message = Some(message.into());
        self
    }

    fn delivery(mut self, id: &str) -> Reply {
        self.delivery = Some(id.to_owned());
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("status".into(), self.word.into());
        if let Some(m) = self.message {
            body.insert("message".into(), m.into());
        }
        if let Some(d) = self.delivery {
            body.insert("delivery".into(), d.into());
        }
        let mut response = (self.status, Json(serde_json::Value::Object(body))).into_response();
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

async fn healthz() -> Reply {
    Reply::new(StatusCode::OK, "ok")
}

async fn not_found() -> Reply {
    Reply::error(
        StatusCode::NOT_FOUND,
        "unknown path: native webhooks post to /webhook or /webhook/{instance}; the Web Post \
         Hooks plugin posts to /repo-syncer/repos/{bitbucket_host}/{project}/{repo}?token=…",
    )
}

async fn rate_limit(
    State(state): State<HookState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match state.shared.limiter.check(peer.ip(), Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::warn!(source = %peer.ip(), "webhook rate limit exceeded");
            let mut reply = Reply::error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many deliveries from this address; slow down",
            );
            reply.retry_after_secs = Some(wait.as_secs().max(1));
            reply.into_response()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request headers

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty())
}

/// A usable `X-Request-Id`: Bitbucket sends a UUID; anything long or odd is not trusted as a
/// key (the body digest is used instead).
fn request_id(headers: &HeaderMap) -> Option<&str> {
    header_str(headers, "x-request-id").filter(|id| {
        id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    })
}

fn unsupported_sender(headers: &HeaderMap) -> Option<Reply> {
    let source = detect_unsupported_headers(SenderHeaders {
        event_key: header_str(headers, "x-event-key"),
        has_hook_uuid: headers.contains_key("x-hook-uuid"),
        bitbucket_type: header_str(headers, "x-bitbucket-type"),
    })?;
    tracing::warn!(request_id = request_id(headers), %source, "unsupported webhook sender");
    Some(Reply::error(StatusCode::BAD_REQUEST, source.to_string()))
}

fn body_or_reply(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, Reply> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            tracing::warn!(limit, "webhook body over the size limit");
            Reply::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than the {limit}-byte limit"),
            )
        } else {
            Reply::error(rejection.status(), format!("cannot read the request body: {rejection}"))
        }
    })
}

fn payload_error(request_id: Option<&str>, body_len: usize, err: &WebhookError) -> Reply {
    tracing::warn!(request_id, body_len, error = %err, "webhook payload rejected");
    Reply::error(StatusCode::BAD_REQUEST, err.to_string())
}

// ---------------------------------------------------------------------------------------------
// Native webhooks

async fn native_default(
    State(state): State<HookState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    native(state, None, headers, body).await
}

async fn native_named(
    State(state): State<HookState>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    native(state, Some(instance), headers, body).await
}

async fn native(
    state: HookState,
    instance: Option<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    if let Some(reply) = unsupported_sender(&headers) {
        return reply;
    }
    let config = state.config();
    let scope: Vec<&InstanceConfig> = match &instance {
        Some(id) => match config.instance(id) {
            Some(inst) => vec![inst],
            None => {
                return Reply::error(
                    StatusCode::NOT_FOUND,
                    "no Bitbucket instance with this id is configured on this listener",
                )
            }
        },
        None => config.instances.iter().collect(),
    };
    if scope.is_empty() {
        return Reply::error(
            StatusCode::NOT_FOUND,
            "no Bitbucket instance is configured on this listener",
        );
    }
    let body = match body_or_reply(body, config.max_body_bytes) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let rid = request_id(&headers);
    let Some(event_key) = header_str(&headers, "x-event-key") else {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "missing X-Event-Key header: Bitbucket native webhooks send it; the Web Post Hooks \
             plugin must be pointed at /repo-syncer/repos/{bitbucket_host}/{project}/{repo}?token=…",
        );
    };
    if event_key == EVENT_PING {
        // Unsigned by design ("Test connection"); answer and change nothing.
        tracing::info!(request_id = rid, "webhook ping");
        return Reply::new(StatusCode::OK, "ok").message("depwatch is listening");
    }

    // Authenticate over the exact bytes before any JSON parsing.
    let signature = header_str(&headers, "x-hub-signature");
    let candidates = match authenticate(&scope, signature, &body) {
        Ok(c) => c,
        Err(problem) => {
            tracing::warn!(
                request_id = rid,
                body_len = body.len(),
                algorithm = signature.map(algorithm_prefix),
                problem = problem.describe(),
                "webhook signature rejected"
            );
            return Reply::error(StatusCode::UNAUTHORIZED, problem.describe());
        }
    };
    let delivery_id = rid.map_or_else(|| body_digest(&body), str::to_owned);

    let (kind, event) = match event_key {
        EVENT_REFS_CHANGED => match normalize_refs_changed(&body) {
            Ok(e) => (EventKind::RefsChanged, Some(HookEvent::Push(e))),
            Err(err) => return payload_error(rid, body.len(), &err),
        },
        EVENT_REPO_MODIFIED => match normalize_repo_modified(&body) {
            Ok(e) => (EventKind::RepoModified, Some(HookEvent::RepoModified(e))),
            Err(err) => return payload_error(rid, body.len(), &err),
        },
        other => (EventKind::Unsubscribed(truncate(other, 100)), None),
    };
    record(&state, &candidates, kind, delivery_id, body, event).await
}

/// The instances this delivery authenticates as, in configuration order.
///
/// A valid signature selects the instances whose secret verifies it. Instances without a
/// secret accept unsigned deliveries (and ignore any signature they cannot check).
fn authenticate<'a>(
    scope: &[&'a InstanceConfig],
    signature: Option<&str>,
    body: &[u8],
) -> Result<Vec<&'a InstanceConfig>, SignatureProblem> {
    let mut problem = SignatureProblem::Missing;
    if let Some(header) = signature {
        match SignatureHeader::parse(header) {
            Ok(sig) => {
                // Every secret is tried (each comparison is constant-time).
                let verified: Vec<_> = scope
                    .iter()
                    .copied()
                    .filter(|i| {
                        i.effective_secret().is_some_and(|s| sig.verifies(s.expose(), body))
                    })
                    .collect();
                if !verified.is_empty() {
                    return Ok(verified);
                }
                problem = SignatureProblem::Mismatch;
            }
            Err(p) => problem = p,
        }
    }
    let unsigned: Vec<_> =
        scope.iter().copied().filter(|i| i.effective_secret().is_none()).collect();
    if unsigned.is_empty() {
        Err(problem)
    } else {
        Ok(unsigned)
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

// ---------------------------------------------------------------------------------------------
// Post-receive plugin

#[derive(Debug, serde::Deserialize)]
struct PluginQuery {
    token: Option<String>,
}

async fn plugin(
    State(state): State<HookState>,
    Path((bitbucket_host, project, repo)): Path<(String, String, String)>,
    query: Result<Query<PluginQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Reply {
    if let Some(reply) = unsupported_sender(&headers) {
        return reply;
    }
    let token = match query {
        Ok(Query(PluginQuery { token: Some(t) })) if !t.is_empty() => t,
        Ok(_) => {
            return Reply::error(
                StatusCode::UNAUTHORIZED,
                "missing ?token= on the Web Post Hooks URL",
            )
        }
        Err(_) => return Reply::error(StatusCode::BAD_REQUEST, "the query string is malformed"),
    };
    let config = state.config();
    // Every instance for this host is checked, each in constant time.
    let candidates: Vec<&InstanceConfig> = config
        .instances
        .iter()
        .filter(|i| {
            i.bitbucket_host.as_deref().is_none_or(|h| h.eq_ignore_ascii_case(&bitbucket_host))
        })
        .filter(|i| {
            i.plugin_token
                .as_ref()
                .is_some_and(|t| !t.is_empty() && token_matches(token.as_bytes(), t.expose()))
        })
        .collect();
    if candidates.is_empty() {
        tracing::warn!(bitbucket_host, "post-receive delivery with an unknown token");
        return Reply::error(
            StatusCode::UNAUTHORIZED,
            "the token is not valid for this Bitbucket host",
        );
    }
    let body = match body_or_reply(body, config.max_body_bytes) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let event = match normalize_post_receive(&body) {
        Ok(e) => e,
        Err(err) => return payload_error(None, body.len(), &err),
    };
    if !event.project_key.eq_ignore_ascii_case(&project) || event.repo_slug != repo {
        // The URL was written when the hook was set up; a later rename or move makes it stale
        // but the payload's repository (keyed by id) is authoritative.
        tracing::debug!(
            url_project = project,
            url_repo = repo,
            repository_id = event.repository_id,
            "post-receive URL names another repository than the payload"
        );
    }
    let delivery_id = body_digest(&body);
    record(
        &state,
        &candidates,
        EventKind::PostReceive,
        delivery_id,
        body,
        Some(HookEvent::Push(event)),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Recording

async fn record(
    state: &HookState,
    candidates: &[&InstanceConfig],
    kind: EventKind,
    delivery_id: String,
    body: Bytes,
    event: Option<HookEvent>,
) -> Reply {
    let repos = &state.shared.repos;
    // Several instances may share a secret (identical overrides): prefer the one that monitors
    // the repository.
    let lookups: Vec<(&InstanceId, Option<RepoLookup>)> = candidates
        .iter()
        .map(|i| (&i.id, event.as_ref().map(|e| repos.lookup(&i.id, e))))
        .collect();
    let Some((instance, lookup)) = lookups
        .iter()
        .find(|(_, l)| matches!(l, Some(RepoLookup::Known)))
        .or_else(|| lookups.first())
        .cloned()
    else {
        return Reply::error(StatusCode::INTERNAL_SERVER_ERROR, "no instance matched");
    };
    let (disposition, status) = match (&kind, lookup) {
        (EventKind::Unsubscribed(key), _) => (
            Disposition::Ignored {
                reason: format!("event {key} is not one depwatch subscribes to"),
            },
            StatusCode::OK,
        ),
        (_, Some(RepoLookup::Unknown { reason })) => {
            (Disposition::Ignored { reason }, StatusCode::ACCEPTED)
        }
        _ => (Disposition::Pending, StatusCode::OK),
    };
    let body_len = body.len();
    let entry = InboxEntry {
        instance: instance.clone(),
        kind: kind.clone(),
        delivery_id: delivery_id.clone(),
        received_at: chrono::Utc::now(),
        body,
        event,
        disposition: disposition.clone(),
    };
    let inbox = Arc::clone(&state.shared.inbox);
    // The inbox commits synchronously (SQLite); keep it off the async workers.
    let outcome = match tokio::task::spawn_blocking(move || inbox.accept(entry)).await {
        Ok(result) => result,
        Err(join) => {
            tracing::error!(error = %join, "inbox task did not complete");
            return Reply::error(StatusCode::SERVICE_UNAVAILABLE, "the inbox is unavailable");
        }
    };
    match outcome {
        Ok(AcceptOutcome::New) => {
            tracing::debug!(
                instance = %instance,
                event = kind.as_str(),
                delivery = delivery_id,
                body_len,
                "webhook delivery recorded"
            );
            match disposition {
                Disposition::Pending => Reply::new(status, "accepted").delivery(&delivery_id),
                Disposition::Ignored { reason } => {
                    Reply::new(status, "ignored").message(reason).delivery(&delivery_id)
                }
            }
        }
        Ok(AcceptOutcome::Duplicate) => {
            tracing::debug!(instance = %instance, delivery = delivery_id, "duplicate delivery");
            Reply::new(StatusCode::OK, "duplicate").delivery(&delivery_id)
        }
        Err(err) => {
            tracing::error!(instance = %instance, delivery = delivery_id, error = %err, "inbox refused a delivery");
            Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "depwatch could not store the delivery; it will catch up by polling",
            )
        }
    }
}
