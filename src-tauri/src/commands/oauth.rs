//! The OAuth 1.0a wizard: `oauth_begin` (key pair + consumer key to paste into Bitbucket),
//! `oauth_start` (request token, one-shot loopback callback or `oob`, browser), `oauth_status`,
//! `oauth_submit_verifier` (paste fallback), `oauth_cancel`, and the `oauth-status` event. The
//! flow itself is `depwatch_app::Authorization`; this file only shapes DTOs for
//! `ui/src/backend/types.ts` (`OAuthSetup`, `OAuthPending`, `OAuthStatus`, `ConnectionStatus`).

use super::connection::ConnectionStatus;
use super::{blocking, rfc3339, ErrorPayload};
use crate::{CommandError, ErrorCode, Shell};
use depwatch_app::{
    Authorization, AuthorizationError, AuthorizationState, AuthorizationStatus, BrowserOpener,
    CallbackEndpoint,
};
use serde::Serialize;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, Runtime, State};

/// Event carrying every [`OAuthStatus`] change.
pub const OAUTH_STATUS: &str = "oauth-status";

/// The shell's one OAuth attempt at a time.
#[derive(Default)]
pub struct OAuthFlow(pub Authorization);

/// `OAuthSetup` in types.ts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthSetup {
    pub instance_url: String,
    pub consumer_key: String,
    pub consumer_name: String,
    pub public_key_pem: String,
}

/// `OAuthPending` in types.ts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthPending {
    pub authorize_url: String,
    pub out_of_band: bool,
    /// RFC 3339.
    pub expires_at: String,
}

/// `OAuthStatus` in types.ts.
#[derive(Debug, Clone, Serialize)]
pub struct OAuthStatus {
    pub state: AuthorizationState,
    pub error: Option<ErrorPayload>,
}

impl From<&AuthorizationStatus> for OAuthStatus {
    fn from(status: &AuthorizationStatus) -> OAuthStatus {
        OAuthStatus {
            state: status.state,
            error: status.failure.as_ref().map(|f| ErrorPayload::new("oauth", f.message.clone())),
        }
    }
}

impl From<AuthorizationError> for CommandError {
    fn from(err: AuthorizationError) -> CommandError {
        match err {
            AuthorizationError::Instance(e) => e.into(),
            AuthorizationError::Listen(_) => CommandError::new(ErrorCode::Io, err.to_string()),
            AuthorizationError::Nonce(_) => CommandError::new(ErrorCode::Internal, err.to_string()),
            _ => CommandError::new(ErrorCode::OAuth, err.to_string()),
        }
    }
}

/// Creates (or reuses) the OAuth instance for `instance_url` with its RSA key pair and makes it
/// the desktop's instance; returns what to paste into Bitbucket's Incoming Authentication.
#[tauri::command]
pub async fn oauth_begin(
    shell: State<'_, Shell>,
    instance_url: String,
    ca_file: Option<String>,
) -> Result<OAuthSetup, CommandError> {
    let app = shell.app_arc()?;
    // Key generation and the keychain are slow and blocking.
    blocking(move || -> Result<OAuthSetup, CommandError> {
        let setup = app.oauth_setup(&instance_url, ca_file.map(PathBuf::from))?;
        app.set_desktop_instance(&setup.instance)?;
        Ok(OAuthSetup {
            instance_url: setup.instance_url,
            consumer_key: setup.consumer_key,
            consumer_name: setup.consumer_name,
            public_key_pem: setup.public_key_pem,
        })
    })
    .await?
}

/// Gets a request token for the desktop's instance and, unless `out_of_band`, waits in the
/// background for the browser's callback on a one-shot `127.0.0.1` listener. Every status
/// change goes out as [`OAUTH_STATUS`].
#[tauri::command]
pub async fn oauth_start<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    flow: State<'_, OAuthFlow>,
    open_browser: bool,
    out_of_band: bool,
) -> Result<OAuthPending, CommandError> {
    let app = shell.app_arc()?;
    let instance = {
        let app = app.clone();
        blocking(move || app.require_desktop_instance()).await??
    };
    let flow = flow.0.clone();
    let endpoint =
        if out_of_band { CallbackEndpoint::OutOfBand } else { CallbackEndpoint::OneShot };
    let opener = |url: &str| open_url(&handle, url);
    let opener: &BrowserOpener<'_> = &opener;
    let started =
        flow.start(&app, Some(&instance.name), endpoint, open_browser.then_some(opener)).await?;
    forward_status(&handle, &flow);
    let waiter = flow.clone();
    tauri::async_runtime::spawn(async move {
        // The exchange after the callback, or the expiry; the forwarder reports the outcome.
        let _ = waiter.wait(&app).await;
    });
    Ok(OAuthPending {
        authorize_url: started.authorize_url,
        out_of_band: started.out_of_band,
        expires_at: rfc3339(started.expires_at_ms),
    })
}

