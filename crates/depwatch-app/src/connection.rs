//! The desktop's connection to its one Bitbucket instance: which instance that is, testing a
//! URL + access token step by step with typed failures, saving a token connection (secret in
//! the secret store, never in the database), and disconnecting (credentials forgotten, data
//! kept).
//!
//! **Which instance the desktop uses.** The store can hold several instances (the CLI adds
//! them by name). The desktop shows one: the instance named by the `desktop.instance` setting
//! when it exists, else the only instance when there is exactly one, else none (the Connect
//! screen). Saving a connection in the desktop sets `desktop.instance`; connecting again to the
//! same base URL reuses that instance (and its data) instead of adding another.

use crate::instance::{
    account, now_ms, InstanceError, OAUTH_ACCESS, OAUTH_SESSION, PASSWORD, TOKEN,
};
use crate::{AddInstance, App, InstanceAuth};
use depwatch_bitbucket::{
    Auth, Client, ConnectFailure, Error as BbError, InstanceConfig, RetryPolicy, Secret,
};
use depwatch_store::{AuthKind, InstanceRecord, InstanceState, InstanceStatus};
use std::path::PathBuf;
use std::time::Duration;

/// Setting naming the instance the desktop app shows.
pub const DESKTOP_INSTANCE_KEY: &str = "desktop.instance";

/// The stable, kebab-case code of a Bitbucket client error, shared with the UI
/// (`dns`, `connection-refused`, `tls`, `timeout`, `unauthorized`, `forbidden`,
/// `not-bitbucket`, …).
pub fn error_code(err: &BbError) -> &'static str {
    match err {
        BbError::Config(_) | BbError::InvalidInput(_) => "invalid-input",
        BbError::Connect { kind, .. } => match kind {
            ConnectFailure::Dns => "dns",
            ConnectFailure::Refused => "connection-refused",
            ConnectFailure::Tls => "tls",
            ConnectFailure::Timeout => "timeout",
            ConnectFailure::Other => "network",
        },
        BbError::Auth { status: 403, .. } | BbError::Http { status: 403, .. } => "forbidden",
        BbError::Auth { .. } => "unauthorized",
        BbError::WrongContextPath { .. } => "not-bitbucket",
        BbError::NotFound { .. } => "not-found",
        BbError::RateLimited { .. } => "rate-limited",
        BbError::Http { status, .. } if *status >= 500 => "server-error",
        BbError::Http { .. } | BbError::Decode { .. } => "unexpected-response",
        BbError::TooLarge { .. } | BbError::PageLimit { .. } => "too-large",
        BbError::RequestTokenExpired { .. }
        | BbError::OAuthDenied
        | BbError::OAuthNotConfigured(_)
        | BbError::Key(_) => "oauth",
        // The client's error enum grows; anything new is still a Bitbucket failure.
        #[allow(unreachable_patterns)]
        _ => "bitbucket",
    }
}

/// A failure with its stable code and a message that never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CodedError {
    pub code: String,
    pub message: String,
}

impl CodedError {
    fn new(code: &str, message: impl Into<String>) -> CodedError {
        CodedError { code: code.to_owned(), message: message.into() }
    }

    fn from_bitbucket(err: &BbError) -> CodedError {
        CodedError::new(error_code(err), err.to_string())
    }
}

/// What a connection test found: the server and user on success, a typed failure otherwise,
/// and every request tried, in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionProbe {
    /// The base URL as normalized (no trailing slash).
    pub base_url: Option<String>,
    pub username: Option<String>,
    pub server_version: Option<String>,
    pub error: Option<CodedError>,
    /// `GET https://…/rest/api/1.0/application-properties: Bitbucket 9.4.2`, …
    pub steps: Vec<String>,
}

impl ConnectionProbe {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// A URL, access token and optional CA file to connect with.
#[derive(Debug, Clone)]
pub struct TokenConnection {
    pub instance_url: String,
    pub token: Secret,
    pub ca_file: Option<PathBuf>,
}

/// The desktop's instance as the Connect screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopConnection {
    pub instance: InstanceRecord,
    /// Credentials for the instance's auth kind are in the secret store.
    pub has_credentials: bool,
}

impl DesktopConnection {
    /// Credentials stored and the last check succeeded.
    pub fn connected(&self) -> bool {
        self.has_credentials && self.instance.state == InstanceState::Ok
    }
}

/// Limits of a connection test: quick to answer, no retry storms.
fn probe_config(
    base_url: &str,
    token: &Secret,
    ca_pem: Option<String>,
) -> Result<InstanceConfig, BbError> {
    let mut config = InstanceConfig::new(base_url, Auth::Bearer(token.clone()))?;
    config.custom_ca_pem = ca_pem;
    config.timeouts.connect = Duration::from_secs(10);
    config.timeouts.request = Duration::from_secs(20);
    config.retry =
        RetryPolicy { max_retries: 0, max_rate_limit_waits: 1, ..RetryPolicy::default() };
    Ok(config)
}

