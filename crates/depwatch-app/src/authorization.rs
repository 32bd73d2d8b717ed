//! The OAuth 1.0a authorization flow as a Tauri-free state machine that both shells drive:
//! `idle → waiting → authorized | failed | expired`, with `cancel` back to idle.
//!
//! * [`App::oauth_setup`] creates (or reuses) an OAuth instance and its RSA key pair and returns
//!   what the admin pastes into Bitbucket's Incoming Authentication.
//! * [`Authorization::start`] gets a request token whose callback is the loopback listener
//!   (`http://127.0.0.1:PORT/oauth/callback/{nonce}`: a one-shot server, or the app's main
//!   listener) or `oob`, and opens the browser through a callback the caller provides.
//! * [`Authorization::wait`] waits for the browser callback (or the 10-minute expiry, or a
//!   cancel) and exchanges the verifier; [`Authorization::submit_verifier`] is the paste fallback.
//! * [`Authorization::subscribe`] streams every status change (the desktop forwards them as the
//!   `oauth-status` event).

use crate::instance::{now_ms, ConnectionReport, InstanceError};
use crate::App;
use depwatch_bitbucket::{RequestToken, REQUEST_TOKEN_TTL};
use depwatch_hook::{CallbackOutcome, CallbackTicket, LoopbackCallbackServer, OAuthCallbacks};
use depwatch_store::{AuthKind, InstanceRecord};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{watch, Notify};

/// Opens a URL in the user's browser (the shell's way: `open`, tauri-plugin-opener, …).
pub type BrowserOpener<'a> = dyn Fn(&str) -> Result<(), String> + Sync + 'a;

/// Consumer name suggested for the Application Link.
pub const CONSUMER_NAME: &str = "depwatch";

/// Where the flow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorizationState {
    /// Nothing in progress.
    Idle,
    /// A request token is out; waiting for the browser callback or a pasted verifier.
    Waiting,
    /// The access token is stored.
    Authorized,
    /// Denied, refused by Bitbucket, or the exchange failed.
    Failed,
    /// The request token's ten minutes passed without an answer.
    Expired,
}

/// Why an attempt failed, for the UI to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The user pressed Deny (or Bitbucket reported `permission_denied`/`user_refused`).
    Denied,
    /// Bitbucket refused the OAuth request (signature, consumer key, token, …).
    Refused,
    /// Bitbucket could not be reached.
    Unreachable,
    /// Anything else (secret store, local listener, …).
    Other,
}

/// A failure with words a person can act on (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationFailure {
    pub kind: FailureKind,
    pub message: String,
}

/// The status the UI shows (`oauth_status` / the `oauth-status` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationStatus {
    pub state: AuthorizationState,
    /// The instance of the current or last attempt.
    pub instance: Option<String>,
    /// Set when `state` is `failed` or `expired`.
    pub failure: Option<AuthorizationFailure>,
    /// After `authorized`: the connection test that followed.
    pub report: Option<ConnectionReport>,
}

impl AuthorizationStatus {
    fn idle() -> AuthorizationStatus {
        AuthorizationStatus {
            state: AuthorizationState::Idle,
            instance: None,
            failure: None,
            report: None,
        }
    }
}

/// Where the browser's callback goes.
#[derive(Debug, Clone)]
pub enum CallbackEndpoint {
    /// A one-shot listener on `127.0.0.1:0` for this attempt (the CLI; the desktop when its
    /// main listener is not running).
    OneShot,
    /// The app's main listener, which serves `/oauth/callback/{nonce}` for `callbacks`;
    /// `origin` is how the browser reaches it (`http://127.0.0.1:28123`).
    Listener { callbacks: OAuthCallbacks, origin: String },
    /// `oauth_callback=oob`: Bitbucket shows the verifier and the user pastes it.
    OutOfBand,
}

