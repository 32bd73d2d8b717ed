//! The depwatch desktop shell: a Tauri v2 window, a tray icon, and thin commands over
//! `depwatch-app`. This is the only crate that depends on Tauri or defines UI DTOs.

mod commands;
mod error;
#[cfg(test)]
mod ipc_harness;
#[cfg(test)]
mod ipc_tests;
mod monitor;
mod notification;
mod relay;
mod shell;
mod tray;

pub use error::{CommandError, ErrorCode};
pub use shell::Shell;

use depwatch_app::{App, DataDir};
use tauri::{Manager, RunEvent, Runtime, WindowEvent};

/// Label of the one window.
pub const MAIN_WINDOW: &str = "main";

/// Starts the desktop app; returns when the user quits.
pub fn run() {
    let data_dir = match DataDir::resolve(None) {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!("depwatch: {err}");
            std::process::exit(2);
        }
    };
    // Logging failures must not stop the app: stderr still works.
    let _log_guard = data_dir
        .ensure()
        .map_err(|e| e.to_string())
        .and_then(|()| {
            depwatch_app::init_logging(&data_dir, "depwatch-desktop").map_err(|e| e.to_string())
        })
        .inspect_err(|e| eprintln!("depwatch: file logging disabled: {e}"))
        .ok();
    tracing::info!(data_dir = %data_dir.path().display(), version = env!("CARGO_PKG_VERSION"), "starting depwatch desktop");

    let shell = Shell::new(App::open(data_dir.clone()).map_err(|err| {
        tracing::error!(error = %err, "cannot open depwatch's data");
        err.to_string()
    }));

    let builder = tauri::Builder::default()
        // Must be the first plugin: a second launch hands its arguments over and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tracing::info!("second launch: focusing the running instance");
            show_main_window(app);
        }))
        // Start at login (Settings); driven from Rust only, so no web view permission.
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        // Links open in the system browser (`open_external`), from Rust only.
        .plugin(tauri_plugin_opener::init());
    let app = build_app(builder, shell).build(tauri::generate_context!()).unwrap_or_else(|err| {
        tracing::error!(error = %err, "cannot start the desktop shell");
        eprintln!("depwatch: cannot start the desktop shell: {err}");
        std::process::exit(1);
    });
    // Binds the webhook listener: only the real app does that, never a test's mock app.
    monitor::start(app.handle());
    app.run(|_app, event| {
        // Closing the last window keeps depwatch running in the tray; only Quit exits
        // (it calls `exit`, which carries a code).
        if let RunEvent::ExitRequested { api, code: None, .. } = event {
            api.prevent_exit();
        }
    });
}

/// Everything but the platform-specific plugins, generic over the runtime so tests can use
/// `tauri::test::mock_builder()`.
pub fn build_app<R: Runtime>(builder: tauri::Builder<R>, shell: Shell) -> tauri::Builder<R> {
    builder
        .manage(shell)
        .manage(commands::oauth::OAuthFlow::default())
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::set_monitoring,
            commands::dashboard::get_dashboard,
            commands::repository::list_repositories,
            commands::repository::get_repository,
            commands::repository::list_dependencies,
            commands::push::list_pushes,
            commands::finding::list_findings,
            commands::finding::acknowledge_finding,
            commands::finding::close_finding,
            commands::finding::ignore_finding,
            commands::finding::reopen_finding,
            commands::advisory::get_advisory,
            commands::connection::get_connection,
            commands::connection::test_connection,
            commands::connection::save_token_connection,
            commands::connection::disconnect,
            commands::perimeter::list_projects,
            commands::perimeter::get_perimeter,
            commands::perimeter::save_perimeter,
            commands::perimeter::install_webhook,
            commands::scan::get_scan_status,
            commands::scan::start_scan,
            commands::scan::retry_scan,
            commands::scan::cancel_scan,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::reveal_webhook_secret,
            commands::settings::regenerate_webhook_secret,
            commands::settings::set_webhook_secret,
            commands::settings::sync_advisories,
            commands::external::open_external,
            commands::oauth::oauth_begin,
            commands::oauth::oauth_start,
            commands::oauth::oauth_status,
            commands::oauth::oauth_submit_verifier,
            commands::oauth::oauth_cancel
        ])
        .setup(|app| {
            tray::create(app.handle())?;
            relay::start(app.handle());
            notification::start(app.handle());
            commands::finding::start_ignore_sweep(app.handle());
            commands::scan::start_relay(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == MAIN_WINDOW {
                    api.prevent_close();
                    if let Err(err) = window.hide() {
                        tracing::warn!(error = %err, "cannot hide the main window");
                    }
                }
            }
        })
}

/// Shows, unminimizes and focuses the main window.
pub(crate) fn show_main_window<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc_harness::Ipc;
    use serde_json::{json, Value};

    fn invoke(shell: Shell, cmd: &str, args: Value) -> Result<Value, Value> {
        Ipc::new(shell).call(cmd, args)
    }

    fn open_shell(dir: &std::path::Path) -> Shell {
        Shell::new(App::open(DataDir::new(dir.to_path_buf())).map_err(|e| e.to_string()))
    }

    #[test]
    fn app_info_answers_with_the_schema_version_over_ipc() {
        let dir = tempfile::tempdir().unwrap();
        let info = invoke(open_shell(dir.path()), "app_info", json!({})).unwrap();
        assert_eq!(info["schemaVersion"], depwatch_store::latest_schema_version());
        assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(info["monitoring"], "active");
        assert_eq!(info["dataDir"], dir.path().display().to_string());
    }

    #[test]
    fn set_monitoring_pauses_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let info =
            invoke(open_shell(dir.path()), "set_monitoring", json!({ "paused": true })).unwrap();
        assert_eq!(info["monitoring"], "paused");
        let reopened = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
        assert_eq!(reopened.monitoring().unwrap(), depwatch_app::Monitoring::Paused);
    }

    #[test]
    fn a_database_that_failed_to_open_is_a_typed_error_not_a_crash() {
        let shell = Shell::new(Err("the database is from a newer depwatch".to_owned()));
        let err = invoke(shell, "app_info", json!({})).unwrap_err();
        assert_eq!(err["code"], "database");
        assert_eq!(err["message"], "the database is from a newer depwatch");
    }
}
