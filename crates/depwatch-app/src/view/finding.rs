//! Findings as the Findings screen lists them, and their alert lifecycle: acknowledge, close,
//! ignore until a date (reopened when it passes), reopen.

use super::{
    branch_name, date, kind_label, parse_date, rfc3339, severity_label, severity_rank, ViewError,
};
use crate::App;
use depwatch_store::{
    FindingFilter as StoreFilter, FindingId, FindingOrigin, FindingRecord, FindingState,
    RepositoryId, RepositoryRecord,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Package of a finding (`FindingPackage` in types.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingPackage {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

/// One advisory matching one package version in one branch (`Finding` in types.ts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub id: i64,
    pub repository_id: i64,
    pub project_key: String,
    pub slug: String,
    pub branch: String,
    pub advisory_id: String,
    pub aliases: Vec<String>,
    pub kind: &'static str,
    pub severity: &'static str,
    pub cvss_score: Option<f64>,
    pub summary: String,
    pub package: FindingPackage,
    pub manifest: String,
    pub dependency_path: Vec<String>,
    pub direct: Option<bool>,
    pub fixed_versions: Vec<String>,
    pub state: &'static str,
    pub state_reason: Option<String>,
    /// `YYYY-MM-DD` the ignore runs out (the day it reopens).
    pub ignored_until: Option<String>,
    pub state_changed_at: Option<String>,
    pub introduced_at: String,
    /// The push (snapshot) that introduced it; null when a scan or a new advisory found it.
    pub introduced_by_push_id: Option<i64>,
}

impl Finding {
    pub(crate) fn new(f: &FindingRecord, repo: Option<&RepositoryRecord>) -> Finding {
        let state_reason = match (&f.state_reason, &f.state_comment) {
            (Some(r), Some(c)) if !c.is_empty() => Some(format!("{r}: {c}")),
            (Some(r), _) => Some(r.clone()),
            (None, Some(c)) if !c.is_empty() => Some(c.clone()),
            _ => None,
        };
        Finding {
            id: f.id.0,
            repository_id: f.repository_id.0,
            project_key: repo.map(|r| r.project_key.clone()).unwrap_or_default(),
            slug: repo.map(|r| r.slug.clone()).unwrap_or_default(),
            branch: branch_name(&f.ref_id).to_owned(),
            advisory_id: f.advisory_id.clone(),
            aliases: f.aliases.clone(),
            kind: kind_label(&f.kind),
            severity: severity_label(&f.severity),
            cvss_score: f.score,
            summary: f.summary.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| {
                format!("{} affects {} {}", f.advisory_id, f.package, f.version)
            }),
            package: FindingPackage {
                ecosystem: f.ecosystem.clone(),
                name: f.package.clone(),
                version: f.version.clone(),
            },
            manifest: f.manifest.clone(),
            dependency_path: f.dependency_path.clone(),
            direct: f.direct,
            fixed_versions: f.fixed_version.iter().cloned().collect(),
            state: f.state.as_str(),
            state_reason,
            ignored_until: match f.state {
                FindingState::Ignored => f.state_until_ms.map(date),
                _ => None,
            },
            state_changed_at: f.state_changed_at_ms.map(rfc3339),
            introduced_at: rfc3339(f.first_seen_at_ms),
            introduced_by_push_id: match f.origin {
                FindingOrigin::Push => Some(f.first_seen_snapshot.0),
                FindingOrigin::Scan | FindingOrigin::Advisory => None,
            },
        }
    }
}

/// Which findings `list_findings` returns (`FindingFilter` in types.ts). Empty lists and
/// nulls mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FindingFilter {
    pub repository_id: Option<i64>,
    pub severities: Vec<String>,
    pub states: Vec<String>,
    pub kinds: Vec<String>,
    pub advisory_id: Option<String>,
    /// Substring, case-insensitive: package, advisory id, alias, `PROJECT/slug`, summary.
    pub query: Option<String>,
}

/// Why a finding is closed by hand (`CloseReason` in types.ts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseReason {
    DoesNotApply,
    Mitigated,
}