/// Tests a URL and token without saving anything: the server version (which proves the
/// context path), the user behind the token, then one authenticated REST call.
pub async fn probe_token_connection(request: &TokenConnection) -> ConnectionProbe {
    let mut probe = ConnectionProbe {
        base_url: None,
        username: None,
        server_version: None,
        error: None,
        steps: Vec::new(),
    };
    let fail = |mut probe: ConnectionProbe, error: CodedError| {
        probe.error = Some(error);
        probe
    };
    if request.token.expose().trim().is_empty() {
        return fail(probe, CodedError::new("invalid-input", "the access token is empty"));
    }
    let url = match depwatch_bitbucket::config::parse_base_url(&request.instance_url) {
        Ok(url) => url,
        Err(err) => return fail(probe, CodedError::from_bitbucket(&err)),
    };
    let base = url.as_str().trim_end_matches('/').to_owned();
    probe.base_url = Some(base.clone());
    let ca_pem = match &request.ca_file {
        Some(path) => {
            probe.steps.push(format!("read CA certificates from {}", path.display()));
            match std::fs::read_to_string(path) {
                Ok(pem) => Some(pem),
                Err(err) => {
                    return fail(
                        probe,
                        CodedError::new(
                            "io",
                            format!(
                                "cannot read the CA certificate file {}: {err}",
                                path.display()
                            ),
                        ),
                    )
                }
            }
        }
        None => None,
    };
    let token = Secret::new(request.token.expose().trim());
    let client = match probe_config(&base, &token, ca_pem).and_then(Client::new) {
        Ok(client) => client,
        Err(err) => return fail(probe, CodedError::from_bitbucket(&err)),
    };

    let step = format!("GET {base}/rest/api/1.0/application-properties");
    match client.application_properties().await {
        Ok(props) => {
            let name = props.display_name.as_deref().unwrap_or("Bitbucket");
            probe.steps.push(format!("{step}: {name} {}", props.version));
            probe.server_version = Some(props.version);
        }
        Err(err) => {
            probe.steps.push(format!("{step}: failed"));
            return fail(probe, CodedError::from_bitbucket(&err));
        }
    }
    let step = format!("GET {base}/plugins/servlet/applinks/whoami");
    match client.whoami().await {
        Ok(user) => {
            probe.steps.push(format!(
                "{step}: {}",
                user.as_deref().unwrap_or("no user (a project or repository token)")
            ));
            probe.username = user;
        }
        Err(err) => {
            probe.steps.push(format!("{step}: failed"));
            return fail(probe, CodedError::from_bitbucket(&err));
        }
    }
    let step = format!("GET {base}/rest/api/1.0/projects?limit=1");
    match client.username_from_rest().await {
        Ok(user) => {
            probe.steps.push(format!("{step}: accepted"));
            probe.username = probe.username.take().or(user);
        }
        Err(err) => {
            probe.steps.push(format!("{step}: failed"));
            return fail(probe, CodedError::from_bitbucket(&err));
        }
    }
    probe
}

