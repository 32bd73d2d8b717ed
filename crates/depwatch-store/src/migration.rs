//! Forward-only schema migrations tracked with `PRAGMA user_version`.
//!
//! Append new migrations at the end of [`MIGRATIONS`]; never edit or reorder applied ones.

use crate::StoreError;
use rusqlite::Connection;
use std::path::Path;

/// One schema step. Its version is its 1-based position in [`MIGRATIONS`].
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "0001_settings", sql: include_str!("../migrations/0001_settings.sql") },
    Migration { name: "0002_inbox", sql: include_str!("../migrations/0002_inbox.sql") },
    Migration { name: "0003_advisories", sql: include_str!("../migrations/0003_advisories.sql") },
    Migration { name: "0004_bitbucket", sql: include_str!("../migrations/0004_bitbucket.sql") },
    Migration { name: "0005_views", sql: include_str!("../migrations/0005_views.sql") },
    Migration {
        name: "0006_repository_removed",
        sql: include_str!("../migrations/0006_repository_removed.sql"),
    },
    Migration {
        name: "0007_advisory_match_json",
        sql: include_str!("../migrations/0007_advisory_match_json.sql"),
    },
];

pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

pub(crate) fn apply_pending(conn: &mut Connection, path: &Path) -> Result<u32, StoreError> {
    let current = user_version(conn)?;
    let latest = MIGRATIONS.len() as u32;
    if current > latest {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            supported: latest,
        });
    }
    let mut applied = 0;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as u32 + 1;
        let fail = |source| StoreError::Migration {
            path: path.to_path_buf(),
            version,
            name: migration.name,
            source,
        };
        // Schema change and version bump commit together, so a crash never leaves a
        // half-applied step recorded as done.
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(migration.sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", version).map_err(fail)?;
        tx.commit().map_err(fail)?;
        tracing::info!(version, name = migration.name, "applied database migration");
        applied += 1;
    }
    Ok(applied)
}
