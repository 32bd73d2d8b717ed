//! The historical scan: every repository in an instance's perimeter, at the head of its
//! default branch, parsed and matched, stored as a snapshot with its findings.
//!
//! Per repository: default branch → head commit → recursive file list at that commit →
//! lockfile discovery → raw files pinned to the commit id → parse → match → `store_snapshot`.
//! A bounded number of repositories are in flight at once. Progress is kept per repository in
//! the store, so a scan stopped midway (the app quit, the user cancelled) resumes with the
//! repositories not yet done; a repository whose head was already processed is not stored
//! twice. A per-repository error is recorded and the scan goes on; a 401 halts it, puts the
//! instance in the auth-error state and leaves the rest pending for a resume.

use crate::analysis::{analyze, fetch_snapshot, Analysis};
use crate::event::{Event, FindingOrigin, FindingSummary};
use crate::instance::{now_ms, InstanceError};
use crate::App;
use depwatch_advisories::AdvisoryIndex;
use depwatch_bitbucket::Client;
use depwatch_core::{Dependency, Diagnostic, Finding};
use depwatch_lockfiles::discovery::{plan, DiscoveryOptions};
use depwatch_lockfiles::ParseOptions;
use depwatch_store::{
    FindingRecord, InstanceRecord, NewSnapshot, RepositoryId, RepositoryRecord, ScanItemState,
    SnapshotDiff, SnapshotVia,
};
use futures_util::stream::{self, StreamExt};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// How a historical scan runs.
#[derive(Debug, Clone)]
pub struct HistoricalScanOptions {
    /// Repositories scanned at once (at least 1).
    pub concurrency: usize,
    /// Start over even when an unfinished scan could be resumed.
    pub restart: bool,
    /// On resume, scan the repositories that failed last time again.
    pub retry_failed: bool,
    /// Store a new snapshot even when the head commit was already processed.
    pub force: bool,
    /// Set to stop the scan after the repositories in flight; the rest stays pending.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The advisories to match against; `None` = the advisory database in the store (what
    /// `depwatch advisories import|sync` filled).
    pub advisories: Option<Arc<AdvisoryIndex>>,
    pub discovery: DiscoveryOptions,
    pub parse: ParseOptions,
    /// Emit `ScanFinished` at the end. The desktop's scan runner turns it off and announces
    /// the end itself, once its own bookkeeping (finish time, running flag) is recorded, so
    /// a listener that reads the status on the event sees the scan ended, and hears it once.
    pub announce_finish: bool,
}

impl HistoricalScanOptions {
    /// Defaults (8 repositories at once, resume when possible) matching against `advisories`.
    pub fn new(advisories: Arc<AdvisoryIndex>) -> Self {
        HistoricalScanOptions { advisories: Some(advisories), ..HistoricalScanOptions::default() }
    }
}

impl Default for HistoricalScanOptions {
    /// 8 repositories at once, resume when possible, the store's advisory database.
    fn default() -> Self {
        HistoricalScanOptions {
            concurrency: 8,
            restart: false,
            retry_failed: false,
            force: false,
            cancel: None,
            advisories: None,
            discovery: DiscoveryOptions::default(),
            parse: ParseOptions::default(),
            announce_finish: true,
        }
    }
}

/// What a historical scan did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoricalScanReport {
    pub instance: String,
    /// True when an unfinished scan was continued.
    pub resumed: bool,
    /// Repositories in this scan (including those done before a resume).
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    /// Still pending (cancelled or halted).
    pub pending: u64,
    /// Repositories scanned by this call.
    pub scanned_now: u64,
    /// Empty repositories (no default branch or no commit).
    pub empty: u64,
    /// Repositories whose head commit was already processed (nothing stored again).
    pub unchanged: u64,
    pub findings_introduced: u64,
    pub findings_fixed: u64,
    /// Why the scan stopped early, if it did.
    pub halted: Option<String>,
}

