//! The Connect screen: the desktop's Bitbucket instance (see `depwatch_app::connection` for
//! how it is chosen), testing and saving a token connection, disconnecting.

use crate::commands::{blocking, rfc3339, ErrorPayload};
use crate::relay::data_changed;
use crate::{CommandError, Shell};
use depwatch_app::connection::{probe_token_connection, DesktopConnection, TokenConnection};
use depwatch_app::Secret;
use depwatch_store::{AuthKind, InstanceState};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tauri::{AppHandle, Runtime, State};

/// `ConnectionStatus` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStatus {
    pub instance_url: Option<String>,
    pub auth_mode: Option<&'static str>,
    pub connected: bool,
    pub username: Option<String>,
    pub server_version: Option<String>,
    pub ca_file: Option<String>,
    pub last_checked_at: Option<String>,
    pub last_error: Option<ErrorPayload>,
}

impl ConnectionStatus {
    fn none() -> ConnectionStatus {
        ConnectionStatus {
            instance_url: None,
            auth_mode: None,
            connected: false,
            username: None,
            server_version: None,
            ca_file: None,
            last_checked_at: None,
            last_error: None,
        }
    }

    pub(crate) fn from_connection(connection: Option<DesktopConnection>) -> ConnectionStatus {
        let Some(c) = connection else { return ConnectionStatus::none() };
        let i = &c.instance;
        let last_error = match i.state {
            InstanceState::AuthError => Some(ErrorPayload::new(
                "unauthorized",
                i.last_error.clone().unwrap_or_else(|| "Bitbucket refused the credentials".into()),
            )),
            InstanceState::Unreachable => Some(ErrorPayload::new(
                "unreachable",
                i.last_error.clone().unwrap_or_else(|| "Bitbucket could not be reached".into()),
            )),
            _ => None,
        };
        ConnectionStatus {
            instance_url: Some(i.base_url.clone()),
            auth_mode: c.has_credentials.then_some(match i.auth_kind {
                AuthKind::OAuth => "oauth",
                AuthKind::Bearer | AuthKind::Basic => "token",
            }),
            connected: c.connected(),
            username: i.user_name.clone().or_else(|| i.username.clone()),
            server_version: i.server_version.clone(),
            ca_file: i.ca_path.clone(),
            last_checked_at: (i.state == InstanceState::Ok)
                .then_some(i.last_checked_at_ms)
                .flatten()
                .map(rfc3339),
            last_error,
        }
    }
}

/// `TokenConnectionRequest` in `types.ts`. The token is never echoed back or logged.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenConnectionRequest {
    pub instance_url: String,
    pub token: String,
    pub ca_file: Option<String>,
}

impl std::fmt::Debug for TokenConnectionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenConnectionRequest")
            .field("instance_url", &self.instance_url)
            .field("token", &"***")
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl TokenConnectionRequest {
    fn into_connection(self) -> TokenConnection {
        TokenConnection {
            instance_url: self.instance_url,
            token: Secret::new(self.token),
            ca_file: self.ca_file.filter(|p| !p.trim().is_empty()).map(PathBuf::from),
        }
    }
}

/// `ConnectionTestResult` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTestResult {
    pub ok: bool,
    pub username: Option<String>,
    pub server_version: Option<String>,
    pub error: Option<ErrorPayload>,
    pub steps: Vec<String>,
}

/// The desktop's instance and whether it is connected.
#[tauri::command]
pub async fn get_connection(shell: State<'_, Shell>) -> Result<ConnectionStatus, CommandError> {
    let app = shell.app_arc()?;
    let connection = blocking(move || app.desktop_connection()).await??;
    Ok(ConnectionStatus::from_connection(connection))
}

/// Tries the URL and token without saving anything.
#[tauri::command]
pub async fn test_connection(
    request: TokenConnectionRequest,
) -> Result<ConnectionTestResult, CommandError> {
    let probe = probe_token_connection(&request.into_connection()).await;
    Ok(ConnectionTestResult {
        ok: probe.ok(),
        username: probe.username,
        server_version: probe.server_version,
        error: probe.error.map(|e| ErrorPayload::new(&e.code, e.message)),
        steps: probe.steps,
    })
}

/// Tests, then stores the token in the secret store and makes the instance the desktop's.
/// A failed test is an error with the test's code (`unauthorized`, `dns`, …).
#[tauri::command]
pub async fn save_token_connection<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    request: TokenConnectionRequest,
) -> Result<ConnectionStatus, CommandError> {
    let app = shell.app_arc()?;
    let request = request.into_connection();
    let probe = probe_token_connection(&request).await;
    let connection = blocking(move || app.save_token_connection(&request, &probe)).await??;
    // The listener learns the instance (or forgets it).
    crate::monitor::reconfigure(&handle).await;
    data_changed(&handle, "connection");
    Ok(ConnectionStatus::from_connection(Some(connection)))
}

/// Forgets the credentials; projects, repositories and findings stay.
#[tauri::command]
pub async fn disconnect<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
) -> Result<ConnectionStatus, CommandError> {
    shell.scans.cancel();
    let app = shell.app_arc()?;
    let connection = blocking(move || app.disconnect_desktop()).await??;
    // The listener learns the instance (or forgets it).
    crate::monitor::reconfigure(&handle).await;
    data_changed(&handle, "connection");
    Ok(ConnectionStatus::from_connection(connection))
}
