//! Processing one inbox entry: a push is planned ref by ref (monitored refs only), each ref is
//! re-read at its new head when a manifest or lockfile changed (or the ref is new), stored as a
//! snapshot, and the findings it introduced or fixed are emitted as events. Work is
//! deduplicated by (repository, ref, commit): a ref already scanned at the pushed commit (a
//! second delivery, native hook plus plugin, a restart after a kill) is not scanned again.

use crate::analysis::{analyze, fetch_snapshot};
use crate::catch_up::{missed, monitored_heads, ProcessedRef};
use crate::change_set::RescanReason;
use crate::event::FindingOrigin;
use crate::historical_scan::{match_packages, Provenance};
use crate::instance::now_ms;
use crate::ref_filter::RefFilter;
use crate::ref_plan::{plan_ref_change, rescan_reason, RefWork};
use crate::worker::{EntryHandler, Handled};
use crate::App;
use depwatch_advisories::AdvisoryIndex;
use depwatch_bitbucket::webhook::HookEvent;
use depwatch_bitbucket::Client;
use depwatch_lockfiles::discovery::{plan, DiscoveryOptions};
use depwatch_lockfiles::ParseOptions;
use depwatch_store::{ClaimedInboxEntry, RepositoryRecord, SnapshotVia, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// The push pipeline's entry handler.
pub struct PushProcessor {
    app: Arc<App>,
    /// `None`: the store's advisory database (what `depwatch advisories sync` fills).
    advisories: Option<Arc<AdvisoryIndex>>,
    filter: RefFilter,
    discovery: DiscoveryOptions,
    parse: ParseOptions,
    /// One lock per (repository, ref): the inbox worker and catch-up polling run side by
    /// side, and both checking "not scanned at this head yet" before either stores would
    /// store the same commit twice.
    ref_locks: RefLocks,
}

type RefLocks = std::sync::Mutex<HashMap<(i64, String), Arc<tokio::sync::Mutex<()>>>>;

/// What one ref became.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RefOutcome {
    Skipped(String),
    Gone,
    AlreadyProcessed,
    NoManifestChange,
    Scanned { introduced: usize, fixed: usize },
}

impl PushProcessor {
    /// A processor matching against the store's advisory database, following `filter`.
    pub fn with_store_advisories(app: Arc<App>, filter: RefFilter) -> PushProcessor {
        PushProcessor {
            app,
            advisories: None,
            filter,
            discovery: DiscoveryOptions::default(),
            parse: ParseOptions::default(),
            ref_locks: RefLocks::default(),
        }
    }

    /// A processor matching against `advisories`, following `filter`.
    pub fn new(app: Arc<App>, advisories: Arc<AdvisoryIndex>, filter: RefFilter) -> PushProcessor {
        PushProcessor {
            app,
            advisories: Some(advisories),
            filter,
            discovery: DiscoveryOptions::default(),
            parse: ParseOptions::default(),
            ref_locks: RefLocks::default(),
        }
    }

