//! Bitbucket instances: adding them (secrets go to the OS keychain or the owner-only secrets
//! file, never to the database), building a client for one, testing the connection, and
//! turning authentication failures into the visible auth-error state.

use crate::event::Event;
use crate::App;
use depwatch_bitbucket::secret::{open_secret_store, OpenedSecretStore, SecretStoreError};
use depwatch_bitbucket::{
    AccessToken, Auth, Client, InstanceConfig, OAuthCredentials, OAuthKey, RequestToken, Secret,
    SecretStoreKind,
};
use depwatch_store::{
    AuthKind, InstanceRecord, InstanceState, InstanceStatus, NewInstance, StoreError,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Forces the secrets file instead of the OS keychain (`file`), for headless machines and tests.
pub const SECRET_STORE_ENV: &str = "DEPWATCH_SECRET_STORE";

/// The keychain service name depwatch's secrets are kept under.
const KEYCHAIN_SERVICE: &str = "depwatch";

/// Why an instance operation failed. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Bitbucket instance `{instance}`: {source}")]
    Bitbucket {
        instance: String,
        #[source]
        source: Box<depwatch_bitbucket::Error>,
    },
    #[error("secret store: {0}")]
    Secret(#[from] SecretStoreError),
    #[error("no Bitbucket instance named `{name}`{}", known_list(known))]
    NotFound { name: String, known: Vec<String> },
    #[error("no Bitbucket instance is configured; add one with `depwatch bitbucket add URL`")]
    NoneConfigured,
    #[error("{} Bitbucket instances are configured ({}); choose one with --instance NAME", names.len(), names.join(", "))]
    Ambiguous { names: Vec<String> },
    #[error("cannot read the CA certificate file {path}: {source}")]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the {what} of Bitbucket instance `{instance}` is missing from {store}; remove and add the instance again")]
    MissingSecret { instance: String, what: &'static str, store: String },
    #[error("Bitbucket instance `{instance}` uses OAuth and is not authorized yet; run `depwatch bitbucket authorize --instance {instance}`")]
    NotAuthorized { instance: String },
    #[error("{0}")]
    Invalid(String),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (configured: {})", known.join(", "))
    }
}

/// Credentials for a new instance.
#[derive(Debug, Clone)]
pub enum InstanceAuth {
    /// An HTTP access token sent as `Authorization: Bearer`.
    Token(Secret),
    /// A user name with a password or personal access token (`Authorization: Basic`).
    Basic { username: String, secret: Secret },
    /// OAuth 1.0a: depwatch generates the RSA key pair; the admin registers the public key on an
    /// Application Link with this consumer key.
    OAuth { consumer_key: String },
}

/// What `add_instance` needs.
#[derive(Debug, Clone)]
pub struct AddInstance {
    /// Defaults to the URL's host name.
    pub name: Option<String>,
    /// Base URL including the context path (`https://git.corp/bitbucket`).
    pub base_url: String,
    pub auth: InstanceAuth,
    /// PEM file with extra CA certificates to trust (a private CA).
    pub ca_path: Option<PathBuf>,
    /// Client-side request ceiling; `None` = unlimited.
    pub max_requests_per_second: Option<u32>,
}

/// The outcome of `add_instance`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedInstance {
    pub instance: InstanceRecord,
    /// Where the secrets went, in words ("the OS keychain", "the owner-only file …").
    pub secret_store: String,
    /// OAuth: the public key to paste into the Application Link.
    pub oauth_public_key_pem: Option<String>,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub instance: String,
    pub state: InstanceState,
    pub server_version: Option<String>,
    pub user_name: Option<String>,
    pub error: Option<String>,
}

/// An OAuth authorization in progress (the request token lives ten minutes).
#[derive(Debug)]
pub struct PendingAuthorization {
    pub instance: String,
    /// Open this in a browser, log in, press Allow, copy the verifier.
    pub authorize_url: String,
    pub(crate) request_token: RequestToken,
}

pub(crate) fn account(instance: &str, what: &str) -> String {
    format!("instance/{instance}/{what}")
}

