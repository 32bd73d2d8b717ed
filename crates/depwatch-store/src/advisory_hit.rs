//! Findings a new or changed advisory brings to packages already in use: recorded against the
//! ref's latest snapshot, with origin `advisory`, without a new snapshot.

use crate::finding::{self, FindingOrigin, FindingRecord, NewFinding};
use crate::repository::RepositoryId;
use crate::snapshot::SnapshotId;
use crate::{Store, StoreError};
use rusqlite::OptionalExtension;

impl Store {
    /// Records the findings of `findings` not already present on the ref, as first seen in
    /// `snapshot` (at its commit) at `at_ms`, with origin `advisory`. Returns the new ones.
    ///
    /// Nothing is written when `snapshot` is no longer the ref's latest (a push was processed
    /// meanwhile; its own matching already used the new advisories). A finding present on the
    /// ref, whatever its state (a user may have closed or ignored it), is not recorded again.
    pub fn record_advisory_findings(
        &self,
        repository: RepositoryId,
        ref_id: &str,
        snapshot: SnapshotId,
        findings: &[NewFinding],
        at_ms: i64,
    ) -> Result<Vec<FindingRecord>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let latest: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT id, commit_id FROM snapshot WHERE repository_id = ?1 AND ref_id = ?2
                 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(rusqlite::params![repository.0, ref_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((latest, commit)) = latest.filter(|(id, _)| *id == snapshot.0) else {
            return Ok(Vec::new());
        };
        let mut recorded = Vec::new();
        for f in findings {
            let aliases = encode(&f.aliases, "finding aliases")?;
            let path = encode(&f.dependency_path, "dependency path")?;
            // The partial unique index on present findings turns a duplicate into no row.
            let row = tx
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO finding (repository_id, ref_id, advisory_id, aliases,
                         ecosystem, package, version, manifest, severity, score, kind,
                         fixed_version, summary, first_seen_snapshot, first_seen_commit,
                         first_seen_at, origin, direct, dependency_path)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                             ?17, ?18, ?19)
                     RETURNING {}",
                    finding::COLUMNS.replace("f.", "")
                ))?
                .query_row(
                    rusqlite::params![
                        repository.0,
                        ref_id,
                        f.advisory_id,
                        aliases,
                        f.ecosystem,
                        f.package,
                        f.version,
                        f.manifest,
                        f.severity,
                        f.score,
                        f.kind,
                        f.fixed_version,
                        f.summary,
                        latest,
                        commit,
                        at_ms,
                        FindingOrigin::Advisory.as_str(),
                        f.direct,
                        path,
                    ],
                    finding::from_row,
                )
                .optional()?;
            recorded.extend(row);
        }
        tx.commit()?;
        Ok(recorded)
    }
}

fn encode<T: serde::Serialize>(value: &T, what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode { what, message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use crate::finding::{FindingOrigin, NewFinding};
    use crate::repository::{RepositoryId, RepositoryUpsert};
    use crate::snapshot::{NewSnapshot, SnapshotVia};
    use crate::Store;

    fn finding(id: &str) -> NewFinding {
        NewFinding {
            advisory_id: id.into(),
            aliases: Vec::new(),
            ecosystem: "crates.io".into(),
            package: "time".into(),
            version: "0.1.43".into(),
            manifest: "Cargo.lock".into(),
            severity: "high".into(),
            score: None,
            kind: "vulnerability".into(),
            fixed_version: None,
            summary: None,
            direct: Some(true),
            dependency_path: vec!["time@0.1.43".into()],
        }
    }

    fn snapshot(
        store: &Store,
        repo: RepositoryId,
        commit: &str,
        findings: &[NewFinding],
    ) -> crate::SnapshotId {
        store
            .store_snapshot(&NewSnapshot {
                repository: repo,
                ref_id: "refs/heads/main",
                commit_id: commit,
                from_commit: None,
                author: None,
                via: SnapshotVia::Webhook,
                origin: FindingOrigin::Push,
                scanned_at_ms: 1,
                manifests_json: "[]",
                packages: &[],
                findings,
            })
            .unwrap()
            .snapshot
    }

    #[test]
    fn new_advisory_findings_are_recorded_once_on_the_latest_snapshot_only() {
        let (store, instance) = crate::fixture::store_with_instance();
        store
            .repositories_upsert(
                instance,
                &[RepositoryUpsert {
                    bb_id: 1,
                    project_key: "SHOP",
                    slug: "web",
                    name: None,
                    archived: false,
                    personal: false,
                }],
            )
            .unwrap();
        let repo = store.repository_by_slug(instance, "SHOP", "web").unwrap().unwrap().id;
        let old = snapshot(&store, repo, "c1", &[finding("A")]);
        let latest = snapshot(&store, repo, "c2", &[finding("A")]);

        let stale = store
            .record_advisory_findings(repo, "refs/heads/main", old, &[finding("B")], 50)
            .unwrap();
        assert!(stale.is_empty(), "an older snapshot is not matched again");

        let new = store
            .record_advisory_findings(
                repo,
                "refs/heads/main",
                latest,
                &[finding("A"), finding("B")],
                50,
            )
            .unwrap();
        assert_eq!(new.len(), 1, "A is already present");
        let b = &new[0];
        assert_eq!((b.advisory_id.as_str(), b.origin), ("B", FindingOrigin::Advisory));
        assert_eq!((b.first_seen_snapshot, b.first_seen_commit.as_str()), (latest, "c2"));
        assert_eq!(b.first_seen_at_ms, 50);
        assert_eq!(b.dependency_path, ["time@0.1.43"]);
        let again = store
            .record_advisory_findings(repo, "refs/heads/main", latest, &[finding("B")], 60)
            .unwrap();
        assert!(again.is_empty(), "recorded once");
    }
}
