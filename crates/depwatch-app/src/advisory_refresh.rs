//! Re-alerting after an advisory sync: every monitored ref's latest snapshot is matched again
//! against the advisory database, and packages a new (or widened) advisory now affects become
//! findings with origin `advisory` — "a new advisory affects repository X", the alert that
//! needs no push. Withdrawn advisories match nothing, so they bring no finding.

use crate::analysis::new_finding;
use crate::event::{Event, FindingOrigin, FindingSummary};
use crate::instance::now_ms;
use crate::scan::ScanError;
use crate::App;
use depwatch_core::{Dependency, Ecosystem, Scope, Source};
use depwatch_store::{SnapshotPackage, StoreError};

/// What one re-match pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RematchReport {
    /// Refs whose latest snapshot was matched again.
    pub refs: u64,
    /// Findings recorded (each also emitted as `FindingIntroduced` with origin `advisory`).
    pub new_findings: u64,
    /// Stored packages that could not be matched (unknown ecosystem), by `manifest: name`.
    pub skipped_packages: Vec<String>,
}

/// Why a re-match pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum RematchError {
    #[error("re-matching cannot read the database: {0}")]
    Store(#[from] StoreError),
    #[error("re-matching failed: {0}")]
    Match(#[from] ScanError),
}

fn scope(s: &str) -> Scope {
    match s {
        "prod" => Scope::Prod,
        "dev" => Scope::Dev,
        "optional" => Scope::Optional,
        "peer" => Scope::Peer,
        _ => Scope::Unknown,
    }
}

fn source(s: &str) -> Option<Source> {
    Some(match s {
        "registry" => Source::Registry,
        "git" => Source::Git,
        "path" => Source::Path,
        "url" => Source::Url,
        "workspace" => Source::Workspace,
        _ => return None,
    })
}

/// A stored package as the matcher takes it; `None` when the stored ecosystem or source is
/// not one this build knows (a newer database).
fn dependency(p: &SnapshotPackage) -> Option<Dependency> {
    let (ecosystem, _) = Ecosystem::from_osv(&p.ecosystem)?;
    Some(Dependency {
        ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
        pinned: p.pinned,
        direct: p.direct,
        scope: scope(&p.scope),
        source: source(&p.source)?,
        manifest: p.manifest.clone(),
        paths: p.paths.clone(),
    })
}

/// What syncing the advisory sources and re-alerting did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvisoryRefresh {
    /// Records written or removed.
    pub changed: u64,
    /// Packages in use newly affected (each also a `FindingIntroduced` with origin advisory).
    pub new_findings: u64,
    /// Each source that could not be synced (or the re-match), with why.
    pub failed: Vec<String>,
}

impl App {
    /// Syncs every enabled advisory source, re-matches the latest snapshots when records
    /// changed, and emits `AdvisoriesSynced`: the scheduled sync and "Sync now" alike.
    /// Blocking (downloads, SQLite): run it off the async workers.
    pub fn refresh_advisories(&self, limits: &crate::DownloadLimits) -> AdvisoryRefresh {
        let mut refresh = AdvisoryRefresh::default();
        match self.sync_enabled_advisories(limits) {
            Ok(results) => {
                for (source, result) in results {
                    match result {
                        Ok(report) => {
                            tracing::info!(%source, records = report.records, not_modified = report.not_modified, "advisory source synced");
                            refresh.changed += report.stats.written() + report.stats.deleted;
                        }
                        Err(e) => refresh.failed.push(format!("{source}: {e}")),
                    }
                }
            }
            Err(e) => refresh.failed.push(e.to_string()),
        }
        if refresh.changed > 0 {
            match self.rematch_latest_snapshots() {
                Ok(report) => refresh.new_findings = report.new_findings,
                Err(e) => refresh.failed.push(e.to_string()),
            }
        }
        for f in &refresh.failed {
            tracing::warn!(error = %f, "advisory sync failed");
        }
        self.events().emit(Event::AdvisoriesSynced {
            changed: refresh.changed,
            new_findings: refresh.new_findings,
            failed: refresh.failed.clone(),
        });
        refresh
    }