/// Opens the system browser through tauri-plugin-opener (registered by `run`).
fn open_url<R: Runtime>(handle: &AppHandle<R>, url: &str) -> Result<(), String> {
    use tauri::Manager;
    use tauri_plugin_opener::OpenerExt;
    if handle.try_state::<tauri_plugin_opener::Opener<R>>().is_none() {
        return Err("no system browser opener is available".to_owned());
    }
    handle.opener().open_url(url, None::<&str>).map_err(|e| format!("cannot open the browser: {e}"))
}

/// Emits every status change of the current attempt until it leaves `waiting`.
fn forward_status<R: Runtime>(handle: &AppHandle<R>, flow: &Authorization) {
    let mut changes = flow.subscribe();
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let status = OAuthStatus::from(&*changes.borrow_and_update());
            if let Err(err) = handle.emit(OAUTH_STATUS, &status) {
                tracing::warn!(error = %err, "cannot send the OAuth status to the UI");
            }
            if status.state != AuthorizationState::Waiting || changes.changed().await.is_err() {
                break;
            }
        }
    });
}

/// Where the flow stands.
#[tauri::command]
pub fn oauth_status(flow: State<'_, OAuthFlow>) -> OAuthStatus {
    OAuthStatus::from(&flow.0.status())
}

/// The paste fallback: exchanges the verifier Bitbucket showed and returns the connection.
#[tauri::command]
pub async fn oauth_submit_verifier(
    shell: State<'_, Shell>,
    flow: State<'_, OAuthFlow>,
    verifier: String,
) -> Result<ConnectionStatus, CommandError> {
    let app = shell.app_arc()?;
    flow.0.submit_verifier(&app, &verifier).await?;
    let connection = blocking(move || app.desktop_connection()).await??;
    Ok(ConnectionStatus::from_connection(connection))
}

/// Abandons the attempt in progress.
#[tauri::command]
pub fn oauth_cancel(flow: State<'_, OAuthFlow>) {
    flow.0.cancel();
}

#[cfg(test)]
mod tests {
    //! The wizard over Tauri's mock IPC against the fake Bitbucket; an HTTP client plays the
    //! browser on the fake's authorize page.

    use crate::ipc_harness::Ipc;
    use depwatch_fakebb::{press_authorize, Config, FakeBitbucket};
    use serde_json::{json, Value};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    use tauri::Listener;

    fn ipc(dir: &std::path::Path) -> Ipc {
        Ipc::open(dir)
    }

