//! State the shell manages for Tauri.

use crate::{CommandError, ErrorCode};
use depwatch_app::App;

/// The open app, or why it could not be opened (the UI shows that instead of crashing).
pub struct Shell {
    app: Result<App, String>,
}

impl Shell {
    pub fn new(app: Result<App, String>) -> Shell {
        Shell { app }
    }

    /// The open app, or a `Database` error carrying the reason it failed to open.
    pub fn app(&self) -> Result<&App, CommandError> {
        self.app.as_ref().map_err(|message| CommandError::new(ErrorCode::Database, message.clone()))
    }
}
