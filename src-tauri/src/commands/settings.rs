//! The Settings screen: listener, webhook URL and secret, advisory sources, sync interval,
//! monitored ref patterns, notifications, start at login. Values are persisted by
//! `depwatch_app::settings`, so `depwatch serve` and the monitor runtime read the same ones.

use crate::commands::{blocking, rfc3339, ErrorPayload};
use crate::relay::data_changed;
use crate::{CommandError, ErrorCode, Shell};
use depwatch_app::settings::{AdvisorySourceStatus, NotificationSettings, Settings};
use depwatch_app::webhook_status::machine_address;
use depwatch_app::{App, DownloadLimits, Monitoring};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use tauri::{AppHandle, Manager, Runtime, State};

/// `AdvisorySourceStatus` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvisorySourceDto {
    pub id: String,
    pub name: String,
    pub ecosystems: Vec<depwatch_app::settings::Ecosystem>,
    pub enabled: bool,
    pub last_sync_at: Option<String>,
    pub advisory_count: u64,
    pub stale: bool,
    pub last_error: Option<ErrorPayload>,
}

impl From<AdvisorySourceStatus> for AdvisorySourceDto {
    fn from(s: AdvisorySourceStatus) -> Self {
        AdvisorySourceDto {
            id: s.id,
            name: s.name,
            ecosystems: s.ecosystems,
            enabled: s.enabled,
            last_sync_at: s.last_sync_at.map(|secs| rfc3339(secs.saturating_mul(1000))),
            advisory_count: s.advisory_count,
            stale: s.stale,
            last_error: s.last_error.map(|m| ErrorPayload::new("sync-failed", m)),
        }
    }
}

/// `Settings` in `types.ts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    pub listen_address: String,
    pub listen_port: u16,
    pub webhook_url: String,
    pub loopback_only: bool,
    pub webhook_secret_set: bool,
    pub advisory_sources: Vec<AdvisorySourceDto>,
    pub sync_interval_hours: u32,
    pub ref_patterns: Vec<String>,
    pub notifications: NotificationSettings,
    pub start_at_login: bool,
    pub monitoring: Monitoring,
}

/// `SettingsUpdate` in `types.ts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsUpdate {
    pub listen_address: String,
    pub listen_port: u16,
    pub enabled_sources: Vec<String>,
    pub sync_interval_hours: u32,
    pub ref_patterns: Vec<String>,
    pub notifications: NotificationSettings,
    pub start_at_login: bool,
}

/// Whether the app starts at login, as the OS says (the saved value when the plugin is not
/// there, e.g. in tests).
fn start_at_login<R: Runtime>(handle: &AppHandle<R>, saved: bool) -> bool {
    use tauri_plugin_autostart::ManagerExt;
    match handle.try_state::<tauri_plugin_autostart::AutoLaunchManager>() {
        Some(_) => handle.autolaunch().is_enabled().unwrap_or(saved),
        None => saved,
    }
}

fn apply_start_at_login<R: Runtime>(
    handle: &AppHandle<R>,
    enabled: bool,
) -> Result<(), CommandError> {
    use tauri_plugin_autostart::ManagerExt;
    if handle.try_state::<tauri_plugin_autostart::AutoLaunchManager>().is_none() {
        return Ok(());
    }
    let manager = handle.autolaunch();
    if manager.is_enabled().unwrap_or(!enabled) == enabled {
        return Ok(());
    }
    let result = if enabled { manager.enable() } else { manager.disable() };
    result.map_err(|err| {
        CommandError::new(ErrorCode::Io, format!("cannot change start at login: {err}"))
    })
}

/// Everything the Settings screen shows. Blocking (database, keychain).
fn settings_dto<R: Runtime>(handle: &AppHandle<R>, app: &App) -> Result<SettingsDto, CommandError> {
    let settings = app.settings()?;
    let instance = app.desktop_instance()?;
    let machine = machine_address(&settings, instance.as_ref());
    Ok(SettingsDto {
        listen_address: settings.listen_address.to_string(),
        listen_port: settings.listen_port,
        webhook_url: settings.webhook_url(instance.as_ref().map(|i| i.name.as_str()), machine),
        loopback_only: settings.loopback_only(),
        webhook_secret_set: app.webhook_secret()?.is_some(),
        advisory_sources: app.advisory_source_statuses()?.into_iter().map(Into::into).collect(),
        sync_interval_hours: settings.sync_interval_hours,
        ref_patterns: settings.ref_patterns.clone(),
        notifications: settings.notifications.clone(),
        start_at_login: start_at_login(handle, settings.start_at_login),
        monitoring: app.monitoring()?,
    })
}

