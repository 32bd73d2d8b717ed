//! Repositories: the list, one repository's branches and manifests, and its dependencies.

use super::{
    branch_name, is_unresolved, ref_id_of, rfc3339, severity_label, severity_rank, tally,
    InformationalCounts, SeverityCounts, ViewError,
};
use crate::webhook_status::{self, WebhookBook, WebhookState};
use crate::App;
use depwatch_core::{Diagnostic, DiagnosticLevel};
use depwatch_lockfiles::Format;
use depwatch_store::{
    FindingFilter, FindingRecord, InstanceId, RepositoryActivity, RepositoryId, RepositoryRecord,
    ScanItemState, SnapshotRecord,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How depwatch learns about pushes to a repository (`WebhookStatus` in types.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    /// `installed`, `missing`, `failing` or `polling`.
    pub state: &'static str,
    pub last_delivery_at: Option<String>,
    pub detail: Option<String>,
}

impl WebhookStatus {
    /// What depwatch recorded when it installed (or failed to install) the webhook, corrected
    /// by what the processed snapshots show: a delivery that led to a snapshot proves a
    /// webhook exists, even one installed by hand.
    pub(crate) fn new(
        recorded: Option<&webhook_status::WebhookStatus>,
        activity: Option<&RepositoryActivity>,
    ) -> WebhookStatus {
        let last_delivery = activity.and_then(|a| a.last_webhook_at_ms);
        let (state, detail) = match recorded {
            Some(r) => (r.state, r.detail.clone()),
            None => (WebhookState::Missing, None),
        };
        let state = match (state, last_delivery) {
            (WebhookState::Missing, Some(_)) => WebhookState::Installed,
            (state, _) => state,
        };
        let detail = match (state, detail) {
            (WebhookState::Missing, None) => Some(
                "No webhook delivery has been processed for this repository; depwatch finds its \
                 pushes by polling."
                    .to_owned(),
            ),
            (_, detail) => detail,
        };
        WebhookStatus {
            state: match state {
                WebhookState::Installed => "installed",
                WebhookState::Missing => "missing",
                WebhookState::Failing => "failing",
                WebhookState::Polling => "polling",
            },
            last_delivery_at: last_delivery.map(rfc3339),
            detail,
        }
    }
}

/// One repository in lists (`RepositorySummary` in types.ts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositorySummary {
    pub id: i64,
    pub project_key: String,
    pub project_name: String,
    pub slug: String,
    pub name: String,
    /// Branch name (`main`), not the full ref.
    pub default_branch: Option<String>,
    pub archived: bool,
    pub personal: bool,
    pub counts: SeverityCounts,
    pub informational: InformationalCounts,
    pub dependency_count: u64,
    /// `never`, `scanning`, `ok` or `failed`.
    pub scan_state: &'static str,
    pub last_scanned_at: Option<String>,
    pub last_push_at: Option<String>,
    pub webhook: WebhookStatus,
    pub web_url: String,
}

/// One branch of a repository (`BranchInfo` in types.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchInfo {
    pub name: String,
    pub is_default: bool,
    pub monitored: bool,
    pub head_commit: Option<String>,
    pub last_scanned_at: Option<String>,
    pub open_findings: u64,
}

/// A parser message (`Diagnostic` in types.ts; `line` is always present, null when unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticInfo {
    pub source: String,
    pub line: Option<u32>,
    /// `info`, `warning` or `error`.
    pub level: &'static str,
    pub message: String,
}

impl From<&Diagnostic> for DiagnosticInfo {
    fn from(d: &Diagnostic) -> DiagnosticInfo {
        DiagnosticInfo {
            source: d.source.clone(),
            line: d.line,
            level: match d.level {
                DiagnosticLevel::Info => "info",
                DiagnosticLevel::Warning => "warning",
                DiagnosticLevel::Error => "error",
            },
            message: d.message.clone(),
        }
    }
}

/// One manifest or lockfile read on a branch (`ManifestInfo` in types.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestInfo {
    pub path: String,
    pub branch: String,
    /// The file name of the format (`Cargo.lock`, `package-lock.json`).
    pub format: &'static str,
    pub ecosystem: depwatch_core::Ecosystem,
    pub package_count: u64,
    pub diagnostics: Vec<DiagnosticInfo>,
}

/// `get_repository` (`RepositoryDetail` in types.ts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryDetail {
    pub summary: RepositorySummary,
    pub branches: Vec<BranchInfo>,
    pub manifests: Vec<ManifestInfo>,
}

/// One package of a branch (`DependencyRow` in types.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyRow {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub pinned: bool,
    pub direct: Option<bool>,
    pub scope: String,
    pub source: String,
    pub manifest: String,
    pub paths: Vec<String>,
    /// Unresolved findings on this package version in this manifest.
    pub finding_count: u64,
    pub max_severity: Option<&'static str>,
}

