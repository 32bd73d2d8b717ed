//! The last commit processed per ref, so catch-up polling knows what it has already seen.

use crate::repository::RepositoryId;
use crate::{Store, StoreError};

/// A ref's processed head.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefState {
    pub ref_id: String,
    pub head_commit: Option<String>,
    /// The ref was deleted on the server.
    pub gone: bool,
    pub updated_at_ms: i64,
}

impl Store {
    /// The refs of a repository depwatch has processed, by ref id.
    pub fn ref_states(&self, repository: RepositoryId) -> Result<Vec<RefState>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT ref_id, head_commit, gone, updated_at FROM ref_state
             WHERE repository_id = ?1 ORDER BY ref_id",
        )?;
        let rows = stmt
            .query_map([repository.0], |row| {
                Ok(RefState {
                    ref_id: row.get(0)?,
                    head_commit: row.get(1)?,
                    gone: row.get(2)?,
                    updated_at_ms: row.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records a ref's head without a snapshot (an empty repository, a deleted ref).
    pub fn ref_state_set(
        &self,
        repository: RepositoryId,
        ref_id: &str,
        head_commit: Option<&str>,
        gone: bool,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO ref_state (repository_id, ref_id, head_commit, gone, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (repository_id, ref_id) DO UPDATE
                 SET head_commit = excluded.head_commit, gone = excluded.gone,
                     updated_at = excluded.updated_at",
            )?
            .execute(rusqlite::params![repository.0, ref_id, head_commit, gone, now_ms])?;
        Ok(())
    }
}