    async fn process(&self, entry: &ClaimedInboxEntry) -> Result<Handled, String> {
        let Some(json) = entry.record.event_json.as_deref() else {
            return Ok(Handled::Ignored("the delivery carries no event depwatch acts on".into()));
        };
        let event: HookEvent = serde_json::from_str(json)
            .map_err(|e| format!("stored event of {} cannot be read: {e}", entry.record.id))?;
        let store = self.app.store();
        let instance_name = entry.record.instance.as_str();
        let Some(instance) = store.instance_by_name(instance_name).map_err(|e| e.to_string())?
        else {
            return Ok(Handled::Ignored(format!("instance `{instance_name}` is not configured")));
        };
        let push = match event {
            HookEvent::Push(push) => push,
            HookEvent::RepoModified(m) => {
                // Keyed by Bitbucket's id: the row keeps its snapshots, findings and exclusion.
                let renamed = store
                    .repository_rename(
                        instance.id,
                        m.repository_id,
                        &m.new.project_key,
                        &m.new.slug,
                        m.new.name.as_deref(),
                    )
                    .map_err(|e| e.to_string())?;
                return Ok(match renamed {
                    Some(r) => {
                        tracing::info!(
                            from = %format!("{}/{}", m.old.project_key, m.old.slug),
                            to = %format!("{}/{}", r.project_key, r.slug),
                            "repository renamed or moved"
                        );
                        Handled::Processed
                    }
                    None => Handled::Ignored(format!(
                        "repository {}/{} (id {}) is not in depwatch's inventory",
                        m.new.project_key, m.new.slug, m.repository_id
                    )),
                });
            }
        };
        let repos = store.perimeter_repositories(instance.id).map_err(|e| e.to_string())?;
        let Some(repo) = repos.into_iter().find(|r| r.bb_id == push.repository_id) else {
            return Ok(Handled::Ignored(format!(
                "repository {}/{} (id {}) is not monitored",
                push.project_key, push.repo_slug, push.repository_id
            )));
        };
        if push.ref_changes.is_empty() {
            return Ok(Handled::Ignored("the push lists no ref changes".into()));
        }
        let client = self.app.client(&instance).map_err(|e| e.to_string())?;
        let default_branch = match &repo.default_branch {
            Some(b) => Some(b.clone()),
            None => client
                .default_branch(&repo.project_key, &repo.slug)
                .await
                .map_err(|e| e.to_string())?
                .map(|r| r.id),
        };
        let pusher = push
            .actor
            .as_ref()
            .and_then(|a| a.display_name.as_deref().or(a.name.as_deref()))
            .map(str::to_owned);
        let mut outcomes = Vec::new();
        let mut acted = false;
        for change in &push.ref_changes {
            let planned = plan_ref_change(change, default_branch.as_deref(), &self.filter);
            let (work, head_author) = self
                .current_head(&client, &repo, planned)
                .await
                .map_err(|e| format!("{}: {e}", change.ref_id))?;
            let author = pusher.clone().or(head_author);
            let outcome = self
                .apply(&client, &instance.name, &repo, work, SnapshotVia::Webhook, author)
                .await
                .map_err(|e| format!("{}: {e}", change.ref_id))?;
            acted |= !matches!(outcome, RefOutcome::Skipped(_));
            outcomes.push((change.ref_id.clone(), outcome));
        }
        if acted {
            Ok(Handled::Processed)
        } else {
            let reasons: Vec<String> = outcomes
                .into_iter()
                .filter_map(|(_, o)| match o {
                    RefOutcome::Skipped(r) => Some(r),
                    _ => None,
                })
                .collect();
            Ok(Handled::Ignored(reasons.join("; ")))
        }
    }

    /// A branch push is processed at the branch's head *now*, not at the pushed commit:
    /// deliveries can be processed late (a backlog after a restart, a pause) and after a
    /// catch-up pass that already read a newer head, and scanning an older commit then would
    /// move the ref's latest snapshot backwards. A branch gone meanwhile is marked gone.
    /// Also returns the head commit's author.
    async fn current_head(
        &self,
        client: &Client,
        repo: &RepositoryRecord,
        work: RefWork,
    ) -> Result<(RefWork, Option<String>), String> {
        let RefWork::Scan { ref_id, from, to, peel: false } = work else { return Ok((work, None)) };
        if !ref_id.starts_with("refs/heads/") {
            return Ok((RefWork::Scan { ref_id, from, to, peel: false }, None));
        }
        let head = client
            .latest_commit(&repo.project_key, &repo.slug, &ref_id)
            .await
            .map_err(|e| e.to_string())?;
        let Some(head) = head else { return Ok((RefWork::Gone { ref_id }, None)) };
        if head.id != to {
            tracing::debug!(%ref_id, pushed = %to, head = %head.id, "push superseded; processing the current head");
        }
        let author = head.author.and_then(|a| a.name);
        Ok((RefWork::Scan { ref_id, from, to: head.id, peel: false }, author))
    }