type PackageKey<'a> = (&'a str, &'a str, &'a str, &'a str);

/// The stored shape of `snapshot.manifests` (what `Analysis::manifests_json` writes).
#[derive(Debug, Deserialize)]
struct StoredManifests {
    #[serde(default)]
    manifests: Vec<StoredManifest>,
    #[serde(default)]
    diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Deserialize)]
struct StoredManifest {
    path: String,
    format: Format,
    #[serde(default)]
    packages: u64,
    #[serde(default)]
    diagnostics: Vec<Diagnostic>,
}

/// Everything the repository list and the dashboard derive summaries from, read once.
pub(crate) struct Overview {
    pub repositories: Vec<RepositoryRecord>,
    pub findings: Vec<FindingRecord>,
    base_urls: HashMap<InstanceId, String>,
    project_names: HashMap<(InstanceId, String), String>,
    latest: HashMap<(RepositoryId, String), SnapshotRecord>,
    activity: HashMap<RepositoryId, RepositoryActivity>,
    scan_states: HashMap<RepositoryId, ScanItemState>,
    /// What depwatch recorded installing webhooks, per repository.
    webhooks: HashMap<RepositoryId, webhook_status::WebhookStatus>,
}

impl Overview {
    /// The repositories inside every instance's perimeter, with all findings (fixed ones too:
    /// the trend needs them).
    pub(crate) fn load(app: &App) -> Result<Overview, ViewError> {
        let store = app.store();
        let mut repositories = Vec::new();
        let mut base_urls = HashMap::new();
        let mut project_names = HashMap::new();
        let mut scan_states = HashMap::new();
        let mut webhooks = HashMap::new();
        for instance in store.instances()? {
            let book = match app.webhook_book(&instance) {
                Ok(book) => book,
                Err(crate::InstanceError::Store(e)) => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(instance = %instance.name, error = %e, "webhook states unreadable");
                    WebhookBook::default()
                }
            };
            base_urls.insert(instance.id, instance.base_url.clone());
            for p in store.projects(instance.id)? {
                if let Some(name) = p.name {
                    project_names.insert((instance.id, p.key), name);
                }
            }
            for item in store.scan_items(instance.id, None)? {
                scan_states.insert(item.repository_id, item.state);
            }
            for repo in store.perimeter_repositories(instance.id)? {
                webhooks.insert(repo.id, app.repository_webhook_status(&book, &repo));
                repositories.push(repo);
            }
        }
        let latest = store
            .latest_snapshots(None)?
            .into_iter()
            .map(|s| ((s.repository_id, s.ref_id.clone()), s))
            .collect();
        let activity =
            store.repository_activity()?.into_iter().map(|a| (a.repository, a)).collect();
        let findings = store.findings(&FindingFilter::default())?;
        Ok(Overview {
            repositories,
            findings,
            base_urls,
            project_names,
            latest,
            activity,
            scan_states,
            webhooks,
        })
    }

    /// One summary per perimeter repository, in project/slug order.
    pub(crate) fn summaries(&self) -> Vec<RepositorySummary> {
        let mut by_repo: HashMap<RepositoryId, Vec<&FindingRecord>> = HashMap::new();
        for f in &self.findings {
            by_repo.entry(f.repository_id).or_default().push(f);
        }
        self.repositories
            .iter()
            .map(|r| self.summary(r, by_repo.get(&r.id).map(Vec::as_slice).unwrap_or_default()))
            .collect()
    }

    pub(crate) fn summary(
        &self,
        repo: &RepositoryRecord,
        findings: &[&FindingRecord],
    ) -> RepositorySummary {
        let mut counts = SeverityCounts::default();
        let mut informational = InformationalCounts::default();
        for f in findings {
            tally(&mut counts, &mut informational, f);
        }
        let dependency_count = repo
            .default_branch
            .as_ref()
            .and_then(|b| self.latest.get(&(repo.id, b.clone())))
            .map_or(0, |s| s.package_count);
        let scan_state = match self.scan_states.get(&repo.id) {
            Some(ScanItemState::Running) => "scanning",
            Some(ScanItemState::Failed) => "failed",
            Some(ScanItemState::Done) => "ok",
            Some(ScanItemState::Pending) | None => {
                if repo.last_scanned_at_ms.is_some() {
                    "ok"
                } else {
                    "never"
                }
            }
        };
        let activity = self.activity.get(&repo.id);
        let base = self.base_urls.get(&repo.instance_id).map(String::as_str).unwrap_or_default();
        RepositorySummary {
            id: repo.id.0,
            project_key: repo.project_key.clone(),
            project_name: self
                .project_names
                .get(&(repo.instance_id, repo.project_key.clone()))
                .cloned()
                .unwrap_or_else(|| repo.project_key.clone()),
            slug: repo.slug.clone(),
            name: repo.name.clone().unwrap_or_else(|| repo.slug.clone()),
            default_branch: repo.default_branch.as_deref().map(|b| branch_name(b).to_owned()),
            archived: repo.archived,
            personal: repo.personal,
            counts,
            informational,
            dependency_count,
            scan_state,
            last_scanned_at: repo.last_scanned_at_ms.map(rfc3339),
            last_push_at: activity.and_then(|a| a.last_push_at_ms).map(rfc3339),
            webhook: WebhookStatus::new(self.webhooks.get(&repo.id), activity),
            web_url: web_url(base, &repo.project_key, &repo.slug),
        }
    }
}

