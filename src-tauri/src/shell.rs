//! State the shell manages for Tauri.
//!
//! One [`Shell`] is managed: the open [`App`] (shared with background tasks through an `Arc`),
//! and the background work the shell owns next to it — today the historical scan
//! ([`ScanRunner`]). Long-running services (the monitor runtime, notifications) belong here
//! too, each as its own field, so commands reach them through `State<Shell>`.

use crate::{CommandError, ErrorCode};
use depwatch_app::scan_runner::ScanRunner;
use depwatch_app::App;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The open app, or why it could not be opened (the UI shows that instead of crashing).
pub struct Shell {
    app: Result<Arc<App>, String>,
    /// The one background historical scan.
    pub scans: ScanRunner,
    /// An advisory sync started from the UI is running.
    pub advisory_sync: AtomicBool,
}

impl Shell {
    pub fn new(app: Result<App, String>) -> Shell {
        Shell {
            app: app.map(Arc::new),
            scans: ScanRunner::default(),
            advisory_sync: AtomicBool::new(false),
        }
    }

    /// The open app, or a `Database` error carrying the reason it failed to open.
    pub fn app(&self) -> Result<&App, CommandError> {
        self.app
            .as_deref()
            .map_err(|message| CommandError::new(ErrorCode::Database, message.clone()))
    }

    /// The open app as a handle background tasks and `spawn_blocking` closures can own.
    pub fn app_arc(&self) -> Result<Arc<App>, CommandError> {
        self.app
            .as_ref()
            .map(Arc::clone)
            .map_err(|message| CommandError::new(ErrorCode::Database, message.clone()))
    }
}