pub(crate) const TOKEN: &str = "token";
pub(crate) const PASSWORD: &str = "password";
pub(crate) const OAUTH_KEY: &str = "oauth-private-key";
pub(crate) const OAUTH_ACCESS: &str = "oauth-access-token";
pub(crate) const OAUTH_SESSION: &str = "oauth-session";

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl App {
    /// The secret store: the OS keychain, or the owner-only file `secrets.json` in the data
    /// directory when no keychain answers or `DEPWATCH_SECRET_STORE=file`.
    pub fn secret_store(&self) -> &OpenedSecretStore {
        self.secrets.get_or_init(|| {
            let file = self.data_dir.path().join("secrets.json");
            if std::env::var(SECRET_STORE_ENV).is_ok_and(|v| v == "file") {
                return OpenedSecretStore {
                    store: Arc::new(depwatch_bitbucket::secret::FileStore::new(file)),
                    keychain_unavailable: Some(format!("{SECRET_STORE_ENV}=file")),
                };
            }
            open_secret_store(KEYCHAIN_SERVICE, file)
        })
    }

    /// Which kind of secret store is in use.
    pub fn secret_store_kind(&self) -> SecretStoreKind {
        self.secret_store().store.kind()
    }

    /// Every configured instance, by name.
    pub fn instances(&self) -> Result<Vec<InstanceRecord>, InstanceError> {
        Ok(self.store.instances()?)
    }

    /// The instance called `name`, or the only one when `name` is `None`.
    pub fn resolve_instance(&self, name: Option<&str>) -> Result<InstanceRecord, InstanceError> {
        if let Some(name) = name {
            return self.store.instance_by_name(name)?.ok_or_else(|| InstanceError::NotFound {
                name: name.to_owned(),
                known: self
                    .store
                    .instances()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|i| i.name)
                    .collect(),
            });
        }
        let mut all = self.store.instances()?;
        match all.len() {
            0 => Err(InstanceError::NoneConfigured),
            1 => Ok(all.remove(0)),
            _ => Err(InstanceError::Ambiguous { names: all.into_iter().map(|i| i.name).collect() }),
        }
    }

    /// Adds an instance: validates the URL and CA file, stores the secrets, then the row.
    /// OAuth instances get a fresh RSA key pair and start in `authorization_pending`.
    pub fn add_instance(&self, request: AddInstance) -> Result<AddedInstance, InstanceError> {
        let url =
            depwatch_bitbucket::config::parse_base_url(&request.base_url).map_err(|source| {
                InstanceError::Bitbucket {
                    instance: request.base_url.clone(),
                    source: Box::new(source),
                }
            })?;
        let name = match &request.name {
            Some(n) => n.trim().to_owned(),
            None => url.host_str().unwrap_or("bitbucket").to_owned(),
        };
        if name.is_empty() || name.len() > 100 || name.chars().any(|c| c.is_control() || c == '/') {
            return Err(InstanceError::Invalid(format!(
                "instance name {name:?} must be 1 to 100 characters without `/`"
            )));
        }
        if self.store.instance_by_name(&name)?.is_some() {
            return Err(StoreError::DuplicateInstance { name }.into());
        }
        let ca_path = match &request.ca_path {
            Some(path) => {
                let pem = std::fs::read_to_string(path)
                    .map_err(|source| InstanceError::CaFile { path: path.clone(), source })?;
                // Let the client validate the PEM now rather than at the first call.
                let mut config =
                    InstanceConfig::new(url.as_str(), Auth::Anonymous).map_err(|source| {
                        InstanceError::Bitbucket {
                            instance: name.clone(),
                            source: Box::new(source),
                        }
                    })?;
                config.custom_ca_pem = Some(pem);
                Client::new(config).map_err(|source| InstanceError::Bitbucket {
                    instance: name.clone(),
                    source: Box::new(source),
                })?;
                Some(path.display().to_string())
            }
            None => None,
        };
        let secrets = self.secret_store();
        let (auth_kind, username, consumer_key, public_pem) = match &request.auth {
            InstanceAuth::Token(token) => {
                secrets.store.set(&account(&name, TOKEN), token)?;
                (AuthKind::Bearer, None, None, None)
            }
            InstanceAuth::Basic { username, secret } => {
                secrets.store.set(&account(&name, PASSWORD), secret)?;
                (AuthKind::Basic, Some(username.clone()), None, None)
            }
            InstanceAuth::OAuth { consumer_key } => {
                let key = OAuthKey::generate().map_err(|source| InstanceError::Bitbucket {
                    instance: name.clone(),
                    source: Box::new(source),
                })?;
                let private = key.private_key_pem().map_err(|source| InstanceError::Bitbucket {
                    instance: name.clone(),
                    source: Box::new(source),
                })?;
                let public = key.public_key_pem().map_err(|source| InstanceError::Bitbucket {
                    instance: name.clone(),
                    source: Box::new(source),
                })?;
                secrets.store.set(&account(&name, OAUTH_KEY), &private)?;
                (AuthKind::OAuth, None, Some(consumer_key.clone()), Some(public))
            }
        };
        let base_url = url.as_str().trim_end_matches('/').to_owned();
        let record = self.store.instance_insert(&NewInstance {
            name: &name,
            base_url: &base_url,
            auth_kind,
            username: username.as_deref(),
            consumer_key: consumer_key.as_deref(),
            ca_path: ca_path.as_deref(),
            max_requests_per_second: request.max_requests_per_second,
            created_at_ms: now_ms(),
        })?;
        if auth_kind == AuthKind::OAuth {
            self.store.instance_set_status(
                record.id,
                &InstanceStatus {
                    state: InstanceState::AuthorizationPending,
                    last_error: None,
                    server_version: None,
                    user_name: None,
                    checked_at_ms: now_ms(),
                },
            )?;
        }
        let instance = self.store.instance(record.id)?.unwrap_or(record);
        tracing::info!(instance = %instance.name, auth = %auth_kind, store = %secrets.store.kind(), "added Bitbucket instance");
        Ok(AddedInstance {
            instance,
            secret_store: secrets.store.kind().to_string(),
            oauth_public_key_pem: public_pem,
        })
    }

    /// Removes an instance, its data and its secrets.
    pub fn remove_instance(&self, name: &str) -> Result<(), InstanceError> {
        let instance = self.resolve_instance(Some(name))?;
        for what in [TOKEN, PASSWORD, OAUTH_KEY, OAUTH_ACCESS, OAUTH_SESSION] {
            self.secret_store().store.delete(&account(&instance.name, what))?;
        }
        self.store.instance_delete(instance.id)?;
        Ok(())
    }

    fn secret(
        &self,
        instance: &InstanceRecord,
        what: &'static str,
    ) -> Result<Secret, InstanceError> {
        let store = &self.secret_store().store;
        store.get(&account(&instance.name, what))?.ok_or_else(|| InstanceError::MissingSecret {
            instance: instance.name.clone(),
            what,
            store: store.kind().to_string(),
        })
    }

    fn config(
        &self,
        instance: &InstanceRecord,
        auth: Auth,
    ) -> Result<InstanceConfig, InstanceError> {
        let fail = |source| InstanceError::Bitbucket {
            instance: instance.name.clone(),
            source: Box::new(source),
        };
        let mut config = InstanceConfig::new(&instance.base_url, auth).map_err(fail)?;
        if let Some(path) = &instance.ca_path {
            let path = PathBuf::from(path);
            config.custom_ca_pem = Some(
                std::fs::read_to_string(&path)
                    .map_err(|source| InstanceError::CaFile { path, source })?,
            );
        }
        config.max_requests_per_second = instance.max_requests_per_second.filter(|n| *n > 0);
        Ok(config)
    }

    fn oauth_credentials(
        &self,
        instance: &InstanceRecord,
        access_token: Option<Secret>,
    ) -> Result<OAuthCredentials, InstanceError> {
        let pem = self.secret(instance, OAUTH_KEY)?;
        let key = OAuthKey::from_pem(pem.expose()).map_err(|source| InstanceError::Bitbucket {
            instance: instance.name.clone(),
            source: Box::new(source),
        })?;
        Ok(OAuthCredentials {
            consumer_key: instance.consumer_key.clone().unwrap_or_default(),
            key: Arc::new(key),
            access_token,
        })
    }

    /// The instance's OAuth key pair: the stored one, or a new RSA 2048 pair stored now.
    pub(crate) fn ensure_oauth_key(
        &self,
        instance: &InstanceRecord,
    ) -> Result<OAuthKey, InstanceError> {
        let fail = |source| InstanceError::Bitbucket {
            instance: instance.name.clone(),
            source: Box::new(source),
        };
        let store = &self.secret_store().store;
        if let Some(pem) = store.get(&account(&instance.name, OAUTH_KEY))? {
            return OAuthKey::from_pem(pem.expose()).map_err(fail);
        }
        let key = OAuthKey::generate().map_err(fail)?;
        store.set(&account(&instance.name, OAUTH_KEY), &key.private_key_pem().map_err(fail)?)?;
        Ok(key)
    }

    /// The public key (PEM) of an OAuth instance's stored key pair, for the Application Link.
    pub fn oauth_public_key(&self, instance: &InstanceRecord) -> Result<String, InstanceError> {
        let credentials = self.oauth_credentials(instance, None)?;
        credentials.key.public_key_pem().map_err(|source| InstanceError::Bitbucket {
            instance: instance.name.clone(),
            source: Box::new(source),
        })
    }

    /// A REST client for an instance, with its stored credentials.
    pub fn client(&self, instance: &InstanceRecord) -> Result<Client, InstanceError> {
        let auth = match instance.auth_kind {
            AuthKind::Bearer => Auth::Bearer(self.secret(instance, TOKEN)?),
            AuthKind::Basic => Auth::Basic {
                username: instance.username.clone().unwrap_or_default(),
                secret: self.secret(instance, PASSWORD)?,
            },
            AuthKind::OAuth => {
                let access = self
                    .secret_store()
                    .store
                    .get(&account(&instance.name, OAUTH_ACCESS))?
                    .ok_or_else(|| InstanceError::NotAuthorized {
                        instance: instance.name.clone(),
                    })?;
                Auth::OAuth1(self.oauth_credentials(instance, Some(access))?)
            }
        };
        let config = self.config(instance, auth)?;
        Client::new(config).map_err(|source| InstanceError::Bitbucket {
            instance: instance.name.clone(),
            source: Box::new(source),
        })
    }

    /// Tests the connection: server version (which proves the context path), the user, and one
    /// authenticated REST call. Stores the outcome as the instance's state; a 401 becomes the
    /// auth-error state with an [`Event::AuthProblem`].
    pub async fn test_instance(
        &self,
        name: Option<&str>,
    ) -> Result<ConnectionReport, InstanceError> {
        let instance = self.resolve_instance(name)?;
        self.renew_before_use(&instance).await;
        let client = match self.client(&instance) {
            Ok(client) => client,
            Err(err @ InstanceError::NotAuthorized { .. }) => {
                return Ok(ConnectionReport {
                    instance: instance.name,
                    state: InstanceState::AuthorizationPending,
                    server_version: None,
                    user_name: None,
                    error: Some(err.to_string()),
                })
            }
            Err(err) => return Err(err),
        };
        match client.test_connection().await {
            Ok(info) => {
                self.store.instance_set_status(
                    instance.id,
                    &InstanceStatus {
                        state: InstanceState::Ok,
                        last_error: None,
                        server_version: Some(&info.version),
                        user_name: info.user.as_deref(),
                        checked_at_ms: now_ms(),
                    },
                )?;
                self.events.emit(Event::InstanceState {
                    instance: instance.name.clone(),
                    state: InstanceState::Ok.to_string(),
                    message: None,
                });
                Ok(ConnectionReport {
                    instance: instance.name,
                    state: InstanceState::Ok,
                    server_version: Some(info.version),
                    user_name: info.user,
                    error: None,
                })
            }
            Err(err) => {
                let state = self.record_call_error(&instance, &err)?;
                Ok(ConnectionReport {
                    instance: instance.name,
                    state,
                    server_version: instance.server_version,
                    user_name: instance.user_name,
                    error: Some(err.to_string()),
                })
            }
        }
    }

    /// Records a failed Bitbucket call on the instance when it says something about the
    /// instance as a whole: a 401 → auth error (stored, with an [`Event::AuthProblem`]), an
    /// unreachable server → unreachable. Other errors leave the state alone. Returns the state.
    pub fn record_call_error(
        &self,
        instance: &InstanceRecord,
        err: &depwatch_bitbucket::Error,
    ) -> Result<InstanceState, InstanceError> {
        let state = match err {
            depwatch_bitbucket::Error::Auth { .. } => InstanceState::AuthError,
            depwatch_bitbucket::Error::Connect { .. }
            | depwatch_bitbucket::Error::WrongContextPath { .. } => InstanceState::Unreachable,
            _ => return Ok(instance.state),
        };
        let message = err.to_string();
        self.store.instance_set_status(
            instance.id,
            &InstanceStatus {
                state,
                last_error: Some(&message),
                server_version: None,
                user_name: None,
                checked_at_ms: now_ms(),
            },
        )?;
        if state == InstanceState::AuthError {
            tracing::warn!(instance = %instance.name, %message, "Bitbucket refused the credentials");
            self.events.emit(Event::AuthProblem {
                instance: instance.name.clone(),
                message: message.clone(),
            });
        }
        self.events.emit(Event::InstanceState {
            instance: instance.name.clone(),
            state: state.to_string(),
            message: Some(message),
        });
        Ok(state)
    }

    /// OAuth step 1 (out-of-band): gets a request token and the URL the user opens to allow
    /// depwatch. The verifier shown after "Allow" goes to [`App::complete_authorization`].
    /// The loopback flow is [`crate::Authorization`].
    pub async fn begin_authorization(
        &self,
        name: Option<&str>,
    ) -> Result<PendingAuthorization, InstanceError> {
        self.request_authorization(name, "oob").await
    }

    /// OAuth step 1 with a callback URL (`oob` or the loopback callback with its nonce).
    pub(crate) async fn request_authorization(
        &self,
        name: Option<&str>,
        callback_url: &str,
    ) -> Result<PendingAuthorization, InstanceError> {
        let instance = self.resolve_instance(name)?;
        if instance.auth_kind != AuthKind::OAuth {
            return Err(InstanceError::Invalid(format!(
                "instance `{}` uses {} authentication, not OAuth",
                instance.name, instance.auth_kind
            )));
        }
        let fail = |source| InstanceError::Bitbucket {
            instance: instance.name.clone(),
            source: Box::new(source),
        };
        let config =
            self.config(&instance, Auth::OAuth1(self.oauth_credentials(&instance, None)?))?;
        let client = Client::new(config).map_err(fail)?;
        let request_token = client.request_token(callback_url).await.map_err(fail)?;
        let authorize_url = client.authorize_url(&request_token).to_string();
        Ok(PendingAuthorization { instance: instance.name.clone(), authorize_url, request_token })
    }

    /// OAuth step 2: exchanges the verifier for an access token, stores it and tests the
    /// connection.
    pub async fn complete_authorization(
        &self,
        pending: PendingAuthorization,
        verifier: &str,
    ) -> Result<ConnectionReport, InstanceError> {
        self.exchange_verifier(&pending.instance, &pending.request_token, verifier).await
    }

    /// Exchanges a verifier, stores the access token and the session (handle and expiry) in
    /// the secret store, then tests the connection.
    pub(crate) async fn exchange_verifier(
        &self,
        name: &str,
        request_token: &RequestToken,
        verifier: &str,
    ) -> Result<ConnectionReport, InstanceError> {
        let instance = self.resolve_instance(Some(name))?;
        let fail = |source| InstanceError::Bitbucket {
            instance: instance.name.clone(),
            source: Box::new(source),
        };
        let config =
            self.config(&instance, Auth::OAuth1(self.oauth_credentials(&instance, None)?))?;
        let client = Client::new(config).map_err(fail)?;
        let access = client.access_token(request_token, verifier.trim()).await.map_err(fail)?;
        self.store_access_token(&instance, &access, now_ms())?;
        tracing::info!(instance = %instance.name, "OAuth authorization complete");
        self.test_instance(Some(&instance.name)).await
    }

    fn store_access_token(
        &self,
        instance: &InstanceRecord,
        access: &AccessToken,
        now_ms: i64,
    ) -> Result<(), InstanceError> {
        let store = &self.secret_store().store;
        store.set(&account(&instance.name, OAUTH_ACCESS), &access.token)?;
        match &access.session_handle {
            Some(handle) => {
                let session = StoredSession {
                    handle: handle.expose().to_owned(),
                    issued_at_ms: now_ms,
                    expires_at_ms: access.expires_in.map(|d| now_ms.saturating_add(duration_ms(d))),
                    session_expires_at_ms: access
                        .authorization_expires_in
                        .map(|d| now_ms.saturating_add(duration_ms(d))),
                };
                let json = serde_json::to_string(&session).map_err(|e| {
                    InstanceError::Invalid(format!("cannot encode the OAuth session: {e}"))
                })?;
                store.set(&account(&instance.name, OAUTH_SESSION), &Secret::new(json))?;
            }
            None => store.delete(&account(&instance.name, OAUTH_SESSION))?,
        }
        Ok(())
    }

    fn stored_session(
        &self,
        instance: &InstanceRecord,
    ) -> Result<Option<StoredSession>, InstanceError> {
        let Some(raw) = self.secret_store().store.get(&account(&instance.name, OAUTH_SESSION))?
        else {
            return Ok(None);
        };
        // The message names the entry, never its content.
        serde_json::from_str(raw.expose()).map(Some).map_err(|e| {
            InstanceError::Invalid(format!(
                "the stored OAuth session of instance `{}` is unreadable ({:?} at column {}); authorize again",
                instance.name,
                e.classify(),
                e.column()
            ))
        })
    }

    /// When the OAuth access token and its renewal window end (no secrets), `None` for an
    /// instance without an OAuth session.
    pub fn oauth_session(&self, name: Option<&str>) -> Result<Option<OAuthSession>, InstanceError> {
        let instance = self.resolve_instance(name)?;
        Ok(self.stored_session(&instance)?.map(|s| OAuthSession {
            instance: instance.name.clone(),
            issued_at_ms: s.issued_at_ms,
            expires_at_ms: s.expires_at_ms,
            session_expires_at_ms: s.session_expires_at_ms,
            renewal_due_at_ms: s.expires_at_ms.map(|e| renewal_due_at(s.issued_at_ms, e)),
        }))
    }

    /// Renews the OAuth access token now with the stored session handle (`POST access-token`
    /// signed with the current token plus `oauth_session_handle`) and stores the new one. A
    /// refused renewal (`token_rejected`, `permission_denied` once the session ended) puts the
    /// instance in the auth-error state.
    pub async fn renew_authorization(
        &self,
        name: Option<&str>,
    ) -> Result<OAuthSession, InstanceError> {
        let instance = self.resolve_instance(name)?;
        self.renew(&instance, now_ms()).await?;
        self.oauth_session(Some(&instance.name))?.ok_or_else(|| {
            InstanceError::Invalid(format!(
                "Bitbucket renewed the token of instance `{}` without a session handle",
                instance.name
            ))
        })
    }

    async fn renew(&self, instance: &InstanceRecord, now_ms: i64) -> Result<(), InstanceError> {
        if instance.auth_kind != AuthKind::OAuth {
            return Err(InstanceError::Invalid(format!(
                "instance `{}` uses {} authentication; only OAuth tokens are renewed",
                instance.name, instance.auth_kind
            )));
        }
        let session = self.stored_session(instance)?.ok_or_else(|| {
            InstanceError::Invalid(format!(
                "instance `{}` has no OAuth session handle to renew with; authorize again",
                instance.name
            ))
        })?;
        let access = self
            .secret_store()
            .store
            .get(&account(&instance.name, OAUTH_ACCESS))?
            .ok_or_else(|| InstanceError::NotAuthorized { instance: instance.name.clone() })?;
        let config =
            self.config(instance, Auth::OAuth1(self.oauth_credentials(instance, None)?))?;
        let fail = |source| InstanceError::Bitbucket {
            instance: instance.name.clone(),
            source: Box::new(source),
        };
        let client = Client::new(config).map_err(fail)?;
        match client.renew(&access, &Secret::new(session.handle)).await {
            Ok(renewed) => {
                self.store_access_token(instance, &renewed, now_ms)?;
                tracing::info!(instance = %instance.name, "renewed the OAuth access token");
                Ok(())
            }
            Err(err) => {
                if let Err(e) = self.record_call_error(instance, &err) {
                    tracing::warn!(error = %e, "cannot record the instance state");
                }
                Err(fail(err))
            }
        }
    }

    /// Renews the token of `instance` when it is within its renewal margin at `now_ms`
    /// (see [`renewal_due_at`]). Returns whether it renewed. Instances without OAuth or without
    /// a session are left alone.
    pub async fn renew_if_due(
        &self,
        instance: &InstanceRecord,
        now_ms: i64,
    ) -> Result<bool, InstanceError> {
        if instance.auth_kind != AuthKind::OAuth {
            return Ok(false);
        }
        let Some(session) = self.stored_session(instance)? else {
            return Ok(false);
        };
        let Some(expires_at) = session.expires_at_ms else {
            return Ok(false);
        };
        if now_ms < renewal_due_at(session.issued_at_ms, expires_at) {
            return Ok(false);
        }
        self.renew(instance, now_ms).await?;
        Ok(true)
    }

    /// Renews every OAuth token that is due (for the periodic maintenance of `serve` and the
    /// desktop app). Failures are logged and recorded on their instance, not returned.
    pub async fn renew_due_authorizations(&self) -> Result<usize, InstanceError> {
        let mut renewed = 0;
        for instance in self.instances()? {
            match self.renew_if_due(&instance, now_ms()).await {
                Ok(true) => renewed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(instance = %instance.name, error = %e, "OAuth renewal failed")
                }
            }
        }
        Ok(renewed)
    }

    /// Renews a due token before a batch of calls; a failure is logged (the calls then report
    /// the real auth state).
    pub(crate) async fn renew_before_use(&self, instance: &InstanceRecord) {
        if let Err(e) = self.renew_if_due(instance, now_ms()).await {
            tracing::warn!(instance = %instance.name, error = %e, "OAuth renewal before use failed");
        }
    }
}

