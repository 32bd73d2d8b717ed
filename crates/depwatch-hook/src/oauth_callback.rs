//! The OAuth 1.0a loopback callback: `GET /oauth/callback/{nonce}?oauth_token=…&oauth_verifier=…`.
//!
//! Bitbucket never connects to depwatch: the user's browser follows the redirect after Allow or
//! Deny. Each authorization attempt registers a random nonce ([`OAuthCallbacks::register`]) that
//! goes in the callback *path* (whether Bitbucket appends its parameters correctly to a callback
//! that already has a query is undocumented). A callback is accepted only for a registered nonce
//! and only when its `oauth_token` is the attempt's request token, so a stale tab or a foreign page
//! cannot complete an attempt. The route is served on the app's main listener ([`crate::router`])
//! and by a one-shot [`LoopbackCallbackServer`] for the CLI.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use depwatch_bitbucket::Secret;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::oneshot;

/// The route prefix; the nonce is the last path segment.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// Longest query string accepted on a callback (Bitbucket sends two short parameters).
const MAX_QUERY_VALUE: usize = 512;

/// What the browser brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The user pressed Allow: exchange this verifier for the access token.
    Approved { verifier: Secret },
    /// The user pressed Deny (`oauth_verifier=denied`) or the server reported an
    /// `oauth_problem` instead of a verifier.
    Denied { problem: Option<String> },
}

struct Waiting {
    /// Set once the request token is known; a callback with another token is refused.
    expected_token: Option<Secret>,
    sender: oneshot::Sender<CallbackOutcome>,
}

/// The attempts waiting for their browser callback. Cheap to clone; share one between the
/// listener that serves the route and the code that starts attempts.
#[derive(Clone, Default)]
pub struct OAuthCallbacks {
    waiting: Arc<Mutex<HashMap<String, Waiting>>>,
}

impl std::fmt::Debug for OAuthCallbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthCallbacks").field("waiting", &self.lock().len()).finish()
    }
}

/// Why a nonce could not be generated.
#[derive(Debug, thiserror::Error)]
#[error("cannot generate a random callback nonce: {0}")]
pub struct NonceError(String);

impl OAuthCallbacks {
    /// An empty registry.
    pub fn new() -> OAuthCallbacks {
        OAuthCallbacks::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Waiting>> {
        // A panic while holding this lock cannot leave the map inconsistent (plain inserts and
        // removes), so a poisoned lock is still usable.
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new attempt under a fresh 128-bit random nonce. Dropping the ticket
    /// unregisters it.
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn register(&self) -> Result<CallbackTicket, NonceError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| NonceError(e.to_string()))?;
        let nonce = hex::encode(bytes);
        let (sender, receiver) = oneshot::channel();
        self.lock().insert(nonce.clone(), Waiting { expected_token: None, sender });
        Ok(CallbackTicket { nonce, receiver, callbacks: self.clone() })
    }

    /// How many attempts are waiting.
    pub fn waiting(&self) -> usize {
        self.lock().len()
    }