impl CloseReason {
    fn as_str(self) -> &'static str {
        match self {
            CloseReason::DoesNotApply => "does-not-apply",
            CloseReason::Mitigated => "mitigated",
        }
    }
}

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "unknown"];
const STATES: [&str; 4] = ["open", "acknowledged", "closed", "ignored"];
const KINDS: [&str; 4] = ["vulnerability", "unmaintained", "unsound", "notice"];

fn check_values(field: &str, values: &[String], allowed: &[&str]) -> Result<(), ViewError> {
    match values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(bad) => Err(ViewError::InvalidInput(format!(
            "Unknown {field} `{bad}` in the filter (expected one of: {}).",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

impl App {
    /// Findings of monitored repositories matching `filter`, worst first, then newest
    /// (`list_findings`). Fixed findings are included (as closed) when the filter's states
    /// allow closed ones.
    ///
    /// # Errors
    /// `InvalidInput` for an unknown severity, state or kind; database errors.
    pub fn findings_view(
        &self,
        filter: &FindingFilter,
        now_ms: i64,
    ) -> Result<Vec<Finding>, ViewError> {
        check_values("severity", &filter.severities, &SEVERITIES)?;
        check_values("state", &filter.states, &STATES)?;
        check_values("kind", &filter.kinds, &KINDS)?;
        self.reopen_expired_ignores(now_ms)?;
        let store = self.store();
        let mut repos: HashMap<RepositoryId, RepositoryRecord> = HashMap::new();
        let mut monitored: HashSet<RepositoryId> = HashSet::new();
        for instance in store.instances()? {
            for r in store.repositories(instance.id, None)? {
                repos.insert(r.id, r);
            }
            monitored.extend(store.perimeter_repositories(instance.id)?.into_iter().map(|r| r.id));
        }
        let advisory = match filter.advisory_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => Some(
                store
                    .advisory(id)?
                    .map(|a| a.id)
                    .or(store.finding_advisory_by_alias(id)?)
                    .unwrap_or_else(|| id.to_owned()),
            ),
            _ => None,
        };
        let records = store.findings(&StoreFilter {
            repository: filter.repository_id.map(RepositoryId),
            advisory,
            ..StoreFilter::default()
        })?;
        let query = filter.query.as_deref().map(|q| q.trim().to_lowercase()).unwrap_or_default();
        let mut out: Vec<(u8, i64, Finding)> = records
            .iter()
            .filter(|f| monitored.contains(&f.repository_id))
            .map(|f| Finding::new(f, repos.get(&f.repository_id)))
            .filter(|f| {
                filter.severities.is_empty() || filter.severities.iter().any(|s| s == f.severity)
            })
            .filter(|f| filter.states.is_empty() || filter.states.iter().any(|s| s == f.state))
            .filter(|f| filter.kinds.is_empty() || filter.kinds.iter().any(|k| k == f.kind))
            .filter(|f| query.is_empty() || matches_query(f, &query))
            .map(|f| (severity_rank(f.severity), f.id, f))
            .collect();
        // Worst first, then newest (ids grow with time).
        out.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        Ok(out.into_iter().map(|(_, _, f)| f).collect())
    }

    /// One finding as the UI shows it.
    ///
    /// # Errors
    /// `NotFound`; database errors.
    pub fn finding_view(&self, id: i64) -> Result<Finding, ViewError> {
        let store = self.store();
        let record = store
            .finding(FindingId(id))?
            .ok_or_else(|| ViewError::NotFound(format!("Finding {id} does not exist.")))?;
        let repo = store.repository(record.repository_id)?;
        Ok(Finding::new(&record, repo.as_ref()))
    }

    /// Marks an open finding as seen: no more notifications, still counted as open.
    ///
    /// # Errors
    /// `NotFound`; `InvalidState` unless the finding is open.
    pub fn acknowledge_finding(&self, id: i64, now_ms: i64) -> Result<Finding, ViewError> {
        let record = self.present_finding(id, now_ms)?;
        if record.state != FindingState::Open {
            return Err(ViewError::InvalidState(format!(
                "Only open findings can be acknowledged (finding {id} is {}).",
                record.state
            )));
        }
        self.set_finding_state(id, FindingState::Acknowledged, None, None, None, now_ms)
    }

    /// Closes a finding by hand, with a reason and an optional comment.
    ///
    /// # Errors
    /// `NotFound`; `InvalidState` when it is already closed.
    pub fn close_finding(
        &self,
        id: i64,
        reason: CloseReason,
        comment: Option<&str>,
        now_ms: i64,
    ) -> Result<Finding, ViewError> {
        let record = self.present_finding(id, now_ms)?;
        if record.state == FindingState::Closed {
            return Err(ViewError::InvalidState(format!("Finding {id} is already closed.")));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        self.set_finding_state(
            id,
            FindingState::Closed,
            Some(reason.as_str()),
            comment,
            None,
            now_ms,
        )
    }

    /// Ignores a finding until the start (UTC) of `until` (`YYYY-MM-DD`, in the future); it
    /// reopens by itself then.
    ///
    /// # Errors
    /// `NotFound`; `InvalidInput` for an empty reason or a date that is malformed or not in
    /// the future.
    pub fn ignore_finding(
        &self,
        id: i64,
        reason: &str,
        until: &str,
        now_ms: i64,
    ) -> Result<Finding, ViewError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ViewError::InvalidInput("Give a reason for ignoring.".to_owned()));
        }
        let until_ms = parse_date(until).ok_or_else(|| {
            ViewError::InvalidInput(format!("`{until}` is not a date; expected YYYY-MM-DD."))
        })?;
        if until_ms <= now_ms {
            return Err(ViewError::InvalidInput(format!(
                "The expiry date {until} must be in the future."
            )));
        }
        self.present_finding(id, now_ms)?;
        self.set_finding_state(
            id,
            FindingState::Ignored,
            Some(reason),
            None,
            Some(until_ms),
            now_ms,
        )
    }

    /// Reopens an acknowledged, closed or ignored finding that is still present.
    ///
    /// # Errors
    /// `NotFound`; `InvalidState` when it is open already.
    pub fn reopen_finding(&self, id: i64, now_ms: i64) -> Result<Finding, ViewError> {
        let record = self.present_finding(id, now_ms)?;
        if record.state == FindingState::Open {
            return Err(ViewError::InvalidState(format!("Finding {id} is already open.")));
        }
        self.set_finding_state(id, FindingState::Open, None, None, None, now_ms)
    }

    /// The finding, refusing one that is gone from its branch: its state records the fix.
    fn present_finding(&self, id: i64, now_ms: i64) -> Result<FindingRecord, ViewError> {
        self.reopen_expired_ignores(now_ms)?;
        let record = self
            .store()
            .finding(FindingId(id))?
            .ok_or_else(|| ViewError::NotFound(format!("Finding {id} does not exist.")))?;
        if let Some(commit) = &record.fixed_in_commit {
            return Err(ViewError::InvalidState(format!(
                "Finding {id} was fixed by commit {commit}; it is no longer present."
            )));
        }
        Ok(record)
    }

    fn set_finding_state(
        &self,
        id: i64,
        state: FindingState,
        reason: Option<&str>,
        comment: Option<&str>,
        until_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<Finding, ViewError> {
        let found = self.store().finding_set_state(
            FindingId(id),
            state,
            reason,
            comment,
            until_ms,
            now_ms,
        )?;
        if !found {
            return Err(ViewError::NotFound(format!("Finding {id} does not exist.")));
        }
        tracing::info!(finding = id, state = %state, "finding state changed");
        self.finding_view(id)
    }
}

fn matches_query(f: &Finding, query: &str) -> bool {
    let repo = format!("{}/{}", f.project_key, f.slug);
    let found =
        [f.package.name.as_str(), f.advisory_id.as_str(), repo.as_str(), f.summary.as_str()]
            .into_iter()
            .chain(f.aliases.iter().map(String::as_str))
            .any(|s| s.to_lowercase().contains(query));
    found
}
