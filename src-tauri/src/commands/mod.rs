//! Tauri commands, one module per domain. Each is thin: DTO in, `depwatch-app` call, DTO out.
//!
//! Commands are `async`: Tauri runs synchronous commands on the main (UI) thread, so anything
//! touching the database, the keychain or the network runs on the async runtime, with blocking
//! calls inside [`blocking`].

pub mod advisory;
pub mod app;
pub mod connection;
pub mod dashboard;
pub mod external;
pub mod finding;
pub mod oauth;
pub mod perimeter;
pub mod push;
pub mod repository;
pub mod scan;
pub mod settings;
mod view;

use crate::CommandError;
use serde::Serialize;

/// `BackendErrorPayload` in `types.ts`, inside a DTO (a failed step, a failed source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorPayload {
    pub code: String,
    pub message: String,
}

impl ErrorPayload {
    pub fn new(code: &str, message: impl Into<String>) -> ErrorPayload {
        ErrorPayload { code: code.to_owned(), message: message.into() }
    }
}

/// Runs blocking work (SQLite, the OS keychain, downloads) off the async workers.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, CommandError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Ok(tauri::async_runtime::spawn_blocking(work).await?)
}

/// Unix milliseconds → RFC 3339 UTC with second precision (`2026-11-21T22:34:16Z`).
pub(crate) fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_second(ms.div_euclid(1000))
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_rfc3339_utc_seconds() {
        assert_eq!(super::rfc3339(1_795_300_456_789), "2026-11-21T22:34:16Z");
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
