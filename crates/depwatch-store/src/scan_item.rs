//! The resumable historical scan: one row per perimeter repository, pending → running →
//! done | failed. A restarted scan picks up the pending (and interrupted) rows only.

use crate::enum_column::{enum_col, text_enum};
use crate::instance::InstanceId;
use crate::repository::RepositoryId;
use crate::{Store, StoreError};

text_enum! {
    /// Where one repository is in the historical scan.
    pub enum ScanItemState {
        Pending => "pending",
        Running => "running",
        Done => "done",
        Failed => "failed",
    }
}

/// Counts per state of an instance's historical scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanCounts {
    pub pending: u64,
    pub running: u64,
    pub done: u64,
    pub failed: u64,
}

impl ScanCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.running + self.done + self.failed
    }

    /// Done or failed.
    pub fn finished(&self) -> u64 {
        self.done + self.failed
    }
}

/// One repository's scan row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanItem {
    pub repository_id: RepositoryId,
    pub project_key: String,
    pub slug: String,
    pub state: ScanItemState,
    pub error: Option<String>,
    pub started_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
}

impl Store {
    /// Starts a new historical scan of `repositories`: replaces the instance's rows with
    /// pending ones, in one transaction.
    pub fn scan_items_start(
        &self,
        instance: InstanceId,
        repositories: &[RepositoryId],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.prepare_cached("DELETE FROM scan_item WHERE instance_id = ?1")?.execute([instance.0])?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO scan_item (repository_id, instance_id) VALUES (?1, ?2)
                 ON CONFLICT (repository_id) DO UPDATE SET instance_id = excluded.instance_id,
                     state = 'pending', error = NULL, started_at = NULL, finished_at = NULL",
            )?;
            for r in repositories {
                stmt.execute([r.0, instance.0])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Prepares a resumed scan: rows left `running` by a scan that stopped midway go back to
    /// pending, and with `retry_failed` failed ones too. Returns how many rows were reset.
    pub fn scan_items_resume(
        &self,
        instance: InstanceId,
        retry_failed: bool,
    ) -> Result<usize, StoreError> {
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE scan_item SET state = 'pending', error = NULL, started_at = NULL
                 WHERE instance_id = ?1 AND (state = 'running' OR (?2 AND state = 'failed'))",
            )?
            .execute(rusqlite::params![instance.0, retry_failed])?;
        Ok(n)
    }

    /// The pending repositories of the instance's scan, in project/slug order.
    pub fn scan_items_pending(
        &self,
        instance: InstanceId,
    ) -> Result<Vec<RepositoryId>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT s.repository_id FROM scan_item s JOIN repository r ON r.id = s.repository_id
             WHERE s.instance_id = ?1 AND s.state = 'pending' ORDER BY r.project_key, r.slug",
        )?;
        let rows = stmt
            .query_map([instance.0], |r| Ok(RepositoryId(r.get(0)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Moves one repository's row to `state` (with the error for `failed`).
    pub fn scan_item_set(
        &self,
        repository: RepositoryId,
        state: ScanItemState,
        error: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "UPDATE scan_item SET state = ?2, error = ?3,
                        started_at = CASE WHEN ?2 = 'running' THEN ?4 ELSE started_at END,
                        finished_at = CASE WHEN ?2 IN ('done', 'failed') THEN ?4 ELSE NULL END
                 WHERE repository_id = ?1",
            )?
            .execute(rusqlite::params![repository.0, state.as_str(), error, now_ms])?;
        Ok(())
    }

    /// Counts per state.
    pub fn scan_counts(&self, instance: InstanceId) -> Result<ScanCounts, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT state, count(*) FROM scan_item WHERE instance_id = ?1 GROUP BY state",
        )?;
        let mut counts = ScanCounts::default();
        let rows = stmt
            .query_map([instance.0], |r| {
                Ok((enum_col(r, 0, ScanItemState::parse)?, r.get::<_, i64>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (state, n) in rows {
            let n = n.max(0) as u64;
            match state {
                ScanItemState::Pending => counts.pending = n,
                ScanItemState::Running => counts.running = n,
                ScanItemState::Done => counts.done = n,
                ScanItemState::Failed => counts.failed = n,
            }
        }
        Ok(counts)
    }

    /// Every row of the instance's scan (optionally only one state), by project and slug.
    pub fn scan_items(
        &self,
        instance: InstanceId,
        state: Option<ScanItemState>,
    ) -> Result<Vec<ScanItem>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT s.repository_id, r.project_key, r.slug, s.state, s.error, s.started_at,
                    s.finished_at
             FROM scan_item s JOIN repository r ON r.id = s.repository_id
             WHERE s.instance_id = ?1 AND (?2 IS NULL OR s.state = ?2)
             ORDER BY r.project_key, r.slug",
        )?;
        let rows = stmt
            .query_map(rusqlite::params![instance.0, state.map(ScanItemState::as_str)], |row| {
                Ok(ScanItem {
                    repository_id: RepositoryId(row.get(0)?),
                    project_key: row.get(1)?,
                    slug: row.get(2)?,
                    state: enum_col(row, 3, ScanItemState::parse)?,
                    error: row.get(4)?,
                    started_at_ms: row.get(5)?,
                    finished_at_ms: row.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repository::RepositoryUpsert;

    #[test]
    fn an_interrupted_scan_resumes_with_the_unfinished_repositories() {
        let (store, instance) = crate::fixture::store_with_instance();
        let slugs = ["a", "b", "c", "d"];
        let upserts: Vec<_> = slugs
            .iter()
            .enumerate()
            .map(|(i, slug)| RepositoryUpsert {
                bb_id: i as i64,
                project_key: "P",
                slug,
                name: None,
                archived: false,
                personal: false,
            })
            .collect();
        store.repositories_upsert(instance, &upserts).unwrap();
        let ids: Vec<_> =
            store.repositories(instance, None).unwrap().iter().map(|r| r.id).collect();
        store.scan_items_start(instance, &ids).unwrap();
        assert_eq!(store.scan_items_pending(instance).unwrap(), ids);

        store.scan_item_set(ids[0], ScanItemState::Running, None, 1).unwrap();
        store.scan_item_set(ids[0], ScanItemState::Done, None, 2).unwrap();
        store.scan_item_set(ids[1], ScanItemState::Running, None, 3).unwrap();
        store.scan_item_set(ids[2], ScanItemState::Running, None, 3).unwrap();
        store.scan_item_set(ids[2], ScanItemState::Failed, Some("HTTP 500"), 4).unwrap();
        // The app quits here; ids[1] was running.
        assert_eq!(store.scan_items_resume(instance, false).unwrap(), 1);
        assert_eq!(store.scan_items_pending(instance).unwrap(), vec![ids[1], ids[3]]);
        let counts = store.scan_counts(instance).unwrap();
        assert_eq!((counts.pending, counts.done, counts.failed, counts.total()), (2, 1, 1, 4));
        let failed = store.scan_items(instance, Some(ScanItemState::Failed)).unwrap();
        assert_eq!(failed[0].error.as_deref(), Some("HTTP 500"));
        assert_eq!((failed[0].started_at_ms, failed[0].finished_at_ms), (Some(3), Some(4)));
        assert_eq!(store.scan_items_resume(instance, true).unwrap(), 1);
        assert_eq!(store.scan_items_pending(instance).unwrap().len(), 3);
    }
}