    /// Matches every monitored ref's latest snapshot against the advisory database again and
    /// records (and emits) the findings that were not there yet. Blocking (SQLite and matching
    /// only, no network): run it off the async workers.
    ///
    /// # Errors
    /// Database errors.
    pub fn rematch_latest_snapshots(&self) -> Result<RematchReport, RematchError> {
        let mut report = RematchReport::default();
        for instance in self.store.instances()? {
            for repo in self.store.perimeter_repositories(instance.id)? {
                let label = format!("{}/{}", repo.project_key, repo.slug);
                for state in self.store.ref_states(repo.id)?.into_iter().filter(|s| !s.gone) {
                    let Some(snapshot) = self.store.latest_snapshot(repo.id, &state.ref_id)? else {
                        continue;
                    };
                    let stored = self.store.snapshot_packages(snapshot.id)?;
                    let mut packages = Vec::with_capacity(stored.len());
                    for p in &stored {
                        match dependency(p) {
                            Some(d) => packages.push(d),
                            None => report.skipped_packages.push(format!(
                                "{label} {}: {} ({} {})",
                                p.manifest, p.name, p.ecosystem, p.source
                            )),
                        }
                    }
                    report.refs += 1;
                    if packages.is_empty() {
                        continue;
                    }
                    let (findings, _) = self.match_packages(&packages)?;
                    let rows: Vec<_> = findings
                        .iter()
                        .map(|f| {
                            let mut row = new_finding(f);
                            let direct = packages
                                .iter()
                                .find(|p| {
                                    p.manifest == f.manifest
                                        && p.name == f.package
                                        && p.version == f.version
                                })
                                .and_then(|p| p.direct);
                            row.direct = direct;
                            if direct == Some(true) {
                                row.dependency_path = vec![format!("{}@{}", f.package, f.version)];
                            }
                            row
                        })
                        .collect();
                    let recorded = self.store.record_advisory_findings(
                        repo.id,
                        &state.ref_id,
                        snapshot.id,
                        &rows,
                        now_ms(),
                    )?;
                    report.new_findings += recorded.len() as u64;
                    for f in recorded {
                        tracing::info!(repository = %label, ref_id = %f.ref_id, advisory = %f.advisory_id, package = %f.package, "new advisory affects a package in use");
                        self.events.emit(Event::FindingIntroduced {
                            origin: FindingOrigin::Advisory,
                            finding: FindingSummary {
                                finding_id: f.id.0,
                                instance: instance.name.clone(),
                                repository: label.clone(),
                                ref_id: f.ref_id.clone(),
                                commit_id: f.first_seen_commit.clone(),
                                advisory_id: f.advisory_id.clone(),
                                package: f.package.clone(),
                                version: f.version.clone(),
                                severity: f.severity.clone(),
                                kind: f.kind.clone(),
                                summary: f.summary.clone(),
                                manifest: f.manifest.clone(),
                                author: snapshot.author.clone(),
                            },
                        });
                    }
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_packages_convert_back_to_dependencies() {
        let p = SnapshotPackage {
            manifest: "web/package-lock.json".into(),
            ecosystem: "npm".into(),
            name: "lodash".into(),
            version: "^4.17.0".into(),
            pinned: false,
            direct: Some(true),
            scope: "dev".into(),
            source: "registry".into(),
            paths: vec!["node_modules/lodash".into()],
        };
        let d = dependency(&p).unwrap();
        assert_eq!(
            (d.ecosystem, d.pinned, d.scope, d.source),
            (Ecosystem::Npm, false, Scope::Dev, Source::Registry)
        );
        assert_eq!(d.paths, ["node_modules/lodash"]);
        assert!(dependency(&SnapshotPackage { ecosystem: "Nope".into(), ..p.clone() }).is_none());
        assert!(dependency(&SnapshotPackage { source: "svn".into(), ..p }).is_none());
    }
}