/// What [`Authorization::start`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedAuthorization {
    pub instance: String,
    /// Open this in a browser, log in, press Allow.
    pub authorize_url: String,
    /// `oob`: the verifier must be pasted.
    pub out_of_band: bool,
    /// The loopback callback URL (with its nonce), when not out of band.
    pub callback_url: Option<String>,
    /// When the request token expires (Unix ms; Bitbucket: 10 minutes).
    pub expires_at_ms: i64,
    /// Why the browser could not be opened, when the caller asked to open it and it failed.
    pub browser_error: Option<String>,
}

/// What `oauth_begin` shows for pasting into Bitbucket's Incoming Authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthSetup {
    pub instance: String,
    pub instance_url: String,
    pub consumer_key: String,
    pub consumer_name: String,
    pub public_key_pem: String,
    /// Where the private key is kept, in words.
    pub secret_store: String,
}

/// Why a step of the flow could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizationError {
    #[error("no OAuth authorization is in progress; start one first")]
    NotStarted,
    #[error("the OAuth authorization expired (the request token lives ten minutes); start again")]
    Expired,
    #[error("access was denied on the Bitbucket authorization page{}", problem.as_ref().map(|p| format!(" (oauth_problem={p})")).unwrap_or_default())]
    Denied { problem: Option<String> },
    #[error("cannot listen for the OAuth callback on 127.0.0.1: {0}")]
    Listen(#[source] std::io::Error),
    #[error("{0}")]
    Nonce(String),
    #[error(transparent)]
    Instance(#[from] InstanceError),
}

impl AuthorizationError {
    fn failure(&self) -> AuthorizationFailure {
        let kind = match self {
            AuthorizationError::Denied { .. } => FailureKind::Denied,
            AuthorizationError::Instance(InstanceError::Bitbucket { source, .. }) => {
                match source.as_ref() {
                    depwatch_bitbucket::Error::OAuthDenied => FailureKind::Denied,
                    depwatch_bitbucket::Error::Auth { .. } => FailureKind::Refused,
                    depwatch_bitbucket::Error::Connect { .. }
                    | depwatch_bitbucket::Error::WrongContextPath { .. } => {
                        FailureKind::Unreachable
                    }
                    _ => FailureKind::Other,
                }
            }
            _ => FailureKind::Other,
        };
        AuthorizationFailure { kind, message: self.to_string() }
    }
}

struct Attempt {
    id: u64,
    instance: String,
    request_token: RequestToken,
    deadline: tokio::time::Instant,
    /// Taken by the one waiter.
    ticket: Option<CallbackTicket>,
    /// Kept alive for the attempt; dropping it stops the one-shot listener.
    server: Option<LoopbackCallbackServer>,
}

struct Shared {
    attempt: Mutex<Option<Attempt>>,
    next_id: std::sync::atomic::AtomicU64,
    status: watch::Sender<AuthorizationStatus>,
    /// Wakes the waiter when the attempt ends elsewhere (cancel, pasted verifier, new start).
    ended: Notify,
    /// How long a request token lives.
    request_token_ttl: std::time::Duration,
}

/// The OAuth flow of one shell (one attempt at a time). Cheap to clone.
#[derive(Clone)]
pub struct Authorization {
    shared: Arc<Shared>,
}

impl Default for Authorization {
    fn default() -> Self {
        Authorization::new()
    }
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization").field("status", &self.status().state).finish()
    }
}

impl Authorization {
    /// An idle flow for Bitbucket's default ten-minute request tokens.
    pub fn new() -> Authorization {
        Authorization::with_request_token_ttl(REQUEST_TOKEN_TTL)
    }

    /// An idle flow for a server whose admin changed `atlassian.oauth.default.request.token.ttl`
    /// (a lifetime above ten minutes is capped there: the client refuses older tokens).
    pub fn with_request_token_ttl(ttl: std::time::Duration) -> Authorization {
        let (status, _) = watch::channel(AuthorizationStatus::idle());
        Authorization {
            shared: Arc::new(Shared {
                attempt: Mutex::new(None),
                next_id: std::sync::atomic::AtomicU64::new(1),
                status,
                ended: Notify::new(),
                request_token_ttl: ttl.min(REQUEST_TOKEN_TTL),
            }),
        }
    }

