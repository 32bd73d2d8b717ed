//! State the shell manages for Tauri.

use crate::{CommandError, ErrorCode};
use depwatch_app::App;
use std::sync::Arc;

/// The open app, or why it could not be opened (the UI shows that instead of crashing).
pub struct Shell {
    app: Result<Arc<App>, String>,
}

impl Shell {
    pub fn new(app: Result<App, String>) -> Shell {
        Shell { app: app.map(Arc::new) }
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
