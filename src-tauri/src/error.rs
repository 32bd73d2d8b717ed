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
    /// No Bitbucket instance is connected yet.
    NotConnected,
    /// The operation is already running (a scan).
    Busy,
    /// A local file could not be read or written.
    Io,
    /// The OS keychain (or the secrets file) failed.
    SecretStore,
    /// Bitbucket failures, classified by `depwatch_app::connection::error_code`.
    Dns,
    ConnectionRefused,
    Tls,
    Timeout,
    Network,
    Unauthorized,
    Forbidden,
    NotBitbucket,
    RateLimited,
    ServerError,
    UnexpectedResponse,
    TooLarge,
    #[serde(rename = "oauth")]
    OAuth,
    /// Another Bitbucket failure.
    Bitbucket,
    /// An advisory source could not be synced.
    Advisories,
}

impl ErrorCode {
    /// The code for one of depwatch-app's string codes (`dns`, `unauthorized`, …).
    pub fn from_code(code: &str) -> ErrorCode {
        match code {
            "invalid-input" => ErrorCode::InvalidInput,
            "not-found" => ErrorCode::NotFound,
            "io" => ErrorCode::Io,
            "dns" => ErrorCode::Dns,
            "connection-refused" => ErrorCode::ConnectionRefused,
            "tls" => ErrorCode::Tls,
            "timeout" => ErrorCode::Timeout,
            "network" => ErrorCode::Network,
            "unauthorized" => ErrorCode::Unauthorized,
            "forbidden" => ErrorCode::Forbidden,
            "not-bitbucket" => ErrorCode::NotBitbucket,
            "rate-limited" => ErrorCode::RateLimited,
            "server-error" => ErrorCode::ServerError,
            "unexpected-response" => ErrorCode::UnexpectedResponse,
            "too-large" => ErrorCode::TooLarge,
            "oauth" => ErrorCode::OAuth,
            _ => ErrorCode::Bitbucket,
        }
    }
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

impl From<depwatch_store::StoreError> for CommandError {
    fn from(err: depwatch_store::StoreError) -> CommandError {
        CommandError::new(ErrorCode::Database, err.to_string())
    }
}

impl From<depwatch_app::InstanceError> for CommandError {
    fn from(err: depwatch_app::InstanceError) -> CommandError {
        use depwatch_app::InstanceError as E;
        let code = match &err {
            E::Store(_) => ErrorCode::Database,
            E::Bitbucket { source, .. } => {
                ErrorCode::from_code(depwatch_app::connection::error_code(source))
            }
            E::Secret(_) => ErrorCode::SecretStore,
            E::NotFound { .. } => ErrorCode::NotFound,
            E::NoneConfigured
            | E::Ambiguous { .. }
            | E::MissingSecret { .. }
            | E::NotAuthorized { .. } => ErrorCode::NotConnected,
            E::CaFile { .. } => ErrorCode::Io,
            E::Invalid(_) => ErrorCode::InvalidInput,
            // InstanceError may grow; anything new is still depwatch's own failure.
            #[allow(unreachable_patterns)]
            _ => ErrorCode::Internal,
        };
        CommandError::new(code, err.to_string())
    }
}

impl From<depwatch_app::connection::ConnectionError> for CommandError {
    fn from(err: depwatch_app::connection::ConnectionError) -> CommandError {
        use depwatch_app::connection::ConnectionError as E;
        match err {
            E::Instance(e) => e.into(),
            E::Store(e) => e.into(),
            E::Secret(e) => CommandError::new(ErrorCode::SecretStore, format!("secret store: {e}")),
            E::Test { code, message } => CommandError::new(ErrorCode::from_code(&code), message),
            E::NotConnected => CommandError::new(
                ErrorCode::NotConnected,
                "No Bitbucket instance is connected; connect one first.",
            ),
        }
    }
}

impl From<depwatch_app::SettingsError> for CommandError {
    fn from(err: depwatch_app::SettingsError) -> CommandError {
        use depwatch_app::SettingsError as E;
        let code = match &err {
            E::Store(_) => ErrorCode::Database,
            E::Secret(_) => ErrorCode::SecretStore,
            E::Advisories(_) => ErrorCode::Advisories,
            E::Invalid { .. } => ErrorCode::InvalidInput,
            E::Random(_) => ErrorCode::Internal,
        };
        CommandError::new(code, err.to_string())
    }
}

impl From<depwatch_app::scan_runner::ScanRunError> for CommandError {
    fn from(err: depwatch_app::scan_runner::ScanRunError) -> CommandError {
        use depwatch_app::scan_runner::ScanRunError as E;
        match err {
            E::Busy => CommandError::new(ErrorCode::Busy, "A scan is already running."),
            E::Instance(e) => e.into(),
            E::Store(e) => e.into(),
            E::Invalid(message) => CommandError::new(ErrorCode::InvalidInput, message),
            E::NoRuntime => CommandError::new(ErrorCode::Internal, E::NoRuntime.to_string()),
        }
    }
}

impl From<depwatch_app::webhook_status::WebhookInstallError> for CommandError {
    fn from(err: depwatch_app::webhook_status::WebhookInstallError) -> CommandError {
        use depwatch_app::webhook_status::WebhookInstallError as E;
        match err {
            E::Instance(e) => e.into(),
            E::Settings(e) => e.into(),
            E::Store(e) => e.into(),
            E::Bitbucket { code, message } => {
                CommandError::new(ErrorCode::from_code(code), message)
            }
            E::Invalid(message) => CommandError::new(ErrorCode::InvalidInput, message),
        }
    }
}

/// A `spawn_blocking` task that panicked or was cancelled.
impl From<tauri::Error> for CommandError {
    fn from(err: tauri::Error) -> CommandError {
        CommandError::new(ErrorCode::Internal, format!("background task failed: {err}"))
    }
}