    async fn apply(
        &self,
        client: &Client,
        instance: &str,
        repo: &RepositoryRecord,
        work: RefWork,
        via: SnapshotVia,
        author: Option<String>,
    ) -> Result<RefOutcome, String> {
        let ref_lock = match &work {
            RefWork::Skip(_) => None,
            RefWork::Gone { ref_id } | RefWork::Scan { ref_id, .. } => {
                let mut locks = self.ref_locks.lock().unwrap_or_else(|p| p.into_inner());
                Some(Arc::clone(locks.entry((repo.id.0, ref_id.clone())).or_default()))
            }
        };
        let _held = match &ref_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        let store = self.app.store();
        let (project, slug) = (repo.project_key.as_str(), repo.slug.as_str());
        match work {
            RefWork::Skip(reason) => Ok(RefOutcome::Skipped(reason)),
            RefWork::Gone { ref_id } => {
                store
                    .ref_state_set(repo.id, &ref_id, None, true, now_ms())
                    .map_err(|e| e.to_string())?;
                Ok(RefOutcome::Gone)
            }
            RefWork::Scan { ref_id, from, to, peel } => {
                let to = if peel {
                    let tag =
                        client.tag(project, slug, &ref_id).await.map_err(|e| e.to_string())?;
                    match tag.commit_id() {
                        Some(c) => c.to_owned(),
                        None => {
                            return Ok(RefOutcome::Skipped(format!("tag {ref_id} has no commit")))
                        }
                    }
                } else {
                    to
                };
                let last = store.latest_snapshot(repo.id, &ref_id).map_err(|e| e.to_string())?;
                if last.as_ref().is_some_and(|s| s.commit_id == to) {
                    return Ok(RefOutcome::AlreadyProcessed);
                }
                // Compare against what was last scanned on this ref, not only the push's old
                // commit: a missed push in between may have changed a lockfile.
                let push_from = from.clone();
                let base =
                    last.as_ref().map(|s| s.commit_id.clone()).or(from.filter(|_| last.is_some()));
                let reason = rescan_reason(client, project, slug, base.as_deref(), &to)
                    .await
                    .map_err(|e| e.to_string())?;
                if reason.is_none() {
                    store
                        .ref_state_set(repo.id, &ref_id, Some(&to), false, now_ms())
                        .map_err(|e| e.to_string())?;
                    return Ok(RefOutcome::NoManifestChange);
                }
                if let Some(RescanReason::ChangesUnknown(why)) = &reason {
                    tracing::info!(repository = %format!("{project}/{slug}"), %ref_id, %why, "full rescan");
                }
                let listing = client.files(project, slug, &to).await.map_err(|e| e.to_string())?;
                let planned = plan(&listing, &self.discovery);
                let files =
                    fetch_snapshot(client, (project, slug, &to), &listing, &planned, &self.parse)
                        .await
                        .map_err(|e| e.to_string())?;
                let analysis = analyze(&files, &planned, &self.parse);
                let (findings, diagnostics) = match &self.advisories {
                    Some(index) => match_packages(index, &analysis.packages),
                    None => {
                        self.app.match_packages(&analysis.packages).map_err(|e| e.to_string())?
                    }
                };
                // The push's own old commit (null for a new ref), not the last scanned one.
                // Polling knows no pusher: the commit's author is who brought the change in.
                let author = match author {
                    Some(a) => Some(a),
                    None => client
                        .latest_commit(project, slug, &to)
                        .await
                        .map_err(|e| e.to_string())?
                        .and_then(|c| c.author)
                        .and_then(|p| p.name),
                };
                // A ref polling finds with no snapshot yet (a repository or branch that
                // appeared later) is a baseline, like the historical scan: its findings were
                // not brought in by a push we saw, so they must not notify.
                let baseline = via == SnapshotVia::Poll
                    && store
                        .latest_snapshot(repo.id, &ref_id)
                        .map_err(|e| e.to_string())?
                        .is_none();
                let via = if baseline { SnapshotVia::Scan } else { via };
                let provenance = Provenance {
                    from_commit: push_from.as_deref(),
                    author: author.as_deref(),
                    via,
                };
                let diff = self
                    .app
                    .store_analysis(
                        repo.id,
                        &ref_id,
                        &to,
                        &provenance,
                        &analysis,
                        &findings,
                        diagnostics,
                    )
                    .map_err(|e| e.to_string())?;
                store
                    .ref_state_set(repo.id, &ref_id, Some(&to), false, now_ms())
                    .map_err(|e| e.to_string())?;
                let label = format!("{project}/{slug}");
                let origin =
                    if baseline { FindingOrigin::HistoricalScan } else { FindingOrigin::Push };
                self.app.emit_diff(instance, &label, &diff, origin, author.as_deref());
                Ok(RefOutcome::Scanned {
                    introduced: diff.introduced.len(),
                    fixed: diff.fixed.len(),
                })
            }
        }
    }
}