    fn deliver(&self, nonce: &str, params: &CallbackParams) -> Delivered {
        let mut waiting = self.lock();
        let Some(entry) = waiting.get(nonce) else {
            return Delivered::UnknownNonce;
        };
        let token = params.oauth_token.as_deref().unwrap_or_default();
        match &entry.expected_token {
            Some(expected) if !constant_time_eq(expected.expose(), token) => {
                return Delivered::WrongToken
            }
            // The request-token call has not returned yet: nothing can be checked.
            None => return Delivered::WrongToken,
            Some(_) => {}
        }
        let outcome = match (&params.oauth_verifier, &params.oauth_problem) {
            (_, Some(problem)) => CallbackOutcome::Denied { problem: Some(problem.clone()) },
            (Some(v), None) if v == "denied" => CallbackOutcome::Denied { problem: None },
            (Some(v), None) if !v.is_empty() => {
                CallbackOutcome::Approved { verifier: Secret::new(v.as_str()) }
            }
            _ => return Delivered::NoVerifier,
        };
        let Some(entry) = waiting.remove(nonce) else {
            return Delivered::UnknownNonce;
        };
        let denied = matches!(outcome, CallbackOutcome::Denied { .. });
        match entry.sender.send(outcome) {
            Ok(()) if denied => Delivered::Denied,
            Ok(()) => Delivered::Approved,
            Err(_) => Delivered::NobodyWaiting,
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One attempt's registration: its nonce and the channel its callback arrives on.
#[derive(Debug)]
pub struct CallbackTicket {
    nonce: String,
    receiver: oneshot::Receiver<CallbackOutcome>,
    callbacks: OAuthCallbacks,
}

/// The attempt ended before a callback arrived (the ticket's registration is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the OAuth callback registration was dropped before the browser came back")]
pub struct CallbackClosed;

impl CallbackTicket {
    /// The per-attempt nonce (the last path segment of the callback URL).
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The callback URL under `origin` (`http://127.0.0.1:PORT`, no trailing slash).
    pub fn callback_url(&self, origin: &str) -> String {
        format!("{}{CALLBACK_PATH}/{}", origin.trim_end_matches('/'), self.nonce)
    }

    /// Sets the request token a callback must carry (known only after the request-token call,
    /// which itself needs the callback URL).
    pub fn expect_token(&self, token: &Secret) {
        if let Some(entry) = self.callbacks.lock().get_mut(&self.nonce) {
            entry.expected_token = Some(token.clone());
        }
    }

    /// Waits for the browser's callback.
    ///
    /// # Errors
    /// [`CallbackClosed`] when the registration was removed without a callback.
    pub async fn received(&mut self) -> Result<CallbackOutcome, CallbackClosed> {
        (&mut self.receiver).await.map_err(|_| CallbackClosed)
    }
}

impl Drop for CallbackTicket {
    fn drop(&mut self) {
        self.callbacks.lock().remove(&self.nonce);
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct CallbackParams {
    oauth_token: Option<String>,
    oauth_verifier: Option<String>,
    oauth_problem: Option<String>,
}

enum Delivered {
    Approved,
    Denied,
    UnknownNonce,
    WrongToken,
    NoVerifier,
    NobodyWaiting,
}

/// The callback route alone, for merging into a router or serving on its own.
pub fn callback_router(callbacks: OAuthCallbacks) -> Router {
    Router::new().route(&format!("{CALLBACK_PATH}/{{nonce}}"), get(callback)).with_state(callbacks)
}

async fn callback(
    State(callbacks): State<OAuthCallbacks>,
    Path(nonce): Path<String>,
    query: Result<Query<CallbackParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let params =
        match query {
            Ok(Query(p)) => p,
            Err(_) => return page(
                StatusCode::BAD_REQUEST,
                "Not an authorization callback",
                "The address is not a Bitbucket authorization callback. Start the authorization \
                 again from depwatch.",
            ),
        };
    let too_long = [&params.oauth_token, &params.oauth_verifier, &params.oauth_problem]
        .iter()
        .any(|v| v.as_ref().is_some_and(|s| s.len() > MAX_QUERY_VALUE));
    if too_long || nonce.len() > 64 {
        return page(
            StatusCode::BAD_REQUEST,
            "Not an authorization callback",
            "The callback is too long.",
        );
    }
    match callbacks.deliver(&nonce, &params) {
        Delivered::Approved => {
            tracing::info!("OAuth callback received: access allowed");
            page(
                StatusCode::OK,
                "depwatch is authorized",
                "Bitbucket sent the authorization to depwatch. You can close this tab.",
            )
        }
        Delivered::Denied => {
            tracing::info!("OAuth callback received: access denied");
            page(
                StatusCode::OK,
                "Access denied",
                "You denied depwatch access to Bitbucket; depwatch stopped the authorization. \
                 You can close this tab.",
            )
        }
        Delivered::UnknownNonce | Delivered::NobodyWaiting => {
            tracing::warn!("OAuth callback for an attempt that is not waiting (stale or foreign)");
            page(
                StatusCode::NOT_FOUND,
                "Authorization not expected",
                "depwatch is not waiting for this authorization: it expired, was cancelled or \
                 already finished. Start it again from depwatch.",
            )
        }
        Delivered::WrongToken => {
            tracing::warn!(
                "OAuth callback refused: its oauth_token is not the attempt's request token"
            );
            page(
                StatusCode::BAD_REQUEST,
                "Authorization refused",
                "This callback does not belong to the authorization depwatch started. Start it \
                 again from depwatch.",
            )
        }
        Delivered::NoVerifier => page(
            StatusCode::BAD_REQUEST,
            "Authorization incomplete",
            "Bitbucket sent no verification code (oauth_verifier). Paste the code into depwatch \
             if Bitbucket showed one, or start again.",
        ),
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} - depwatch</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}}</style>\
         </head>\n<body><h1>{t}</h1>\n<p>{m}</p></body></html>\n",
        t = escape_html(title),
        m = escape_html(message)
    );
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The URL carries the verifier: never send it on as a Referer.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

/// How long a callback request may take end to end.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A one-shot loopback listener for the CLI: binds `127.0.0.1:0`, serves only the callback
/// route, and stops when dropped (or with [`LoopbackCallbackServer::shutdown`]).
#[derive(Debug)]
pub struct LoopbackCallbackServer {
    addr: SocketAddr,
    callbacks: OAuthCallbacks,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl LoopbackCallbackServer {
    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    ///
    /// # Errors
    /// When the loopback port cannot be bound.
    pub async fn bind() -> std::io::Result<LoopbackCallbackServer> {
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let callbacks = OAuthCallbacks::new();
        let app = callback_router(callbacks.clone()).layer(
            tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "OAuth callback listener failed");
            }
        });
        tracing::debug!(%addr, "OAuth callback listener started");
        Ok(LoopbackCallbackServer { addr, callbacks, stop: Some(stop), task: Some(task) })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The registry its route delivers to.
    pub fn callbacks(&self) -> &OAuthCallbacks {
        &self.callbacks
    }

    /// Stops accepting and waits (briefly) for the answer page to be sent.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                tracing::debug!("OAuth callback listener did not stop in time");
            }
        }
    }
}

