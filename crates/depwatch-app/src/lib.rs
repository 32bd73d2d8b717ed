//! depwatch's application layer.
//!
//! The desktop shell and the CLI both go through this crate: it owns where data lives, how
//! logging is set up, and the operations on an open [`App`]. It never depends on Tauri; the
//! shell turns what it returns into UI updates.

mod advisory_db;
mod advisory_refresh;
pub mod alert;
pub mod analysis;
pub mod authorization;
pub mod catch_up;
pub mod change_set;
pub mod connection;
mod data_dir;
pub mod event;
mod historical_scan;
mod instance;
mod intake;
mod logging;
pub mod monitor;
mod monitoring;
mod perimeter;
pub mod perimeter_selection;
mod push_processing;
pub mod ref_filter;
pub mod ref_plan;
mod scan;
pub mod scan_runner;
pub mod settings;
pub mod view;
pub mod webhook_registration;
pub mod webhook_status;
mod worker;

pub use advisory_db::{
    default_source_url, redact_url, AdvisoryDbError, AdvisoryDbInfo, DownloadLimits, ImportReport,
    SourceSync, OSV_BUCKET,
};
pub use advisory_refresh::{AdvisoryRefresh, RematchError, RematchReport};
pub use authorization::{
    Authorization, AuthorizationError, AuthorizationFailure, AuthorizationState,
    AuthorizationStatus, BrowserOpener, CallbackEndpoint, FailureKind, OAuthSetup,
    StartedAuthorization,
};
pub use data_dir::{DataDir, DataDirError, DATA_DIR_ENV};
/// A secret value (token, webhook secret) whose `Debug`/`Display` are redacted.
pub use depwatch_bitbucket::Secret;
pub use intake::WakingInbox;
pub use logging::{init_logging, LogGuard, LoggingError};
pub use monitor::{
    InstanceSecrets, Monitor, MonitorConfig, MonitorError, MonitorHandle, MonitorStatus,
};
pub use monitoring::Monitoring;
pub use scan::{FailOn, ScanError, ScanReport};
pub use settings::{Settings, SettingsError};

/// Compares two versions with `ecosystem`'s ordering rules (for `depwatch versions cmp`).
pub use depwatch_advisories::compare as compare_versions;
pub use event::{Event, EventHub, FindingOrigin, FindingSummary};
pub use historical_scan::{HistoricalScanOptions, HistoricalScanReport};
pub use instance::{
    renewal_due_at, AddInstance, AddedInstance, ConnectionReport, InstanceAuth, InstanceError,
    OAuthSession, PendingAuthorization, SECRET_STORE_ENV,
};
pub use perimeter::InventorySummary;
pub use push_processing::{CatchUpError, CatchUpReport, PushProcessor};
pub use ref_filter::{RefDecision, RefFilter, RefPattern, RefPatternError};
pub use worker::{EntryHandler, Handled, Worker, WorkerStats};

use depwatch_store::{Store, StoreError};

/// An open depwatch installation: its data directory and database.
#[derive(Debug)]
pub struct App {
    data_dir: DataDir,
    store: Store,
    events: EventHub,
    /// Opened on first use: the OS keychain can take a moment (D-Bus) and most commands never
    /// need a secret.
    secrets: std::sync::OnceLock<depwatch_bitbucket::secret::OpenedSecretStore>,
}

/// Why the app could not start or an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the UI's status area and `depwatch db info` show about the installation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub database_path: String,
    pub schema_version: u32,
    pub monitoring: Monitoring,
}

const MONITORING_PAUSED: &str = "monitoring.paused";

impl App {
    /// Opens the installation in `data_dir`, creating the directory and database and applying
    /// migrations on first start.
    pub fn open(data_dir: DataDir) -> Result<App, AppError> {
        data_dir.ensure()?;
        let store = Store::open(&data_dir.database_path())?;
        Ok(App {
            data_dir,
            store,
            events: EventHub::default(),
            secrets: std::sync::OnceLock::new(),
        })
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The event stream (scan progress, findings, authentication problems).
    pub fn events(&self) -> &EventHub {
        &self.events
    }

    /// Version, paths, schema version and monitoring state.
    pub fn info(&self) -> Result<AppInfo, AppError> {
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: self.data_dir.path().display().to_string(),
            database_path: self.store.path().display().to_string(),
            schema_version: self.store.schema_version()?,
            monitoring: self.monitoring()?,
        })
    }

    /// Whether push intake and polling run; persisted across restarts.
    pub fn monitoring(&self) -> Result<Monitoring, AppError> {
        let paused = self.store.setting::<bool>(MONITORING_PAUSED)?.unwrap_or(false);
        Ok(if paused { Monitoring::Paused } else { Monitoring::Active })
    }

    /// Pauses or resumes monitoring and returns the new state.
    pub fn set_monitoring(&self, monitoring: Monitoring) -> Result<Monitoring, AppError> {
        self.store.set_setting(MONITORING_PAUSED, &(monitoring == Monitoring::Paused))?;
        tracing::info!(?monitoring, "monitoring state changed");
        Ok(monitoring)
    }

    /// Open and acknowledged findings overall: the tray's colour and tooltip.
    pub fn standing(&self) -> Result<alert::Standing, AppError> {
        Ok(alert::Standing::from_tally(&self.store.open_finding_tally()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_the_database_and_monitoring_defaults_to_active() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(DataDir::new(dir.path().join("fresh"))).unwrap();
        let info = app.info().unwrap();
        assert_eq!(info.schema_version, depwatch_store::latest_schema_version());
        assert_eq!(info.monitoring, Monitoring::Active);
        assert!(app.data_dir().database_path().exists());
    }

    #[test]
    fn a_fresh_installation_stands_clear() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
        assert_eq!(app.standing().unwrap().level, alert::StandingLevel::Clear);
    }

    #[test]
    fn paused_monitoring_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
        assert_eq!(app.set_monitoring(Monitoring::Paused).unwrap(), Monitoring::Paused);
        drop(app);
        let app = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
        assert_eq!(app.monitoring().unwrap(), Monitoring::Paused);
    }
}
