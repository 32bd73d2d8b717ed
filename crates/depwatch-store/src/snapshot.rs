//! Snapshots: what one ref of a repository contained at one commit, and the diff of its
//! findings against the ref's previous snapshot.

use crate::enum_column::{enum_col, text_enum};
use crate::finding::{self, FindingKey, FindingOrigin, FindingRecord, FindingState, NewFinding};
use crate::repository::RepositoryId;
use crate::{Store, StoreError};
use rusqlite::OptionalExtension;
use std::collections::{BTreeMap, BTreeSet};

/// Row id of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct SnapshotId(pub i64);

text_enum! {
    /// How depwatch learnt of the commit a snapshot records.
    pub enum SnapshotVia {
        /// A scan (the historical scan of the default branch, a rescan).
        Scan => "scan",
        /// A push webhook (native or Web Post Hooks).
        Webhook => "webhook",
        /// Catch-up polling found the ref had moved.
        Poll => "poll",
    }
}

/// One package of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPackage {
    pub manifest: String,
    pub ecosystem: String,
    pub name: String,
    /// The installed version, or the declared range when `pinned` is false.
    pub version: String,
    pub pinned: bool,
    pub direct: Option<bool>,
    /// `prod`, `dev`, `optional`, `peer` or `unknown` (`depwatch_core::Scope`).
    pub scope: String,
    /// `registry`, `git`, `path`, `url` or `workspace` (`depwatch_core::Source`).
    pub source: String,
    /// Where the file records the package (install paths, descriptors).
    pub paths: Vec<String>,
}

/// A scanned ref at one commit.
#[derive(Debug, Clone)]
pub struct NewSnapshot<'a> {
    pub repository: RepositoryId,
    /// Full ref id (`refs/heads/main`).
    pub ref_id: &'a str,
    pub commit_id: &'a str,
    /// The ref's previous head when the push or poll named one.
    pub from_commit: Option<&'a str>,
    /// Display name of the pusher or commit author, when known.
    pub author: Option<&'a str>,
    pub via: SnapshotVia,
    /// Recorded on the findings this snapshot introduces.
    pub origin: FindingOrigin,
    pub scanned_at_ms: i64,
    /// The manifests read, with their diagnostics, as a JSON array (the app's shape).
    pub manifests_json: &'a str,
    pub packages: &'a [SnapshotPackage],
    pub findings: &'a [NewFinding],
}

/// A stored snapshot (without its packages).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotRecord {
    pub id: SnapshotId,
    pub repository_id: RepositoryId,
    pub ref_id: String,
    pub commit_id: String,
    pub from_commit: Option<String>,
    pub author: Option<String>,
    pub via: SnapshotVia,
    pub scanned_at_ms: i64,
    pub manifests_json: String,
    pub package_count: u64,
}

/// What the snapshots say about how a repository's changes reach depwatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryActivity {
    pub repository: RepositoryId,
    /// The newest snapshot from a webhook or a poll.
    pub last_push_at_ms: Option<i64>,
    pub last_webhook_at_ms: Option<i64>,
    pub last_poll_at_ms: Option<i64>,
}

/// How a snapshot's findings compare with the ref's previous snapshot.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SnapshotDiff {
    pub snapshot: SnapshotId,
    /// New since the previous snapshot (first seen at this commit).
    pub introduced: Vec<FindingRecord>,
    /// Present before, gone now (fixed at this commit).
    pub fixed: Vec<FindingRecord>,
    /// Present before and still present.
    pub unchanged: Vec<FindingRecord>,
}