/// The repository's page in Bitbucket; personal projects (`~ALICE`) live under `/users/alice`.
fn web_url(base: &str, project_key: &str, slug: &str) -> String {
    let base = base.trim_end_matches('/');
    match project_key.strip_prefix('~') {
        Some(user) => {
            format!("{base}/users/{}/repos/{slug}/browse", user.to_ascii_lowercase())
        }
        None => format!("{base}/projects/{project_key}/repos/{slug}/browse"),
    }
}

impl App {
    /// Every repository of the perimeter (`list_repositories`).
    ///
    /// # Errors
    /// Database errors.
    pub fn repositories_view(&self, now_ms: i64) -> Result<Vec<RepositorySummary>, ViewError> {
        self.reopen_expired_ignores(now_ms)?;
        Ok(Overview::load(self)?.summaries())
    }

    /// One repository with its branches and the manifests of each branch (`get_repository`).
    ///
    /// # Errors
    /// `NotFound` for an unknown repository; database errors.
    pub fn repository_view(&self, id: i64, now_ms: i64) -> Result<RepositoryDetail, ViewError> {
        self.reopen_expired_ignores(now_ms)?;
        let store = self.store();
        let repo = store
            .repository(RepositoryId(id))?
            .ok_or_else(|| ViewError::NotFound(format!("Repository {id} is not known.")))?;
        let mut overview = Overview::load(self)?;
        overview.findings.retain(|f| f.repository_id == repo.id);
        let findings: Vec<&FindingRecord> = overview.findings.iter().collect();
        let summary = overview.summary(&repo, &findings);

        // Refs depwatch processed (only monitored ones ever are), plus the default branch.
        let mut refs: BTreeMap<String, Option<String>> = BTreeMap::new();
        for state in store.ref_states(repo.id)? {
            if !state.gone {
                refs.insert(state.ref_id, state.head_commit);
            }
        }
        if let Some(default) = &repo.default_branch {
            refs.entry(default.clone()).or_insert(None);
        }
        let latest: HashMap<String, SnapshotRecord> = store
            .latest_snapshots(Some(repo.id))?
            .into_iter()
            .map(|s| (s.ref_id.clone(), s))
            .collect();
        let is_default = |r: &str| repo.default_branch.as_deref() == Some(r);
        let mut branches: Vec<BranchInfo> = refs
            .iter()
            .map(|(ref_id, head)| BranchInfo {
                name: branch_name(ref_id).to_owned(),
                is_default: is_default(ref_id),
                monitored: true,
                head_commit: head.clone(),
                last_scanned_at: latest.get(ref_id).map(|s| rfc3339(s.scanned_at_ms)),
                open_findings: findings
                    .iter()
                    .filter(|f| &f.ref_id == ref_id && is_unresolved(f))
                    .count() as u64,
            })
            .collect();
        // The default branch first, then by name.
        branches.sort_by(|a, b| b.is_default.cmp(&a.is_default).then(a.name.cmp(&b.name)));
        let mut manifests = Vec::new();
        for branch in &branches {
            let Some(snapshot) = latest.get(&ref_id_of(&branch.name)) else { continue };
            manifests.extend(manifest_infos(snapshot, &branch.name)?);
        }
        Ok(RepositoryDetail { summary, branches, manifests })
    }

