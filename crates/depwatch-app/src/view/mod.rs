//! What the desktop screens show, as Tauri-free view models: each type serializes to exactly
//! the JSON of its namesake in `ui/src/backend/types.ts` (camelCase, RFC 3339 UTC timestamps,
//! `null` for a missing value, never an absent key). The shell only wraps these in commands.
//!
//! Every read first reopens ignored findings whose time ran out, so no screen shows an
//! expired ignore; [`App::reopen_expired_ignores`] is also what a periodic sweep calls.

mod advisory;
mod dashboard;
mod finding;
mod push;
mod repository;
mod trend;

pub use advisory::{
    AdvisoryDetail, AdvisoryReference, AffectedPackage, BlastRadiusEntry, CvssInfo,
};
pub use dashboard::{Dashboard, RECENT_PUSHES, TOP_REPOSITORIES, TREND_DAYS};
pub use finding::{CloseReason, Finding, FindingFilter, FindingPackage};
pub use push::{FindingRef, PushEvent};
pub use repository::{
    BranchInfo, DependencyRow, DiagnosticInfo, ManifestInfo, RepositoryDetail, RepositorySummary,
    WebhookStatus,
};
pub use trend::TrendPoint;

use crate::App;
use chrono::{DateTime, NaiveDate, Utc};
use depwatch_store::{FindingId, FindingRecord, FindingState, StoreError};
use serde::Serialize;

/// Why a view or a finding state change could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The repository, branch, finding or advisory does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An argument is malformed (a date, a reason).
    #[error("{0}")]
    InvalidInput(String),
    /// The finding is not in a state that allows the change.
    #[error("{0}")]
    InvalidState(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Open + acknowledged vulnerability findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub unknown: u64,
}

impl SeverityCounts {
    pub(crate) fn add(&mut self, severity: &str) {
        match severity_label(severity) {
            "critical" => self.critical += 1,
            "high" => self.high += 1,
            "medium" => self.medium += 1,
            "low" => self.low += 1,
            _ => self.unknown += 1,
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.unknown
    }

    /// Worst first: critical outweighs any number of highs, and so on.
    pub(crate) fn rank(&self) -> (u64, u64, u64, u64, u64) {
        (self.critical, self.high, self.medium, self.low, self.unknown)
    }
}

/// Open + acknowledged informational findings per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InformationalCounts {
    pub unmaintained: u64,
    pub unsound: u64,
    pub notice: u64,
}

impl InformationalCounts {
    pub(crate) fn add(&mut self, kind: &str) {
        match kind {
            "unmaintained" => self.unmaintained += 1,
            "unsound" => self.unsound += 1,
            _ => self.notice += 1,
        }
    }
}

/// Counts one finding into a repository's or the dashboard's totals when it is unresolved.
pub(crate) fn tally(
    counts: &mut SeverityCounts,
    informational: &mut InformationalCounts,
    finding: &FindingRecord,
) {
    if !is_unresolved(finding) {
        return;
    }
    if finding.kind == "vulnerability" {
        counts.add(&finding.severity);
    } else {
        informational.add(&finding.kind);
    }
}

/// Still present and not dealt with: what counts as "open" on every screen.
pub(crate) fn is_unresolved(f: &FindingRecord) -> bool {
    f.fixed_at_ms.is_none() && matches!(f.state, FindingState::Open | FindingState::Acknowledged)
}

/// The UI's severity vocabulary: the store also knows `none` (CVSS 0.0), shown as `low`, and
/// anything unexpected is `unknown`.
pub(crate) fn severity_label(severity: &str) -> &'static str {
    match severity {
        "critical" => "critical",
        "high" => "high",
        "medium" => "medium",
        "low" | "none" => "low",
        _ => "unknown",
    }
}

/// Higher is worse; for picking the worst severity.
pub(crate) fn severity_rank(severity: &str) -> u8 {
    match severity_label(severity) {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// The UI's finding kinds; anything else the store holds reads as a notice.
pub(crate) fn kind_label(kind: &str) -> &'static str {
    match kind {
        "vulnerability" => "vulnerability",
        "unmaintained" => "unmaintained",
        "unsound" => "unsound",
        _ => "notice",
    }
}

/// `refs/heads/main` → `main`; tags and other refs keep their full name.
pub(crate) fn branch_name(ref_id: &str) -> &str {
    ref_id.strip_prefix("refs/heads/").unwrap_or(ref_id)
}

/// A branch name as the UI sends it (`main`, or a full ref) → the full ref id.
pub(crate) fn ref_id_of(branch: &str) -> String {
    if branch.starts_with("refs/") {
        branch.to_owned()
    } else {
        format!("refs/heads/{branch}")
    }
}

/// Unix milliseconds → `2026-11-21T22:34:16Z`.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Unix milliseconds → `YYYY-MM-DD` (UTC).
pub(crate) fn date(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%d").to_string()
}

/// `YYYY-MM-DD` → Unix milliseconds of that day's start (UTC).
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

impl App {
    /// Reopens every ignored finding whose `until` has passed (see
    /// [`depwatch_store::Store::findings_reopen_expired`]). Returns those that changed, so a
    /// periodic sweep can tell the UI to reload.
    ///
    /// # Errors
    /// Database errors.
    pub fn reopen_expired_ignores(&self, now_ms: i64) -> Result<Vec<FindingId>, ViewError> {
        let reopened = self.store().findings_reopen_expired(now_ms)?;
        if !reopened.is_empty() {
            tracing::info!(count = reopened.len(), "ignored findings reopened: their time ran out");
        }
        Ok(reopened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_dates_are_utc_and_round_trip() {
        assert_eq!(rfc3339(1_795_300_456_000), "2026-11-21T22:34:16Z");
        assert_eq!(date(1_795_300_456_000), "2026-11-21");
        assert_eq!(parse_date("2026-11-21").map(date).as_deref(), Some("2026-11-21"));
        assert_eq!(parse_date("21/11/2026"), None);
        assert_eq!(parse_date("2026-02-30"), None);
    }

    #[test]
    fn refs_and_severities_read_as_the_ui_spells_them() {
        assert_eq!(branch_name("refs/heads/release/1.2"), "release/1.2");
        assert_eq!(branch_name("refs/tags/v1"), "refs/tags/v1");
        assert_eq!(ref_id_of("main"), "refs/heads/main");
        assert_eq!(ref_id_of("refs/tags/v1"), "refs/tags/v1");
        assert_eq!(severity_label("none"), "low");
        assert_eq!(severity_label("weird"), "unknown");
        assert!(severity_rank("critical") > severity_rank("high"));
    }
}