/// Why a catch-up pass stopped as a whole.
#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    /// The list of instances or of a perimeter could not be read.
    #[error("catch-up cannot read the database: {0}")]
    Store(#[from] StoreError),
}

/// What a catch-up pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatchUpReport {
    pub repositories: u64,
    /// Refs whose head had moved (or that were new) and were processed.
    pub refs_processed: u64,
    pub refs_gone: u64,
    /// `PROJECT/slug: error` per repository that could not be polled.
    pub errors: Vec<String>,
}

impl PushProcessor {
    /// Catch-up polling: for every monitored repository of every instance, compares the
    /// monitored refs' heads with the last processed commits and processes what was missed.
    /// Run at start, on resume from sleep, and periodically. A repository that cannot be polled
    /// is reported and the others go on.
    ///
    /// # Errors
    /// Database errors (a repository that cannot be polled is only reported).
    pub async fn catch_up(&self) -> Result<CatchUpReport, CatchUpError> {
        let store = self.app.store();
        let mut report = CatchUpReport::default();
        for instance in store.instances()? {
            let client = match self.app.client(&instance) {
                Ok(c) => c,
                Err(e) => {
                    report.errors.push(format!("{}: {e}", instance.name));
                    continue;
                }
            };
            for repo in store.perimeter_repositories(instance.id)? {
                report.repositories += 1;
                let label = format!("{}/{}", repo.project_key, repo.slug);
                if let Err(e) =
                    self.catch_up_repository(&client, &instance.name, &repo, &mut report).await
                {
                    tracing::warn!(repository = %label, error = %e, "catch-up failed");
                    report.errors.push(format!("{label}: {e}"));
                }
            }
        }
        Ok(report)
    }

    async fn catch_up_repository(
        &self,
        client: &Client,
        instance: &str,
        repo: &RepositoryRecord,
        report: &mut CatchUpReport,
    ) -> Result<(), String> {
        let default_branch = match &repo.default_branch {
            Some(b) => Some(b.clone()),
            None => client
                .default_branch(&repo.project_key, &repo.slug)
                .await
                .map_err(|e| e.to_string())?
                .map(|r| r.id),
        };
        let heads = monitored_heads(
            client,
            &repo.project_key,
            &repo.slug,
            default_branch.as_deref(),
            &self.filter,
        )
        .await
        .map_err(|e| e.to_string())?;
        let processed: Vec<ProcessedRef> = self
            .app
            .store()
            .ref_states(repo.id)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|s| ProcessedRef { ref_id: s.ref_id, head: s.head_commit, gone: s.gone })
            .collect();
        for work in missed(&heads, &processed) {
            match self.apply(client, instance, repo, work, SnapshotVia::Poll, None).await? {
                RefOutcome::Gone => report.refs_gone += 1,
                RefOutcome::Skipped(_) | RefOutcome::AlreadyProcessed => {}
                RefOutcome::NoManifestChange | RefOutcome::Scanned { .. } => {
                    report.refs_processed += 1
                }
            }
        }
        Ok(())
    }
}

impl EntryHandler for PushProcessor {
    async fn handle(&self, entry: &ClaimedInboxEntry) -> Result<Handled, String> {
        self.process(entry).await
    }
}