    /// The packages of a branch's newest snapshot with their unresolved findings
    /// (`list_dependencies`).
    ///
    /// # Errors
    /// `NotFound` for an unknown repository or a branch depwatch has not scanned.
    pub fn dependencies_view(
        &self,
        id: i64,
        branch: &str,
        now_ms: i64,
    ) -> Result<Vec<DependencyRow>, ViewError> {
        self.reopen_expired_ignores(now_ms)?;
        let store = self.store();
        let repo = store
            .repository(RepositoryId(id))?
            .ok_or_else(|| ViewError::NotFound(format!("Repository {id} is not known.")))?;
        let ref_id = ref_id_of(branch);
        let snapshot = store.latest_snapshot(repo.id, &ref_id)?.ok_or_else(|| {
            ViewError::NotFound(format!(
                "Branch {branch} of {}/{} has not been scanned.",
                repo.project_key, repo.slug
            ))
        })?;
        let findings = store.findings(&FindingFilter {
            repository: Some(repo.id),
            ref_id: Some(ref_id),
            present_only: true,
            ..FindingFilter::default()
        })?;
        // (manifest, ecosystem, name, version) → (count, worst rank, worst label).
        let mut hits: HashMap<PackageKey<'_>, (u64, u8, &str)> = HashMap::new();
        for f in findings.iter().filter(|f| is_unresolved(f)) {
            let key =
                (f.manifest.as_str(), f.ecosystem.as_str(), f.package.as_str(), f.version.as_str());
            let entry = hits.entry(key).or_insert((0, 0, "unknown"));
            entry.0 += 1;
            let rank = severity_rank(&f.severity);
            if entry.0 == 1 || rank > entry.1 {
                entry.1 = rank;
                entry.2 = severity_label(&f.severity);
            }
        }
        let rows = store
            .snapshot_packages(snapshot.id)?
            .into_iter()
            .map(|p| {
                let hit = hits
                    .get(&(
                        p.manifest.as_str(),
                        p.ecosystem.as_str(),
                        p.name.as_str(),
                        p.version.as_str(),
                    ))
                    .copied();
                DependencyRow {
                    finding_count: hit.map_or(0, |h| h.0),
                    max_severity: hit.map(|h| h.2),
                    ecosystem: p.ecosystem,
                    name: p.name,
                    version: p.version,
                    pinned: p.pinned,
                    direct: p.direct,
                    scope: p.scope,
                    source: p.source,
                    manifest: p.manifest,
                    paths: p.paths,
                }
            })
            .collect();
        Ok(rows)
    }
}

/// The manifests of a snapshot with their diagnostics; diagnostics not tied to one manifest
/// (matching problems, the per-scan file limit) go to the manifest they name, else the first.
fn manifest_infos(snapshot: &SnapshotRecord, branch: &str) -> Result<Vec<ManifestInfo>, ViewError> {
    let stored: StoredManifests = serde_json::from_str(&snapshot.manifests_json).map_err(|e| {
        ViewError::Store(depwatch_store::StoreError::Encode {
            what: "snapshot manifests",
            message: format!("snapshot {} cannot be read: {e}", snapshot.id.0),
        })
    })?;
    let mut infos: Vec<ManifestInfo> = stored
        .manifests
        .iter()
        .map(|m| ManifestInfo {
            path: m.path.clone(),
            branch: branch.to_owned(),
            format: m.format.file_name(),
            ecosystem: m.format.ecosystem(),
            package_count: m.packages,
            diagnostics: m.diagnostics.iter().map(DiagnosticInfo::from).collect(),
        })
        .collect();
    for d in &stored.diagnostics {
        let target = infos.iter().position(|m| m.path == d.source).or(if infos.is_empty() {
            None
        } else {
            Some(0)
        });
        match target.and_then(|i| infos.get_mut(i)) {
            Some(m) => m.diagnostics.push(DiagnosticInfo::from(d)),
            None => tracing::debug!(diagnostic = %d, "snapshot diagnostic without a manifest"),
        }
    }
    Ok(infos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_state_is_the_recorded_one_unless_deliveries_prove_a_hook() {
        let recorded = |state| webhook_status::WebhookStatus {
            state,
            detail: Some("no REPO_ADMIN permission".to_owned()),
            checked_at_ms: Some(1),
        };
        let delivered = RepositoryActivity {
            repository: RepositoryId(1),
            last_push_at_ms: Some(2_000),
            last_webhook_at_ms: Some(2_000),
            last_poll_at_ms: None,
        };
        let failing = WebhookStatus::new(Some(&recorded(WebhookState::Failing)), None);
        assert_eq!(
            (failing.state, failing.detail.as_deref()),
            ("failing", Some("no REPO_ADMIN permission"))
        );
        let proven = WebhookStatus::new(None, Some(&delivered));
        assert_eq!(
            (proven.state, proven.last_delivery_at.as_deref()),
            ("installed", Some("1970-01-01T00:00:02Z"))
        );
        let missing = WebhookStatus::new(None, None);
        assert_eq!(missing.state, "missing");
        assert!(missing.detail.is_some_and(|d| d.contains("polling")));
    }

    #[test]
    fn web_urls_follow_bitbucket_paths() {
        assert_eq!(
            web_url("https://git.corp/bitbucket/", "SHOP", "web"),
            "https://git.corp/bitbucket/projects/SHOP/repos/web/browse"
        );
        assert_eq!(
            web_url("https://git.corp", "~ALICE", "dots"),
            "https://git.corp/users/alice/repos/dots/browse"
        );
    }
}