impl Drop for LoopbackCallbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(token: &str, verifier: Option<&str>, problem: Option<&str>) -> CallbackParams {
        CallbackParams {
            oauth_token: Some(token.to_owned()),
            oauth_verifier: verifier.map(str::to_owned),
            oauth_problem: problem.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn only_the_registered_nonce_with_its_token_completes_an_attempt() {
        let callbacks = OAuthCallbacks::new();
        let mut ticket = callbacks.register().unwrap();
        assert_eq!(ticket.nonce().len(), 32);
        let nonce = ticket.nonce().to_owned();
        // Before the request token is known nothing is accepted.
        assert!(matches!(
            callbacks.deliver(&nonce, &params("R", Some("abc123"), None)),
            Delivered::WrongToken
        ));
        ticket.expect_token(&Secret::new("R"));
        assert!(matches!(
            callbacks.deliver("0000", &params("R", Some("abc123"), None)),
            Delivered::UnknownNonce
        ));
        assert!(matches!(
            callbacks.deliver(&nonce, &params("other", Some("abc123"), None)),
            Delivered::WrongToken
        ));
        assert!(matches!(
            callbacks.deliver(&nonce, &params("R", None, None)),
            Delivered::NoVerifier
        ));
        assert!(matches!(
            callbacks.deliver(&nonce, &params("R", Some("abc123"), None)),
            Delivered::Approved
        ));
        assert_eq!(
            ticket.received().await.unwrap(),
            CallbackOutcome::Approved { verifier: Secret::new("abc123") }
        );
        // Used once: a replay is unknown.
        assert!(matches!(
            callbacks.deliver(&nonce, &params("R", Some("abc123"), None)),
            Delivered::UnknownNonce
        ));
        assert_eq!(
            ticket.callback_url("http://127.0.0.1:5000/"),
            format!("http://127.0.0.1:5000/oauth/callback/{nonce}")
        );
    }

    #[tokio::test]
    async fn denied_and_problems_are_delivered_as_denials_and_drop_unregisters() {
        let callbacks = OAuthCallbacks::new();
        let mut ticket = callbacks.register().unwrap();
        ticket.expect_token(&Secret::new("R"));
        let nonce = ticket.nonce().to_owned();
        assert!(matches!(
            callbacks.deliver(&nonce, &params("R", Some("denied"), None)),
            Delivered::Denied
        ));
        assert_eq!(ticket.received().await.unwrap(), CallbackOutcome::Denied { problem: None });

        let mut ticket = callbacks.register().unwrap();
        ticket.expect_token(&Secret::new("R2"));
        let nonce = ticket.nonce().to_owned();
        callbacks.deliver(&nonce, &params("R2", None, Some("permission_denied")));
        assert_eq!(
            ticket.received().await.unwrap(),
            CallbackOutcome::Denied { problem: Some("permission_denied".into()) }
        );
        let ticket = callbacks.register().unwrap();
        assert_eq!(callbacks.waiting(), 1);
        drop(ticket);
        assert_eq!(callbacks.waiting(), 0);
    }
}