    fn attempt(&self) -> MutexGuard<'_, Option<Attempt>> {
        // Plain field updates under the lock: a poisoned lock holds consistent data.
        self.shared.attempt.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current status.
    pub fn status(&self) -> AuthorizationStatus {
        self.shared.status.borrow().clone()
    }

    /// Every status change from now on.
    pub fn subscribe(&self) -> watch::Receiver<AuthorizationStatus> {
        self.shared.status.subscribe()
    }

    fn publish(&self, status: AuthorizationStatus) {
        tracing::debug!(state = ?status.state, "OAuth authorization status");
        self.shared.status.send_replace(status);
    }

    /// Starts an attempt for `instance` (the only one when `None`), replacing any attempt in
    /// progress. With `open_browser`, calls it with the authorize URL; its error is reported in
    /// [`StartedAuthorization::browser_error`] (the user can open the URL by hand).
    pub async fn start(
        &self,
        app: &App,
        instance: Option<&str>,
        endpoint: CallbackEndpoint,
        open_browser: Option<&BrowserOpener<'_>>,
    ) -> Result<StartedAuthorization, AuthorizationError> {
        self.cancel();
        let record = app.resolve_instance(instance)?;
        let (ticket, server, callback_url) = match &endpoint {
            CallbackEndpoint::OutOfBand => (None, None, None),
            CallbackEndpoint::OneShot => {
                let server =
                    LoopbackCallbackServer::bind().await.map_err(AuthorizationError::Listen)?;
                let ticket = server
                    .callbacks()
                    .register()
                    .map_err(|e| AuthorizationError::Nonce(e.to_string()))?;
                let url = ticket.callback_url(&server.origin());
                (Some(ticket), Some(server), Some(url))
            }
            CallbackEndpoint::Listener { callbacks, origin } => {
                let ticket =
                    callbacks.register().map_err(|e| AuthorizationError::Nonce(e.to_string()))?;
                let url = ticket.callback_url(origin);
                (Some(ticket), None, Some(url))
            }
        };
        let pending = app
            .request_authorization(Some(&record.name), callback_url.as_deref().unwrap_or("oob"))
            .await?;
        if let Some(ticket) = &ticket {
            ticket.expect_token(pending.request_token.token());
        }
        let id = self.shared.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let remaining = self.shared.request_token_ttl.saturating_sub(pending.request_token.age());
        let expires_at_ms =
            now_ms().saturating_add(i64::try_from(remaining.as_millis()).unwrap_or(0));
        let started = StartedAuthorization {
            instance: record.name.clone(),
            authorize_url: pending.authorize_url.clone(),
            out_of_band: callback_url.is_none(),
            callback_url,
            expires_at_ms,
            browser_error: None,
        };
        *self.attempt() = Some(Attempt {
            id,
            instance: record.name.clone(),
            request_token: pending.request_token,
            deadline: tokio::time::Instant::now() + remaining,
            ticket,
            server,
        });
        self.publish(AuthorizationStatus {
            state: AuthorizationState::Waiting,
            instance: Some(record.name.clone()),
            failure: None,
            report: None,
        });
        tracing::info!(instance = %record.name, out_of_band = started.out_of_band, "OAuth authorization started");
        let browser_error = open_browser.and_then(|open| open(&started.authorize_url).err());
        if let Some(e) = &browser_error {
            tracing::warn!(error = %e, "cannot open the browser; the user opens the URL by hand");
        }
        Ok(StartedAuthorization { browser_error, ..started })
    }

