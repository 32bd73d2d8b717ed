//! The tray icon and its menu: Open depwatch, Pause/Resume monitoring, Sync now, Quit. Its colour is the
//! worst unresolved finding (green, amber, red; grey while paused), its tooltip the counts.

use crate::commands::app::apply_monitoring;
use crate::{show_main_window, Shell};
use depwatch_app::alert::{Standing, StandingLevel};
use depwatch_app::Monitoring;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

const TRAY_ID: &str = "depwatch";
const MENU_OPEN: &str = "open";
const MENU_TOGGLE: &str = "toggle-monitoring";
const MENU_SYNC: &str = "sync-now";
const MENU_QUIT: &str = "quit";

/// The Pause/Resume item, kept to relabel it when the state changes.
struct TrayItems<R: Runtime> {
    toggle: MenuItem<R>,
}

fn toggle_label(monitoring: Monitoring) -> &'static str {
    match monitoring {
        Monitoring::Active => "Pause monitoring",
        Monitoring::Paused => "Resume monitoring",
    }
}

fn icon(monitoring: Monitoring, level: StandingLevel) -> tauri::Result<Image<'static>> {
    match (monitoring, level) {
        (Monitoring::Paused, _) => {
            Image::from_bytes(include_bytes!("../../icons/tray-neutral.png"))
        }
        (Monitoring::Active, StandingLevel::Clear) => {
            Image::from_bytes(include_bytes!("../../icons/tray-green.png"))
        }
        (Monitoring::Active, StandingLevel::Warning) => {
            Image::from_bytes(include_bytes!("../../icons/tray-amber.png"))
        }
        (Monitoring::Active, StandingLevel::Alert) => {
            Image::from_bytes(include_bytes!("../../icons/tray-red.png"))
        }
    }
}

fn tooltip(monitoring: Monitoring, standing: &Standing) -> String {
    match monitoring {
        Monitoring::Active => format!("depwatch: {}", standing.summary),
        Monitoring::Paused => format!("depwatch (paused): {}", standing.summary),
    }
}

/// Monitoring state and standing, read fresh; unreadable data shows as a clear, active tray
/// (the window says what is wrong).
fn current<R: Runtime>(app: &AppHandle<R>) -> (Monitoring, Standing) {
    let shell = app.state::<Shell>();
    let Ok(depwatch) = shell.app() else {
        return (Monitoring::Active, Standing::from_tally(&[]));
    };
    let monitoring = depwatch.monitoring().unwrap_or(Monitoring::Active);
    let standing = depwatch.standing().unwrap_or_else(|err| {
        tracing::warn!(error = %err, "cannot count open findings for the tray");
        Standing::from_tally(&[])
    });
    (monitoring, standing)
}

/// Builds the tray icon and menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let (monitoring, standing) = current(app);
    let open = MenuItem::with_id(app, MENU_OPEN, "Open depwatch", true, None::<&str>)?;
    let toggle = MenuItem::with_id(app, MENU_TOGGLE, toggle_label(monitoring), true, None::<&str>)?;
    let sync = MenuItem::with_id(app, MENU_SYNC, "Sync now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Quit depwatch", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&open, &toggle, &sync, &PredefinedMenuItem::separator(app)?, &quit],
    )?;
    app.manage(TrayItems { toggle });

    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(monitoring, standing.level)?)
        .tooltip(tooltip(monitoring, &standing))
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            MENU_OPEN => show_main_window(app),
            MENU_TOGGLE => toggle_monitoring(app),
            MENU_SYNC => crate::monitor::sync_now(app),
            MENU_QUIT => {
                tracing::info!("quit from the tray menu");
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    // Let the worker finish the push in progress, but never hang the quit.
                    let _ = tokio::time::timeout(
                        std::time::Duration::from_secs(5),
                        crate::monitor::stop(&app),
                    )
                    .await;
                    app.exit(0);
                });
            }
            other => tracing::debug!(id = other, "unknown tray menu item"),
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main_window(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(())
}

fn toggle_monitoring<R: Runtime>(app: &AppHandle<R>) {
    let shell = app.state::<Shell>();
    let current = match shell.app().and_then(|a| a.monitoring().map_err(Into::into)) {
        Ok(current) => current,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the monitoring state");
            return;
        }
    };
    if let Err(err) = apply_monitoring(app, &shell, current.toggled()) {
        tracing::error!(error = %err, "cannot change the monitoring state");
    }
}

/// Relabels the menu item and recolours the icon after a state change.
pub fn show_monitoring<R: Runtime>(app: &AppHandle<R>, monitoring: Monitoring) {
    if let Some(items) = app.try_state::<TrayItems<R>>() {
        let _ = items.toggle.set_text(toggle_label(monitoring));
    }
    refresh(app);
}

/// Recolours the icon and rewrites the tooltip from the database.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let (monitoring, standing) = current(app);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        if let Ok(image) = icon(monitoring, standing.level) {
            let _ = tray.set_icon(Some(image));
        }
        let _ = tray.set_tooltip(Some(tooltip(monitoring, &standing)));
    }
}