/// When a token issued at `issued_at_ms` and expiring at `expires_at_ms` should be renewed:
/// half its lifetime before expiry, but never more than seven days early (Bitbucket's default
/// five-year tokens renew in their last week; a short-lived token at half-life).
pub fn renewal_due_at(issued_at_ms: i64, expires_at_ms: i64) -> i64 {
    const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
    let lifetime = expires_at_ms.saturating_sub(issued_at_ms).max(0);
    expires_at_ms.saturating_sub((lifetime / 2).min(WEEK_MS))
}

fn duration_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The OAuth session kept in the secret store beside the access token.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredSession {
    handle: String,
    issued_at_ms: i64,
    expires_at_ms: Option<i64>,
    session_expires_at_ms: Option<i64>,
}

/// When an instance's OAuth access token expires and when depwatch renews it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthSession {
    pub instance: String,
    pub issued_at_ms: i64,
    /// `oauth_expires_in` after issue; `None` when the server gave none.
    pub expires_at_ms: Option<i64>,
    /// End of the renewal window (`oauth_authorization_expires_in`).
    pub session_expires_at_ms: Option<i64>,
    /// From when depwatch renews the token.
    pub renewal_due_at_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_is_due_at_half_life_or_in_the_last_week() {
        // Bitbucket's default: five years.
        let five_years = 157_680_000_000;
        assert_eq!(renewal_due_at(0, five_years), five_years - 7 * 24 * 3600 * 1000);
        // A two-minute token renews after one minute.
        assert_eq!(renewal_due_at(1_000, 121_000), 61_000);
        // Nonsense (expiry before issue) is due at once.
        assert_eq!(renewal_due_at(10_000, 5_000), 5_000);
    }
}