    /// Waits until the current attempt ends: the browser callback arrives (the verifier is then
    /// exchanged and stored), the request token expires, or the attempt is cancelled or
    /// completed by a pasted verifier. Returns the final status. Without an attempt, returns the
    /// current status at once.
    pub async fn wait(&self, app: &App) -> AuthorizationStatus {
        let (id, ticket, deadline) = {
            let mut guard = self.attempt();
            match guard.as_mut() {
                Some(a) => (a.id, a.ticket.take(), a.deadline),
                None => return self.status(),
            }
        };
        let ended = self.shared.ended.notified();
        tokio::pin!(ended);
        ended.as_mut().enable();
        if !self.is_current(id) {
            return self.status();
        }
        let outcome = match ticket {
            Some(mut ticket) => tokio::select! {
                received = ticket.received() => Some(received),
                () = tokio::time::sleep_until(deadline) => None,
                () = &mut ended => return self.status(),
            },
            None => tokio::select! {
                () = tokio::time::sleep_until(deadline) => None,
                () = &mut ended => return self.status(),
            },
        };
        let Some(attempt) = self.take_if_current(id) else {
            return self.status();
        };
        let instance = attempt.instance.clone();
        let result = match outcome {
            None => Err(AuthorizationError::Expired),
            Some(Err(_closed)) => Err(AuthorizationError::NotStarted),
            Some(Ok(CallbackOutcome::Denied { problem })) => {
                Err(AuthorizationError::Denied { problem })
            }
            Some(Ok(CallbackOutcome::Approved { verifier })) => app
                .exchange_verifier(&instance, &attempt.request_token, verifier.expose())
                .await
                .map_err(AuthorizationError::from),
        };
        if let Some(server) = attempt.server {
            // Let the "you can close this tab" page go out before the listener stops.
            server.shutdown().await;
        }
        self.finish(
            &instance,
            result.as_ref().map(Clone::clone).map_err(AuthorizationError::failure_of),
        );
        self.status()
    }

    /// The paste fallback: exchanges `verifier` for the current attempt (loopback or `oob`).
    pub async fn submit_verifier(
        &self,
        app: &App,
        verifier: &str,
    ) -> Result<ConnectionReport, AuthorizationError> {
        let verifier = verifier.trim();
        if verifier.is_empty() {
            return Err(AuthorizationError::Instance(InstanceError::Invalid(
                "the verification code is empty; paste the code Bitbucket showed after Allow"
                    .to_owned(),
            )));
        }
        let attempt = {
            let mut guard = self.attempt();
            guard.take().ok_or(AuthorizationError::NotStarted)?
        };
        self.shared.ended.notify_waiters();
        let instance = attempt.instance.clone();
        let result = if tokio::time::Instant::now() >= attempt.deadline {
            Err(AuthorizationError::Expired)
        } else if verifier == "denied" {
            Err(AuthorizationError::Denied { problem: None })
        } else {
            app.exchange_verifier(&instance, &attempt.request_token, verifier)
                .await
                .map_err(AuthorizationError::from)
        };
        drop(attempt);
        self.finish(
            &instance,
            result.as_ref().map(Clone::clone).map_err(AuthorizationError::failure_of),
        );
        result
    }

    /// Abandons the attempt in progress (its callback is then refused) and goes back to idle.
    pub fn cancel(&self) {
        let had = self.attempt().take().is_some();
        if had {
            tracing::info!("OAuth authorization cancelled");
            self.shared.ended.notify_waiters();
            self.publish(AuthorizationStatus::idle());
        }
    }

    fn is_current(&self, id: u64) -> bool {
        self.attempt().as_ref().is_some_and(|a| a.id == id)
    }

    fn take_if_current(&self, id: u64) -> Option<Attempt> {
        let mut guard = self.attempt();
        if guard.as_ref().is_some_and(|a| a.id == id) {
            guard.take()
        } else {
            None
        }
    }

    fn finish(
        &self,
        instance: &str,
        result: Result<ConnectionReport, (AuthorizationState, AuthorizationFailure)>,
    ) {
        let status = match result {
            Ok(report) => AuthorizationStatus {
                state: AuthorizationState::Authorized,
                instance: Some(instance.to_owned()),
                failure: None,
                report: Some(report),
            },
            Err((state, failure)) => {
                tracing::warn!(%instance, reason = %failure.message, "OAuth authorization did not complete");
                AuthorizationStatus {
                    state,
                    instance: Some(instance.to_owned()),
                    failure: Some(failure),
                    report: None,
                }
            }
        };
        self.publish(status);
    }
}