/// Why saving or reading the desktop connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error(transparent)]
    Instance(#[from] InstanceError),
    #[error(transparent)]
    Store(#[from] depwatch_store::StoreError),
    #[error("secret store: {0}")]
    Secret(#[from] depwatch_bitbucket::secret::SecretStoreError),
    /// The connection test failed; `code` is the test's error code.
    #[error("{message}")]
    Test { code: String, message: String },
    #[error("no Bitbucket instance is connected")]
    NotConnected,
}

impl App {
    /// The instance the desktop shows (see the module docs for how it is chosen).
    pub fn desktop_instance(&self) -> Result<Option<InstanceRecord>, ConnectionError> {
        if let Some(name) = self.store.setting::<String>(DESKTOP_INSTANCE_KEY)? {
            if let Some(instance) = self.store.instance_by_name(&name)? {
                return Ok(Some(instance));
            }
            tracing::warn!(instance = %name, "the desktop's instance no longer exists");
        }
        let mut all = self.store.instances()?;
        Ok(if all.len() == 1 { all.pop() } else { None })
    }

    /// The desktop's instance, or [`ConnectionError::NotConnected`].
    pub fn require_desktop_instance(&self) -> Result<InstanceRecord, ConnectionError> {
        self.desktop_instance()?.ok_or(ConnectionError::NotConnected)
    }

    /// Makes `name` the desktop's instance.
    pub fn set_desktop_instance(&self, name: &str) -> Result<(), ConnectionError> {
        self.store.set_setting(DESKTOP_INSTANCE_KEY, &name)?;
        Ok(())
    }

    /// The desktop's instance with whether its credentials are stored (blocking: the OS
    /// keychain may be asked).
    pub fn desktop_connection(&self) -> Result<Option<DesktopConnection>, ConnectionError> {
        let Some(instance) = self.desktop_instance()? else { return Ok(None) };
        let what = match instance.auth_kind {
            AuthKind::Bearer => TOKEN,
            AuthKind::Basic => PASSWORD,
            AuthKind::OAuth => OAUTH_ACCESS,
        };
        let has_credentials =
            self.secret_store().store.get(&account(&instance.name, what))?.is_some();
        Ok(Some(DesktopConnection { instance, has_credentials }))
    }

    /// Saves a token connection whose test succeeded (`probe` from
    /// [`probe_token_connection`] on the same request): reuses the instance with the same base
    /// URL (switching it to token authentication) or adds one, stores the token in the secret
    /// store, records the test's outcome and makes it the desktop's instance. Blocking.
    pub fn save_token_connection(
        &self,
        request: &TokenConnection,
        probe: &ConnectionProbe,
    ) -> Result<DesktopConnection, ConnectionError> {
        if let Some(error) = &probe.error {
            return Err(ConnectionError::Test {
                code: error.code.clone(),
                message: error.message.clone(),
            });
        }
        let base_url = probe.base_url.clone().ok_or_else(|| ConnectionError::Test {
            code: "invalid-input".to_owned(),
            message: "the connection was not tested".to_owned(),
        })?;
        let token = Secret::new(request.token.expose().trim());
        let ca_path = request.ca_file.as_ref().map(|p| p.display().to_string());
        let existing = self.store.instances()?.into_iter().find(|i| i.base_url == base_url);
        let instance = match existing {
            Some(instance) => {
                self.secret_store().store.set(&account(&instance.name, TOKEN), &token)?;
                self.store.instance_set_auth(
                    instance.id,
                    AuthKind::Bearer,
                    None,
                    None,
                    ca_path.as_deref(),
                )?;
                instance
            }
            None => {
                let name = self.free_instance_name(&base_url)?;
                self.add_instance(AddInstance {
                    name: Some(name),
                    base_url: base_url.clone(),
                    auth: InstanceAuth::Token(token),
                    ca_path: request.ca_file.clone(),
                    max_requests_per_second: None,
                })?
                .instance
            }
        };
        self.store.instance_set_status(
            instance.id,
            &InstanceStatus {
                state: InstanceState::Ok,
                last_error: None,
                server_version: probe.server_version.as_deref(),
                user_name: probe.username.as_deref(),
                checked_at_ms: now_ms(),
            },
        )?;
        self.set_desktop_instance(&instance.name)?;
        tracing::info!(instance = %instance.name, "desktop connected with an access token");
        self.desktop_connection()?.ok_or(ConnectionError::NotConnected)
    }

    /// The URL's host name, or `host-2`, `host-3`, … when another instance has that name.
    pub(crate) fn free_instance_name(&self, base_url: &str) -> Result<String, ConnectionError> {
        let host = url_host(base_url).unwrap_or_else(|| "bitbucket".to_owned());
        let mut name = host.clone();
        let mut n = 1;
        while self.store.instance_by_name(&name)?.is_some() {
            n += 1;
            name = format!("{host}-{n}");
        }
        Ok(name)
    }

    /// Forgets the desktop instance's credentials (token, password, OAuth access token) and
    /// marks it unchecked. Its projects, repositories, findings and OAuth key pair stay, so
    /// connecting again resumes where it was. Blocking.
    pub fn disconnect_desktop(&self) -> Result<Option<DesktopConnection>, ConnectionError> {
        let Some(instance) = self.desktop_instance()? else { return Ok(None) };
        for what in [TOKEN, PASSWORD, OAUTH_ACCESS, OAUTH_SESSION] {
            self.secret_store().store.delete(&account(&instance.name, what))?;
        }
        self.store.instance_set_status(
            instance.id,
            &InstanceStatus {
                state: InstanceState::Unchecked,
                last_error: None,
                server_version: None,
                user_name: None,
                checked_at_ms: now_ms(),
            },
        )?;
        tracing::info!(instance = %instance.name, "desktop disconnected; credentials forgotten");
        self.desktop_connection()
    }
}

fn url_host(base_url: &str) -> Option<String> {
    let rest = base_url.split_once("://")?.1;
    let host = rest.split(['/', ':']).next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_map_to_the_ui_codes() {
        let connect = |kind| BbError::Connect { url: "u".into(), kind, detail: String::new() };
        assert_eq!(error_code(&connect(ConnectFailure::Dns)), "dns");
        assert_eq!(error_code(&connect(ConnectFailure::Refused)), "connection-refused");
        assert_eq!(error_code(&connect(ConnectFailure::Tls)), "tls");
        assert_eq!(error_code(&connect(ConnectFailure::Timeout)), "timeout");
        let auth = |status| BbError::Auth {
            url: "u".into(),
            status,
            reason: depwatch_bitbucket::AuthReason::Unspecified,
        };
        assert_eq!(error_code(&auth(401)), "unauthorized");
        assert_eq!(error_code(&auth(403)), "forbidden");
        let wrong =
            BbError::WrongContextPath { url: "u".into(), detail: "d".into(), suggestion: None };
        assert_eq!(error_code(&wrong), "not-bitbucket");
    }

    #[test]
    fn host_names_come_from_the_base_url() {
        assert_eq!(url_host("https://git.corp:8443/bitbucket").as_deref(), Some("git.corp"));
        assert_eq!(url_host("http://127.0.0.1:7990").as_deref(), Some("127.0.0.1"));
        assert_eq!(url_host("nonsense"), None);
    }
}
