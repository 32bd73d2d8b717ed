//! depwatch's SQLite database.
//!
//! This is the only crate that contains SQL. The schema moves forward only: each migration is
//! an SQL file under `migrations/`, applied in order, and `PRAGMA user_version` records how many
//! have been applied. A database written by a newer depwatch (higher `user_version`) is refused
//! before anything is written to it.

mod advisory;
mod advisory_hit;
mod enum_column;
mod error;
mod finding;
#[cfg(test)]
mod fixture;
mod inbox;
mod instance;
mod migration;
mod ref_state;
mod repository;
mod scan_item;
mod setting;
mod snapshot;

pub use advisory::{
    AdvisorySource, EcosystemCount, ImportMode, ImportStats, MatchableAdvisory, NewAdvisory,
    SourceId, SourceKind, StoredAdvisory, SyncOutcome, SyncResult,
};
pub use error::StoreError;
pub use finding::{
    FindingFilter, FindingId, FindingOrigin, FindingRecord, FindingState, FindingStateChange,
    FindingTally, NewFinding,
};
pub use inbox::{
    ClaimedInboxEntry, InboxId, InboxRecord, InboxState, InsertOutcome, NewInboxEntry,
};
pub use instance::{
    AuthKind, InstanceId, InstanceRecord, InstanceState, InstanceStatus, NewInstance, Perimeter,
    PerimeterMode,
};
pub use migration::{Migration, MIGRATIONS};
pub use ref_state::RefState;
pub use repository::{
    ProjectRecord, ProjectUpsert, RepositoryId, RepositoryRecord, RepositoryUpsert,
    REMOVED_REASON as REPOSITORY_REMOVED_REASON,
};
pub use scan_item::{ScanCounts, ScanItem, ScanItemState};
pub use snapshot::{
    NewSnapshot, RepositoryActivity, SnapshotDiff, SnapshotId, SnapshotPackage, SnapshotRecord,
    SnapshotVia,
};

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The schema version this build of depwatch writes.
pub fn latest_schema_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// An open depwatch database.
///
/// The connection sits behind a mutex: SQLite serializes writers anyway, and the callers
/// (CLI commands, the desktop shell, the pipeline worker) do short transactions.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// What `depwatch db info` shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseInfo {
    pub path: PathBuf,
    pub schema_version: u32,
    pub latest_schema_version: u32,
    pub file_bytes: u64,
    pub wal_bytes: u64,
    pub page_count: u64,
    pub page_size: u64,
    pub journal_mode: String,
    pub tables: Vec<TableInfo>,
}

/// Row count of one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableInfo {
    pub name: String,
    pub rows: u64,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    ///
    /// Fails with [`StoreError::TooNew`] without writing anything when the file was written by a
    /// newer depwatch.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let store = Store::open_unmigrated(path)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens the database without applying migrations (for `depwatch db info`).
    ///
    /// The version check still happens first: a too-new database is refused untouched.
    pub fn open_unmigrated(path: &Path) -> Result<Store, StoreError> {
        let existed = path.exists();
        if !existed {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
        }
        let conn = Connection::open(path)
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        // Opening writes nothing; the version is read before `configure` switches the journal,
        // so a too-new file stays untouched.
        if existed {
            check_not_too_new(&conn, path)?;
        }
        configure(&conn).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        Ok(Store { path: path.to_path_buf(), conn: Mutex::new(conn) })
    }

    /// An in-memory database with the full schema, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()
            .map_err(|source| StoreError::Open { path: PathBuf::from(":memory:"), source })?;
        // As on disk: deletions cascade (the advisory tables rely on it).
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|source| StoreError::Open { path: PathBuf::from(":memory:"), source })?;
        let store = Store { path: PathBuf::from(":memory:"), conn: Mutex::new(conn) };
        store.migrate()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies every pending migration, each in its own transaction. Returns how many ran.
    pub fn migrate(&self) -> Result<u32, StoreError> {
        let mut conn = self.conn();
        migration::apply_pending(&mut conn, &self.path)
    }

    /// The schema version recorded in the file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migration::user_version(&self.conn()).map_err(StoreError::from)
    }

    /// Path, schema version, sizes and row counts.
    pub fn info(&self) -> Result<DatabaseInfo, StoreError> {
        let conn = self.conn();
        let schema_version = migration::user_version(&conn)?;
        let page_count: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let journal_mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        let mut stmt = conn.prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?;
        let names =
            stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        let mut tables = Vec::with_capacity(names.len());
        for name in names {
            // Table names come from sqlite_schema, not from input; quoting guards odd names.
            let rows: i64 = conn.query_row(
                &format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\"")),
                [],
                |r| r.get(0),
            )?;
            tables.push(TableInfo { name, rows: rows.max(0) as u64 });
        }
        let file_bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        let wal_bytes = std::fs::metadata(wal_path(&self.path)).map(|m| m.len()).unwrap_or(0);
        Ok(DatabaseInfo {
            path: self.path.clone(),
            schema_version,
            latest_schema_version: latest_schema_version(),
            file_bytes,
            wal_bytes,
            page_count: page_count.max(0) as u64,
            page_size: page_size.max(0) as u64,
            journal_mode,
            tables,
        })
    }

    /// Locks the connection. A poisoned lock only means another thread panicked mid-call;
    /// SQLite's own transactions keep the file consistent, so the connection stays usable.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn wal_path(path: &Path) -> PathBuf {
    let mut os = path.as_os_str().to_owned();
    os.push("-wal");
    PathBuf::from(os)
}

/// Refuses a file written by a newer depwatch (or one that is not a database).
fn check_not_too_new(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = migration::user_version(conn)
        .map_err(|source| StoreError::NotADatabase { path: path.to_path_buf(), source })?;
    let supported = latest_schema_version();
    if found > supported {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, supported });
    }
    Ok(())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // WAL lets the UI read while the pipeline writes; NORMAL sync is durable across app
    // crashes (not power loss of the last transaction), the usual trade-off for WAL.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}