/// The settings.
#[tauri::command]
pub async fn get_settings<R: Runtime>(handle: AppHandle<R>) -> Result<SettingsDto, CommandError> {
    blocking(move || settings_dto(&handle, handle.state::<Shell>().app()?)).await?
}

/// Validates and saves the settings; returns them as stored.
#[tauri::command]
pub async fn save_settings<R: Runtime>(
    handle: AppHandle<R>,
    update: SettingsUpdate,
) -> Result<SettingsDto, CommandError> {
    let saved = blocking({
        let handle = handle.clone();
        move || {
            let app = handle.state::<Shell>().app_arc()?;
            let listen_address: IpAddr = update.listen_address.trim().parse().map_err(|_| {
                CommandError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "listenAddress: {:?} is not an IP address (e.g. 0.0.0.0 or 192.168.1.20)",
                        update.listen_address
                    ),
                )
            })?;
            let settings = Settings {
                listen_address,
                listen_port: update.listen_port,
                sync_interval_hours: update.sync_interval_hours,
                ref_patterns: update.ref_patterns,
                notifications: update.notifications,
                start_at_login: update.start_at_login,
            };
            // Validate everything before changing anything.
            settings.validate()?;
            app.set_enabled_advisory_sources(&update.enabled_sources)?;
            let saved = app.save_settings(settings)?;
            apply_start_at_login(&handle, saved.start_at_login)?;
            settings_dto(&handle, &app)
        }
    })
    .await??;
    crate::monitor::reconfigure(&handle).await;
    data_changed(&handle, "settings");
    Ok(saved)
}

/// The webhook secret, for pasting into a webhook created by hand.
#[tauri::command]
pub async fn reveal_webhook_secret(shell: State<'_, Shell>) -> Result<String, CommandError> {
    let app = shell.app_arc()?;
    blocking(move || {
        app.webhook_secret()?.map(|s| s.expose().to_owned()).ok_or_else(|| {
            CommandError::new(ErrorCode::NotFound, "No webhook secret is set yet; generate one.")
        })
    })
    .await?
}

/// Replaces the webhook secret with a random one and returns it. Webhooks already installed
/// keep the old secret until installed again.
#[tauri::command]
pub async fn regenerate_webhook_secret<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
) -> Result<String, CommandError> {
    let app = shell.app_arc()?;
    let secret = blocking(move || app.regenerate_webhook_secret()).await??;
    crate::monitor::reconfigure(&handle).await;
    data_changed(&handle, "settings");
    Ok(secret.expose().to_owned())
}

/// Sets the webhook secret (at least 16 characters).
#[tauri::command]
pub async fn set_webhook_secret<R: Runtime>(
    handle: AppHandle<R>,
    shell: State<'_, Shell>,
    secret: String,
) -> Result<(), CommandError> {
    let app = shell.app_arc()?;
    blocking(move || app.set_webhook_secret(&secret)).await??;
    crate::monitor::reconfigure(&handle).await;
    data_changed(&handle, "settings");
    Ok(())
}

/// Syncs every enabled advisory source now (one at a time, off the async workers) and
/// returns the settings with the sources' new state. Per-source failures show on the source.
#[tauri::command]
pub async fn sync_advisories<R: Runtime>(
    handle: AppHandle<R>,
) -> Result<SettingsDto, CommandError> {
    let shell = handle.state::<Shell>();
    if shell.advisory_sync.swap(true, Ordering::AcqRel) {
        return Err(CommandError::new(ErrorCode::Busy, "An advisory sync is already running."));
    }
    let result = blocking({
        let handle = handle.clone();
        move || {
            let app = handle.state::<Shell>().app_arc()?;
            // Per-source failures show on the sources; new findings arrive as events.
            app.refresh_advisories(&DownloadLimits::default());
            settings_dto(&handle, &app)
        }
    })
    .await;
    shell.advisory_sync.store(false, Ordering::Release);
    let settings = result??;
    data_changed(&handle, "advisories");
    Ok(settings)
}