    fn wait_until_not_waiting(ipc: &Ipc) -> Value {
        // A bound, not a timing assertion: the exchange normally takes milliseconds.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = ipc.call("oauth_status", json!({})).unwrap();
            if status["state"] != "waiting" || Instant::now() > deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn the_wizard_connects_through_the_loopback_callback_and_reports_denials() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let fake = rt.block_on(FakeBitbucket::start(Config::default())).unwrap();
        fake.add_user("admin", Some("pw"), true).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ipc = ipc(dir.path());
        let events = Arc::new(Mutex::new(Vec::<Value>::new()));
        {
            let events = Arc::clone(&events);
            ipc.app.listen_any(super::OAUTH_STATUS, move |e| {
                events.lock().unwrap().push(serde_json::from_str(e.payload()).unwrap());
            });
        }

        // Nothing started: idle; submitting is an `oauth` error.
        assert_eq!(
            ipc.call("oauth_status", json!({})).unwrap(),
            json!({"state": "idle", "error": null})
        );
        let setup = ipc
            .call("oauth_begin", json!({ "instanceUrl": fake.base_url(), "caFile": null }))
            .unwrap();
        assert_eq!(setup["instanceUrl"], fake.base_url());
        assert_eq!(setup["consumerName"], "depwatch");
        let consumer_key = setup["consumerKey"].as_str().unwrap();
        let pem = setup["publicKeyPem"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        fake.add_consumer(consumer_key, "depwatch", pem, None).unwrap();
        let err = ipc.call("oauth_submit_verifier", json!({ "verifier": "abcdef" })).unwrap_err();
        assert_eq!(err["code"], "oauth");

        // Deny through the loopback callback.
        let pending =
            ipc.call("oauth_start", json!({ "openBrowser": false, "outOfBand": false })).unwrap();
        assert_eq!(pending["outOfBand"], false);
        assert!(pending["expiresAt"].as_str().unwrap().ends_with('Z'), "{pending}");
        assert_eq!(ipc.call("oauth_status", json!({})).unwrap()["state"], "waiting");
        let url = pending["authorizeUrl"].as_str().unwrap().to_owned();
        rt.block_on(async {
            let location = press_authorize(&url, false).await.unwrap().redirect().unwrap();
            assert!(location.starts_with("http://127.0.0.1:"), "{location}");
            reqwest::get(&location).await.unwrap();
        });
        let status = wait_until_not_waiting(&ipc);
        assert_eq!(status["state"], "failed", "{status}");
        assert_eq!(status["error"]["code"], "oauth");
        assert!(status["error"]["message"].as_str().unwrap().contains("denied"), "{status}");

        // Cancel goes back to idle.
        ipc.call("oauth_start", json!({ "openBrowser": false, "outOfBand": false })).unwrap();
        assert_eq!(ipc.call("oauth_cancel", json!({})).unwrap(), Value::Null);
        assert_eq!(ipc.call("oauth_status", json!({})).unwrap()["state"], "idle");

        // Allow through the loopback callback: authorized, and the event says so.
        let pending =
            ipc.call("oauth_start", json!({ "openBrowser": false, "outOfBand": false })).unwrap();
        let url = pending["authorizeUrl"].as_str().unwrap().to_owned();
        rt.block_on(async {
            let location = press_authorize(&url, true).await.unwrap().redirect().unwrap();
            let page = reqwest::get(&location).await.unwrap().text().await.unwrap();
            assert!(page.contains("You can close this tab"), "{page}");
        });
        let status = wait_until_not_waiting(&ipc);
        assert_eq!(status, json!({"state": "authorized", "error": null}));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !events.lock().unwrap().iter().any(|e| e["state"] == "authorized")
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let seen = events.lock().unwrap().clone();
        assert!(seen.iter().any(|e| e["state"] == "waiting"), "{seen:?}");
        assert!(seen.iter().any(|e| e["state"] == "failed"), "{seen:?}");
        assert!(seen.iter().any(|e| e["state"] == "authorized"), "{seen:?}");
        rt.block_on(fake.shutdown());
    }

    #[test]
    fn the_pasted_verifier_returns_the_connection() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let fake = rt.block_on(FakeBitbucket::start(Config::default())).unwrap();
        fake.add_user("admin", Some("pw"), true).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ipc = ipc(dir.path());
        let setup = ipc
            .call("oauth_begin", json!({ "instanceUrl": fake.base_url(), "caFile": null }))
            .unwrap();
        fake.add_consumer(
            setup["consumerKey"].as_str().unwrap(),
            "depwatch",
            setup["publicKeyPem"].as_str().unwrap(),
            None,
        )
        .unwrap();
        let pending =
            ipc.call("oauth_start", json!({ "openBrowser": false, "outOfBand": true })).unwrap();
        assert_eq!(pending["outOfBand"], true);
        let url = pending["authorizeUrl"].as_str().unwrap().to_owned();
        let page = rt.block_on(press_authorize(&url, true)).unwrap().page().unwrap();
        let marker = "<code id=\"oauth-verifier\">";
        let start = page.find(marker).unwrap() + marker.len();
        let verifier = page[start..].split('<').next().unwrap().to_owned();
        let connection =
            ipc.call("oauth_submit_verifier", json!({ "verifier": verifier })).unwrap();
        assert_eq!(connection["connected"], true, "{connection}");
        assert_eq!(connection["authMode"], "oauth");
        assert_eq!(connection["username"], "admin");
        assert_eq!(connection["instanceUrl"], fake.base_url());
        assert_eq!(ipc.call("oauth_status", json!({})).unwrap()["state"], "authorized");
        // A bad URL is invalid input, not a crash.
        let err =
            ipc.call("oauth_begin", json!({ "instanceUrl": "::", "caFile": null })).unwrap_err();
        assert_eq!(err["code"], "invalid-input", "{err}");
        rt.block_on(fake.shutdown());
    }
}