impl Store {
    /// Stores a snapshot with its packages and diffs its findings against the ones still
    /// present on the same ref, all in one transaction: new ones are inserted (first seen
    /// here), vanished ones are marked fixed here (and closed, unless ignored), the rest are
    /// left as they are. Also records the commit as the ref's processed head and the
    /// repository's last scan time.
    pub fn store_snapshot(&self, new: &NewSnapshot<'_>) -> Result<SnapshotDiff, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let snapshot: i64 = tx
            .prepare_cached(
                "INSERT INTO snapshot (repository_id, ref_id, commit_id, scanned_at, manifests,
                                       from_commit, author, via)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
            )?
            .query_row(
                rusqlite::params![
                    new.repository.0,
                    new.ref_id,
                    new.commit_id,
                    new.scanned_at_ms,
                    new.manifests_json,
                    new.from_commit,
                    new.author,
                    new.via.as_str(),
                ],
                |r| r.get(0),
            )?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO snapshot_package (snapshot_id, manifest, ecosystem, name, version,
                                               direct, scope, pinned, source, paths)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for p in new.packages {
                let paths = encode_json("package paths", &p.paths)?;
                stmt.execute(rusqlite::params![
                    snapshot,
                    p.manifest,
                    p.ecosystem,
                    p.name,
                    p.version,
                    p.direct,
                    p.scope,
                    p.pinned,
                    p.source,
                    paths,
                ])?;
            }
        }
        let present: Vec<FindingRecord> = tx
            .prepare_cached(&format!(
                "SELECT {} FROM finding f
                 WHERE f.repository_id = ?1 AND f.ref_id = ?2 AND f.fixed_at IS NULL",
                finding::COLUMNS
            ))?
            .query_map(rusqlite::params![new.repository.0, new.ref_id], finding::from_row)?
            .collect::<Result<_, _>>()?;
        let mut before: BTreeMap<FindingKey, FindingRecord> =
            present.into_iter().map(|f| (f.key(), f)).collect();
        // Duplicates in the input (the same advisory reported twice) count once.
        let mut seen: BTreeSet<FindingKey> = BTreeSet::new();
        let mut introduced = Vec::new();
        let mut unchanged = Vec::new();
        for f in new.findings {
            let key = f.key();
            if !seen.insert(key.clone()) {
                continue;
            }
            if let Some(existing) = before.remove(&key) {
                unchanged.push(existing);
                continue;
            }
            let aliases = encode_json("finding aliases", &f.aliases)?;
            let path = encode_json("dependency path", &f.dependency_path)?;
            let record = tx
                .prepare_cached(&format!(
                    "INSERT INTO finding (repository_id, ref_id, advisory_id, aliases,
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
                        new.repository.0,
                        new.ref_id,
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
                        snapshot,
                        new.commit_id,
                        new.scanned_at_ms,
                        new.origin.as_str(),
                        f.direct,
                        path,
                    ],
                    finding::from_row,
                )?;
            introduced.push(record);
        }
        let mut fixed = Vec::with_capacity(before.len());
        for (_, old) in before {
            let record = tx
                .prepare_cached(&format!(
                    "UPDATE finding SET fixed_in_snapshot = ?2, fixed_in_commit = ?3,
                            fixed_at = ?4,
                            state = CASE WHEN state = 'ignored' THEN state ELSE 'closed' END,
                            state_reason = CASE WHEN state = 'ignored' THEN state_reason
                                                ELSE 'fixed' END,
                            state_changed_at = CASE WHEN state = 'ignored' THEN state_changed_at
                                                    ELSE ?4 END
                     WHERE id = ?1 RETURNING {}",
                    finding::COLUMNS.replace("f.", "")
                ))?
                .query_row(
                    rusqlite::params![old.id.0, snapshot, new.commit_id, new.scanned_at_ms],
                    finding::from_row,
                )?;
            if old.state != FindingState::Ignored {
                finding::record_state_change(
                    &tx,
                    record.id,
                    FindingState::Closed,
                    Some("fixed"),
                    new.scanned_at_ms,
                )?;
            }
            fixed.push(record);
        }
        tx.prepare_cached(
            "INSERT INTO ref_state (repository_id, ref_id, head_commit, gone, updated_at)
             VALUES (?1, ?2, ?3, 0, ?4)
             ON CONFLICT (repository_id, ref_id) DO UPDATE
             SET head_commit = excluded.head_commit, gone = 0, updated_at = excluded.updated_at",
        )?
        .execute(rusqlite::params![
            new.repository.0,
            new.ref_id,
            new.commit_id,
            new.scanned_at_ms
        ])?;
        tx.prepare_cached("UPDATE repository SET last_scanned_at = ?2 WHERE id = ?1")?
            .execute(rusqlite::params![new.repository.0, new.scanned_at_ms])?;
        tx.commit()?;
        Ok(SnapshotDiff { snapshot: SnapshotId(snapshot), introduced, fixed, unchanged })
    }

    /// The newest snapshot of a ref.
    pub fn latest_snapshot(
        &self,
        repository: RepositoryId,
        ref_id: &str,
    ) -> Result<Option<SnapshotRecord>, StoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!(
                "SELECT {SNAPSHOT_COLUMNS} FROM snapshot s
                     WHERE s.repository_id = ?1 AND s.ref_id = ?2 ORDER BY s.id DESC LIMIT 1"
            ))?
            .query_row(rusqlite::params![repository.0, ref_id], snapshot_from_row)
            .optional()?;
        Ok(row)
    }

    /// The packages of a snapshot, by manifest, ecosystem and name.
    pub fn snapshot_packages(
        &self,
        snapshot: SnapshotId,
    ) -> Result<Vec<SnapshotPackage>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT manifest, ecosystem, name, version, direct, scope, pinned, source, paths
             FROM snapshot_package
             WHERE snapshot_id = ?1 ORDER BY manifest, ecosystem, name, version",
        )?;
        let rows = stmt
            .query_map([snapshot.0], |row| {
                Ok(SnapshotPackage {
                    manifest: row.get(0)?,
                    ecosystem: row.get(1)?,
                    name: row.get(2)?,
                    version: row.get(3)?,
                    direct: row.get(4)?,
                    scope: row.get(5)?,
                    pinned: row.get(6)?,
                    source: row.get(7)?,
                    paths: finding::json_strings(row, 8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Snapshots newest first (every processed push, poll and scan), of one repository or
    /// all; at most `limit`.
    pub fn snapshots(
        &self,
        repository: Option<RepositoryId>,
        limit: u32,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshot s
             WHERE (?1 IS NULL OR s.repository_id = ?1)
             ORDER BY s.scanned_at DESC, s.id DESC LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(rusqlite::params![repository.map(|r| r.0), limit], snapshot_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The newest snapshot of every ref of every repository (or of one repository).
    pub fn latest_snapshots(
        &self,
        repository: Option<RepositoryId>,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshot s
             WHERE s.id IN (SELECT max(id) FROM snapshot
                            WHERE ?1 IS NULL OR repository_id = ?1
                            GROUP BY repository_id, ref_id)
             ORDER BY s.repository_id, s.ref_id"
        ))?;
        let rows = stmt
            .query_map(rusqlite::params![repository.map(|r| r.0)], snapshot_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The findings a snapshot introduced (first seen there) and fixed (gone there). Findings
    /// a new advisory brought later are recorded against the then-latest snapshot but were not
    /// introduced by it, so they are left out.
    pub fn snapshot_findings(
        &self,
        snapshot: SnapshotId,
    ) -> Result<(Vec<FindingRecord>, Vec<FindingRecord>), StoreError> {
        let conn = self.conn();
        let mut introduced = conn.prepare_cached(&format!(
            "SELECT {} FROM finding f WHERE f.first_seen_snapshot = ?1 AND f.origin != 'advisory'
             ORDER BY f.id",
            finding::COLUMNS
        ))?;
        let introduced = introduced
            .query_map([snapshot.0], finding::from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let mut fixed = conn.prepare_cached(&format!(
            "SELECT {} FROM finding f WHERE f.fixed_in_snapshot = ?1 ORDER BY f.id",
            finding::COLUMNS
        ))?;
        let fixed =
            fixed.query_map([snapshot.0], finding::from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok((introduced, fixed))
    }

    /// Per repository with snapshots: when a push (webhook or poll) was last processed, when
    /// the last webhook delivery led to a snapshot, and whether polling ever found a change.
    pub fn repository_activity(&self) -> Result<Vec<RepositoryActivity>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT repository_id,
                    max(CASE WHEN via != 'scan' THEN scanned_at END),
                    max(CASE WHEN via = 'webhook' THEN scanned_at END),
                    max(CASE WHEN via = 'poll' THEN scanned_at END)
             FROM snapshot GROUP BY repository_id ORDER BY repository_id",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok(RepositoryActivity {
                    repository: RepositoryId(row.get(0)?),
                    last_push_at_ms: row.get(1)?,
                    last_webhook_at_ms: row.get(2)?,
                    last_poll_at_ms: row.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How many snapshots a repository has (all refs).
    pub fn snapshot_count(&self, repository: RepositoryId) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .prepare_cached("SELECT count(*) FROM snapshot WHERE repository_id = ?1")?
            .query_row([repository.0], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }
}

pub(crate) const SNAPSHOT_COLUMNS: &str = "s.id, s.repository_id, s.ref_id, s.commit_id, \
    s.from_commit, s.author, s.via, s.scanned_at, s.manifests, \
    (SELECT count(*) FROM snapshot_package p WHERE p.snapshot_id = s.id)";

pub(crate) fn snapshot_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotRecord> {
    Ok(SnapshotRecord {
        id: SnapshotId(row.get(0)?),
        repository_id: RepositoryId(row.get(1)?),
        ref_id: row.get(2)?,
        commit_id: row.get(3)?,
        from_commit: row.get(4)?,
        author: row.get(5)?,
        via: enum_col(row, 6, SnapshotVia::parse)?,
        scanned_at_ms: row.get(7)?,
        manifests_json: row.get(8)?,
        package_count: row.get::<_, i64>(9)?.max(0) as u64,
    })
}

fn encode_json(what: &'static str, value: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode { what, message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FindingFilter, FindingId, FindingState};
    use crate::repository::RepositoryUpsert;

    fn store_with_repo() -> (Store, RepositoryId) {
        let (store, instance) = crate::fixture::store_with_instance();
        store
            .repositories_upsert(
                instance,
                &[RepositoryUpsert {
                    bb_id: 7,
                    project_key: "SHOP",
                    slug: "web",
                    name: None,
                    archived: false,
                    personal: false,
                }],
            )
            .unwrap();
        let repo = store.repository_by_slug(instance, "SHOP", "web").unwrap().unwrap().id;
        (store, repo)
    }

    fn finding(id: &str, package: &str, version: &str) -> NewFinding {
        NewFinding {
            advisory_id: id.into(),
            aliases: vec![format!("CVE-{id}")],
            ecosystem: "crates.io".into(),
            package: package.into(),
            version: version.into(),
            manifest: "Cargo.lock".into(),
            severity: "high".into(),
            score: Some(7.5),
            kind: "vulnerability".into(),
            fixed_version: Some("9.9.9".into()),
            summary: None,
            direct: Some(false),
            dependency_path: vec!["app@0.1.0".into(), format!("{package}@{version}")],
        }
    }

    fn snap<'a>(
        repo: RepositoryId,
        commit: &'a str,
        at: i64,
        findings: &'a [NewFinding],
    ) -> NewSnapshot<'a> {
        NewSnapshot {
            repository: repo,
            ref_id: "refs/heads/main",
            commit_id: commit,
            from_commit: None,
            author: None,
            via: SnapshotVia::Scan,
            origin: FindingOrigin::Scan,
            scanned_at_ms: at,
            manifests_json: "[]",
            packages: &[],
            findings,
        }
    }

    fn ids(records: &[FindingRecord]) -> Vec<&str> {
        records.iter().map(|f| f.advisory_id.as_str()).collect()
    }

    #[test]
    fn the_tally_counts_unresolved_findings_still_present() {
        let (store, repo) = store_with_repo();
        let mut low = finding("C", "regex", "1.0.0");
        low.severity = "low".into();
        let mut info = finding("D", "term", "0.5.0");
        info.kind = "unmaintained".into();
        info.severity = "unknown".into();
        let first = [finding("A", "time", "0.1.43"), finding("B", "smallvec", "0.6.9"), low, info];
        let diff = store.store_snapshot(&snap(repo, "c1", 1, &first)).unwrap();
        let b = diff.introduced.iter().find(|f| f.advisory_id == "B").unwrap().id;
        store.finding_set_state(b, FindingState::Acknowledged, None, None, None, 1).unwrap();
        let c = diff.introduced.iter().find(|f| f.advisory_id == "C").unwrap().id;
        store.finding_set_state(c, FindingState::Closed, Some("mitigated"), None, None, 1).unwrap();
        // A is fixed by the next commit; B (acknowledged) and D stay.
        store.store_snapshot(&snap(repo, "c2", 2, &first[1..])).unwrap();
        let mut tally: Vec<(String, String, u64)> = store
            .open_finding_tally()
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.severity, t.count))
            .collect();
        tally.sort();
        assert_eq!(
            tally,
            [
                ("unmaintained".to_owned(), "unknown".to_owned(), 1),
                ("vulnerability".to_owned(), "high".to_owned(), 1),
            ]
        );
    }

    #[test]
    fn successive_snapshots_attribute_introduced_and_fixed_findings() {
        let (store, repo) = store_with_repo();
        let first = [finding("A", "time", "0.1.43"), finding("B", "smallvec", "0.6.9")];
        let d1 = store.store_snapshot(&snap(repo, "c1", 10, &first)).unwrap();
        assert_eq!(ids(&d1.introduced), ["A", "B"]);
        assert!(d1.fixed.is_empty() && d1.unchanged.is_empty());
        assert_eq!(d1.introduced[0].aliases, ["CVE-A"]);

        // B is ignored by the user, then the push fixes A and B and brings C.
        store
            .finding_set_state(
                d1.introduced[1].id,
                FindingState::Ignored,
                Some("not reachable"),
                None,
                None,
                15,
            )
            .unwrap();
        let second = [finding("C", "time", "0.1.44")];
        let d2 = store.store_snapshot(&snap(repo, "c2", 20, &second)).unwrap();
        assert_eq!(ids(&d2.introduced), ["C"]);
        assert_eq!(ids(&d2.fixed), ["A", "B"]);
        let fixed_a = &d2.fixed[0];
        assert_eq!(fixed_a.state, FindingState::Closed);
        assert_eq!(fixed_a.state_reason.as_deref(), Some("fixed"));
        assert_eq!(
            (fixed_a.fixed_in_commit.as_deref(), fixed_a.fixed_at_ms),
            (Some("c2"), Some(20))
        );
        assert_eq!(fixed_a.first_seen_commit, "c1");
        assert_eq!(d2.fixed[1].state, FindingState::Ignored, "ignored stays ignored");

        // Same content again: nothing new, nothing fixed; A coming back is a new finding.
        let third = [
            finding("C", "time", "0.1.44"),
            finding("C", "time", "0.1.44"),
            finding("A", "time", "0.1.43"),
        ];
        let d3 = store.store_snapshot(&snap(repo, "c3", 30, &third)).unwrap();
        assert_eq!(ids(&d3.unchanged), ["C"]);
        assert_eq!(ids(&d3.introduced), ["A"]);
        assert_eq!(d3.introduced[0].first_seen_commit, "c3");

        let present = store
            .findings(&FindingFilter { present_only: true, ..FindingFilter::default() })
            .unwrap();
        assert_eq!(present.len(), 2);
        assert_eq!(store.findings(&FindingFilter::default()).unwrap().len(), 4);
        let latest = store.latest_snapshot(repo, "refs/heads/main").unwrap().unwrap();
        assert_eq!((latest.commit_id.as_str(), latest.id), ("c3", d3.snapshot));
        assert_eq!(store.snapshot_count(repo).unwrap(), 3);
        let head = store.ref_states(repo).unwrap();
        assert_eq!(head.len(), 1);
        assert_eq!(head[0].head_commit.as_deref(), Some("c3"));
        assert_eq!(store.repository(repo).unwrap().unwrap().last_scanned_at_ms, Some(30));
    }

    #[test]
    fn packages_are_stored_with_the_snapshot() {
        let (store, repo) = store_with_repo();
        let packages = [SnapshotPackage {
            manifest: "Cargo.lock".into(),
            ecosystem: "crates.io".into(),
            name: "time".into(),
            version: "0.1.43".into(),
            direct: Some(true),
            scope: "prod".into(),
            pinned: true,
            source: "registry".into(),
            paths: vec!["node_modules/time".into()],
        }];
        let new = NewSnapshot { packages: &packages, ..snap(repo, "c1", 1, &[]) };
        let diff = store.store_snapshot(&new).unwrap();
        assert_eq!(store.snapshot_packages(diff.snapshot).unwrap(), packages);
        assert_eq!(
            store.latest_snapshot(repo, "refs/heads/main").unwrap().unwrap().package_count,
            1
        );
    }

    #[test]
    fn an_expired_ignore_reopens_at_its_end_and_the_history_records_it() {
        let (store, repo) = store_with_repo();
        let found = [finding("A", "time", "0.1.43"), finding("B", "smallvec", "0.6.9")];
        let d1 = store.store_snapshot(&snap(repo, "c1", 10, &found)).unwrap();
        let (a, b) = (d1.introduced[0].id, d1.introduced[1].id);
        assert_eq!(d1.introduced[0].dependency_path, ["app@0.1.0", "time@0.1.43"]);
        assert_eq!(d1.introduced[0].origin, FindingOrigin::Scan);
        assert_eq!(d1.introduced[0].direct, Some(false));
        store
            .finding_set_state(a, FindingState::Ignored, Some("later"), None, Some(100), 20)
            .unwrap();
        store
            .finding_set_state(b, FindingState::Ignored, Some("later"), None, Some(100), 20)
            .unwrap();
        // B is fixed while ignored; when the ignore runs out it is closed as fixed, not reopened.
        store.store_snapshot(&snap(repo, "c2", 50, &found[..1])).unwrap();

        assert!(store.findings_reopen_expired(99).unwrap().is_empty());
        assert_eq!(store.findings_reopen_expired(150).unwrap(), [a, b]);
        assert!(store.findings_reopen_expired(200).unwrap().is_empty(), "only once");
        let a_now = store.finding(a).unwrap().unwrap();
        assert_eq!(
            (a_now.state, a_now.state_until_ms, a_now.state_changed_at_ms),
            (FindingState::Open, None, Some(100))
        );
        let b_now = store.finding(b).unwrap().unwrap();
        assert_eq!(
            (b_now.state, b_now.state_reason.as_deref()),
            (FindingState::Closed, Some("fixed"))
        );

        let history: Vec<_> = store
            .finding_state_changes()
            .unwrap()
            .into_iter()
            .map(|c| (c.finding, c.state, c.at_ms))
            .collect();
        assert_eq!(
            history,
            [
                (a, FindingState::Ignored, 20),
                (a, FindingState::Open, 100),
                (b, FindingState::Ignored, 20),
                (b, FindingState::Closed, 100),
            ]
        );
        assert!(store.finding(FindingId(999)).unwrap().is_none());
    }

    #[test]
    fn a_push_lists_what_it_introduced_not_what_a_later_advisory_found() {
        let (store, repo) = store_with_repo();
        let d1 =
            store.store_snapshot(&snap(repo, "c1", 10, &[finding("A", "time", "0.1.43")])).unwrap();
        let later = store
            .record_advisory_findings(
                repo,
                "refs/heads/main",
                d1.snapshot,
                &[finding("B", "time", "0.1.43")],
                20,
            )
            .unwrap();
        assert_eq!(later.len(), 1);
        let (introduced, fixed) = store.snapshot_findings(d1.snapshot).unwrap();
        assert_eq!((ids(&introduced), fixed.len()), (vec!["A"], 0));
    }
}
