//! The typed error every command returns: a stable code the UI can branch on, and a message
//! to show. Never a bare string.

use serde::Serialize;

/// Stable, kebab-case error codes shared with `ui/src/backend/types.ts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The database could not be opened or read (e.g. written by a newer depwatch).
    Database,
    /// Anything else that went wrong inside depwatch.
    Internal,
    /// An argument is unusable (the message names it).
    InvalidInput,
    /// The thing asked for does not exist.
    NotFound,
    /// The thing is not in a state that allows the change (acknowledging a closed finding).
    InvalidState,
}

/// What a failed command sends to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> CommandError {
        CommandError { code, message: message.into() }
    }
}

impl From<depwatch_app::AppError> for CommandError {
    fn from(err: depwatch_app::AppError) -> CommandError {
        let code = match err {
            depwatch_app::AppError::Store(_) => ErrorCode::Database,
            depwatch_app::AppError::DataDir(_) => ErrorCode::Internal,
        };
        CommandError::new(code, err.to_string())
    }
}

impl From<depwatch_app::monitor::MonitorError> for CommandError {
    fn from(err: depwatch_app::monitor::MonitorError) -> CommandError {
        use depwatch_app::monitor::MonitorError;
        let code = match err {
            MonitorError::Store(_) => ErrorCode::Database,
            MonitorError::App(depwatch_app::AppError::Store(_)) => ErrorCode::Database,
            _ => ErrorCode::Internal,
        };
        CommandError::new(code, err.to_string())
    }
}