impl AuthorizationError {
    fn failure_of(&self) -> (AuthorizationState, AuthorizationFailure) {
        let expired = match self {
            AuthorizationError::Expired => true,
            AuthorizationError::Instance(InstanceError::Bitbucket { source, .. }) => {
                match source.as_ref() {
                    depwatch_bitbucket::Error::RequestTokenExpired { .. } => true,
                    // The server's side of the same: the request token outlived its TTL.
                    depwatch_bitbucket::Error::Auth {
                        reason: depwatch_bitbucket::AuthReason::OAuth(p),
                        ..
                    } => p.problem == "token_expired",
                    _ => false,
                }
            }
            _ => false,
        };
        let state = if expired { AuthorizationState::Expired } else { AuthorizationState::Failed };
        (state, self.failure())
    }
}

fn random_consumer_key() -> Result<String, AuthorizationError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes)
        .map_err(|e| AuthorizationError::Nonce(format!("cannot generate a consumer key: {e}")))?;
    Ok(format!("depwatch-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

impl App {
    /// Creates an OAuth instance for `instance_url` with a fresh RSA 2048 key pair and a
    /// generated consumer key, or reuses the OAuth instance already configured for that URL
    /// (same key pair: the Application Link keeps working). Returns what the admin pastes
    /// into Bitbucket's Incoming Authentication.
    pub fn oauth_setup(
        &self,
        instance_url: &str,
        ca_path: Option<PathBuf>,
    ) -> Result<OAuthSetup, AuthorizationError> {
        let url = depwatch_bitbucket::config::parse_base_url(instance_url).map_err(|source| {
            InstanceError::Bitbucket { instance: instance_url.to_owned(), source: Box::new(source) }
        })?;
        let base = url.as_str().trim_end_matches('/').to_owned();
        let existing = self.instances()?.into_iter().find(|i| i.base_url == base);
        let record: InstanceRecord = match existing {
            Some(i) if i.auth_kind == AuthKind::OAuth && i.consumer_key.is_some() => i,
            // Switching an instance from a token to OAuth keeps its data and any key pair it
            // had (an Application Link made earlier keeps working).
            Some(i) => {
                self.ensure_oauth_key(&i)?;
                let consumer_key = match &i.consumer_key {
                    Some(k) => k.clone(),
                    None => random_consumer_key()?,
                };
                let ca = ca_path.as_ref().map(|p| p.display().to_string()).or(i.ca_path.clone());
                self.store()
                    .instance_set_auth(
                        i.id,
                        AuthKind::OAuth,
                        None,
                        Some(&consumer_key),
                        ca.as_deref(),
                    )
                    .map_err(InstanceError::from)?;
                self.store()
                    .instance_set_status(
                        i.id,
                        &depwatch_store::InstanceStatus {
                            state: depwatch_store::InstanceState::AuthorizationPending,
                            last_error: None,
                            server_version: None,
                            user_name: None,
                            checked_at_ms: now_ms(),
                        },
                    )
                    .map_err(InstanceError::from)?;
                tracing::info!(instance = %i.name, "instance switched to OAuth");
                self.resolve_instance(Some(&i.name))?
            }
            None => {
                let name = self.free_instance_name(&base).map_err(|e| {
                    InstanceError::Invalid(format!("cannot name the instance for {base}: {e}"))
                })?;
                let added = self.add_instance(crate::AddInstance {
                    name: Some(name),
                    base_url: base.clone(),
                    auth: crate::InstanceAuth::OAuth { consumer_key: random_consumer_key()? },
                    ca_path,
                    max_requests_per_second: Some(10),
                })?;
                added.instance
            }
        };
        let public_key_pem = self.oauth_public_key(&record)?;
        Ok(OAuthSetup {
            instance: record.name.clone(),
            instance_url: record.base_url.clone(),
            consumer_key: record.consumer_key.clone().unwrap_or_default(),
            consumer_name: CONSUMER_NAME.to_owned(),
            public_key_pem,
            secret_store: self.secret_store().store.kind().to_string(),
        })
    }
}