/// Why one repository was not scanned.
#[derive(Debug, thiserror::Error)]
enum RepoError {
    #[error(transparent)]
    Bitbucket(#[from] depwatch_bitbucket::Error),
    #[error(transparent)]
    Store(#[from] depwatch_store::StoreError),
    #[error(transparent)]
    Advisories(#[from] crate::ScanError),
}

enum RepoOutcome {
    Empty,
    Unchanged,
    Scanned(Box<SnapshotDiff>),
}

#[derive(Default)]
struct Tally {
    scanned_now: AtomicU64,
    empty: AtomicU64,
    unchanged: AtomicU64,
    introduced: AtomicU64,
    fixed: AtomicU64,
}

impl App {
    /// Runs (or resumes) the historical scan of an instance. Starting a new scan refreshes the
    /// listing from Bitbucket first; a resume uses the stored one.
    pub async fn historical_scan(
        &self,
        name: Option<&str>,
        options: HistoricalScanOptions,
    ) -> Result<HistoricalScanReport, InstanceError> {
        let instance = self.resolve_instance(name)?;
        self.renew_before_use(&instance).await;
        let client = self.client(&instance)?;
        let counts = self.store.scan_counts(instance.id)?;
        let unfinished =
            counts.pending + counts.running > 0 || (options.retry_failed && counts.failed > 0);
        let resumed = unfinished && !options.restart;
        if resumed {
            self.store.scan_items_resume(instance.id, options.retry_failed)?;
        } else {
            self.refresh_inventory(Some(&instance.name)).await?;
            let repos: Vec<RepositoryId> =
                self.store.perimeter_repositories(instance.id)?.iter().map(|r| r.id).collect();
            self.store.scan_items_start(instance.id, &repos)?;
        }
        let pending = self.store.scan_items_pending(instance.id)?;
        let total = self.store.scan_counts(instance.id)?.total();
        tracing::info!(instance = %instance.name, resumed, pending = pending.len(), total, "historical scan");

        let halted: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
        let stop = AtomicBool::new(false);
        let tally = Tally::default();
        let concurrency = options.concurrency.max(1);
        stream::iter(pending)
            .map(|repo_id| {
                let (client, instance, options, halted, stop, tally) =
                    (&client, &instance, &options, &halted, &stop, &tally);
                async move {
                    let cancelled =
                        options.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed));
                    if stop.load(Ordering::Relaxed) || cancelled {
                        return Ok::<(), InstanceError>(());
                    }
                    let Some(repo) = self.store.repository(repo_id)? else {
                        self.store.scan_item_set(repo_id, ScanItemState::Failed, Some("the repository is no longer stored"), now_ms())?;
                        return Ok(());
                    };
                    self.store.scan_item_set(repo_id, ScanItemState::Running, None, now_ms())?;
                    let outcome = self.scan_repository(client, instance, &repo, options).await;
                    let label = format!("{}/{}", repo.project_key, repo.slug);
                    match outcome {
                        Ok(outcome) => {
                            self.store.scan_item_set(repo_id, ScanItemState::Done, None, now_ms())?;
                            tally.scanned_now.fetch_add(1, Ordering::Relaxed);
                            match outcome {
                                RepoOutcome::Empty => {
                                    tally.empty.fetch_add(1, Ordering::Relaxed);
                                }
                                RepoOutcome::Unchanged => {
                                    tally.unchanged.fetch_add(1, Ordering::Relaxed);
                                }
                                RepoOutcome::Scanned(diff) => {
                                    tally.introduced.fetch_add(diff.introduced.len() as u64, Ordering::Relaxed);
                                    tally.fixed.fetch_add(diff.fixed.len() as u64, Ordering::Relaxed);
                                    // A baseline is not attributed to anyone (the snapshot keeps the head's author).
                                    self.emit_diff(&instance.name, &label, &diff, FindingOrigin::HistoricalScan, None);
                                }
                            }
                        }
                        Err(RepoError::Bitbucket(err @ depwatch_bitbucket::Error::Auth { .. })) => {
                            // Every further call would be refused too: stop, keep the rest
                            // pending, and let the user fix the credentials.
                            stop.store(true, Ordering::Relaxed);
                            self.store.scan_item_set(repo_id, ScanItemState::Pending, None, now_ms())?;
                            self.record_call_error(instance, &err)?;
                            let mut halted = halted.lock().unwrap_or_else(|p| p.into_inner());
                            halted.get_or_insert_with(|| err.to_string());
                            return Ok(());
                        }
                        Err(err) => {
                            let message = err.to_string();
                            tracing::warn!(instance = %instance.name, repository = %label, error = %message, "repository scan failed");
                            self.store.scan_item_set(repo_id, ScanItemState::Failed, Some(&message), now_ms())?;
                        }
                    }
                    let counts = self.store.scan_counts(instance.id)?;
                    self.events.emit(Event::ScanProgress {
                        instance: instance.name.clone(),
                        done: counts.finished(),
                        failed: counts.failed,
                        total: counts.total(),
                        current: Some(label),
                    });
                    Ok(())
                }
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<Result<(), InstanceError>>>()
            .await
            .into_iter()
            .collect::<Result<Vec<()>, InstanceError>>()?;

        let cancelled = options.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed));
        let mut halted = halted.into_inner().unwrap_or_else(|p| p.into_inner());
        if halted.is_none() && cancelled {
            halted = Some("cancelled".to_owned());
        }
        let counts = self.store.scan_counts(instance.id)?;
        if options.announce_finish {
            self.events.emit(Event::ScanFinished {
                instance: instance.name.clone(),
                done: counts.finished(),
                failed: counts.failed,
                total: counts.total(),
                halted: halted.clone(),
            });
        }
        Ok(HistoricalScanReport {
            instance: instance.name.clone(),
            resumed,
            total: counts.total(),
            done: counts.done,
            failed: counts.failed,
            pending: counts.pending + counts.running,
            scanned_now: tally.scanned_now.into_inner(),
            empty: tally.empty.into_inner(),
            unchanged: tally.unchanged.into_inner(),
            findings_introduced: tally.introduced.into_inner(),
            findings_fixed: tally.fixed.into_inner(),
            halted,
        })
    }

    async fn scan_repository(
        &self,
        client: &Client,
        instance: &InstanceRecord,
        repo: &RepositoryRecord,
        options: &HistoricalScanOptions,
    ) -> Result<RepoOutcome, RepoError> {
        let (project, slug) = (repo.project_key.as_str(), repo.slug.as_str());
        let Some(branch) = client.default_branch(project, slug).await? else {
            self.store.repository_set_default_branch(repo.id, None)?;
            return Ok(RepoOutcome::Empty);
        };
        self.store.repository_set_default_branch(repo.id, Some(&branch.id))?;
        let Some(head) = client.latest_commit(project, slug, &branch.id).await? else {
            // The default branch is configured but was never pushed.
            self.store.ref_state_set(repo.id, &branch.id, None, false, now_ms())?;
            return Ok(RepoOutcome::Empty);
        };
        if !options.force {
            let processed = self.store.latest_snapshot(repo.id, &branch.id)?;
            if processed.is_some_and(|s| s.commit_id == head.id) {
                return Ok(RepoOutcome::Unchanged);
            }
        }
        let listing = client.files(project, slug, &head.id).await?;
        let plan = plan(&listing, &options.discovery);
        let files =
            fetch_snapshot(client, (project, slug, &head.id), &listing, &plan, &options.parse)
                .await?;
        let analysis = analyze(&files, &plan, &options.parse);
        let (findings, match_diagnostics) = match &options.advisories {
            Some(index) => match_packages(index, &analysis.packages),
            None => self.match_packages(&analysis.packages)?,
        };
        let author = head.author.as_ref().and_then(|a| a.name.as_deref());
        let provenance = Provenance { from_commit: None, author, via: SnapshotVia::Scan };
        let diff = self.store_analysis(
            repo.id,
            &branch.id,
            &head.id,
            &provenance,
            &analysis,
            &findings,
            match_diagnostics,
        )?;
        tracing::debug!(instance = %instance.name, repository = %format!("{project}/{slug}"), commit = %head.id, manifests = analysis.manifests.len(), findings = findings.len(), "scanned");
        Ok(RepoOutcome::Scanned(Box::new(diff)))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn store_analysis(
        &self,
        repo: RepositoryId,
        ref_id: &str,
        commit_id: &str,
        provenance: &Provenance<'_>,
        analysis: &Analysis,
        findings: &[Finding],
        match_diagnostics: Vec<Diagnostic>,
    ) -> Result<SnapshotDiff, depwatch_store::StoreError> {
        let mut analysis_with_matching = analysis.clone();
        analysis_with_matching.diagnostics.extend(match_diagnostics);
        let packages = analysis.snapshot_packages();
        let new_findings: Vec<_> = findings.iter().map(|f| analysis.new_finding(f)).collect();
        let origin = match provenance.via {
            SnapshotVia::Scan => depwatch_store::FindingOrigin::Scan,
            SnapshotVia::Webhook | SnapshotVia::Poll => depwatch_store::FindingOrigin::Push,
        };
        self.store.store_snapshot(&NewSnapshot {
            repository: repo,
            ref_id,
            commit_id,
            from_commit: provenance.from_commit,
            author: provenance.author,
            via: provenance.via,
            origin,
            scanned_at_ms: now_ms(),
            manifests_json: &analysis_with_matching.manifests_json(),
            packages: &packages,
            findings: &new_findings,
        })
    }

    /// Emits one event per introduced and fixed finding of a snapshot diff.
    pub(crate) fn emit_diff(
        &self,
        instance: &str,
        repository: &str,
        diff: &SnapshotDiff,
        origin: FindingOrigin,
        author: Option<&str>,
    ) {
        let summary = |f: &FindingRecord, commit: &str| FindingSummary {
            author: author.map(str::to_owned),
            finding_id: f.id.0,
            instance: instance.to_owned(),
            repository: repository.to_owned(),
            ref_id: f.ref_id.clone(),
            commit_id: commit.to_owned(),
            advisory_id: f.advisory_id.clone(),
            package: f.package.clone(),
            version: f.version.clone(),
            severity: f.severity.clone(),
            kind: f.kind.clone(),
            summary: f.summary.clone(),
            manifest: f.manifest.clone(),
        };
        for f in &diff.introduced {
            self.events.emit(Event::FindingIntroduced {
                origin,
                finding: summary(f, &f.first_seen_commit),
            });
        }
        for f in &diff.fixed {
            let commit = f.fixed_in_commit.clone().unwrap_or_default();
            self.events.emit(Event::FindingFixed { origin, finding: summary(f, &commit) });
        }
    }
}

/// How depwatch learnt of a commit it stores a snapshot of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Provenance<'a> {
    /// The ref's previous head, when the push or poll named one.
    pub from_commit: Option<&'a str>,
    /// Display name of the pusher (webhook actor) or the commit author.
    pub author: Option<&'a str>,
    pub via: SnapshotVia,
}

/// Matches packages against an advisory index.
pub(crate) fn match_packages(
    index: &AdvisoryIndex,
    packages: &[Dependency],
) -> (Vec<Finding>, Vec<Diagnostic>) {
    let report = index.match_dependencies(packages);
    (report.findings, report.diagnostics)
}
