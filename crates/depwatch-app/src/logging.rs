//! Logging to stderr and to a daily-rotated file in the data directory.

use crate::DataDir;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Keeps the background log writer alive; dropping it flushes the file.
#[must_use = "dropping the guard stops file logging"]
pub struct LogGuard {
    _file: tracing_appender::non_blocking::WorkerGuard,
}

#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("cannot set up the log file in {dir}: {message}")]
    File { dir: String, message: String },
    #[error("logging was already initialised: {0}")]
    AlreadyInitialised(String),
}

/// How many daily log files are kept before the oldest is deleted.
const KEPT_LOG_FILES: usize = 14;

/// Installs the global subscriber: `RUST_LOG`-style filter (`DEPWATCH_LOG` first), default
/// `info`; human-readable lines to stderr and to `<data>/logs/depwatch.YYYY-MM-DD.log`.
pub fn init_logging(data_dir: &DataDir, program: &str) -> Result<LogGuard, LoggingError> {
    let dir = data_dir.log_dir();
    // The appender prunes old files at start and complains when the folder is missing.
    std::fs::create_dir_all(&dir).map_err(|e| LoggingError::File {
        dir: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(program)
        .filename_suffix("log")
        .max_log_files(KEPT_LOG_FILES)
        .build(&dir)
        .map_err(|e| LoggingError::File {
            dir: dir.display().to_string(),
            message: e.to_string(),
        })?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        std::env::var("DEPWATCH_LOG").ok().and_then(|v| EnvFilter::try_new(v).ok()).unwrap_or_else(
            || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        );
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(fmt::layer().with_ansi(false).with_writer(file_writer))
        .try_init()
        .map_err(|e| LoggingError::AlreadyInitialised(e.to_string()))?;
    Ok(LogGuard { _file: guard })
}
