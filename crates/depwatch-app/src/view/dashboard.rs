//! The dashboard: totals, the worst repositories, the 90-day trend, recent pushes.

use super::repository::{Overview, RepositorySummary};
use super::trend::{trend, TrendPoint};
use super::{tally, InformationalCounts, PushEvent, SeverityCounts, ViewError};
use crate::App;
use depwatch_store::{FindingRecord, RepositoryId};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Days in the trend chart.
pub const TREND_DAYS: u32 = 90;
/// Repositories in the "worst first" list.
pub const TOP_REPOSITORIES: usize = 10;
/// Pushes in the recent list.
pub const RECENT_PUSHES: u32 = 10;

/// `get_dashboard` (`Dashboard` in types.ts). `S` is the advisory source status the settings
/// produce (`AdvisorySourceStatus` in types.ts), passed in by the caller.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard<S> {
    pub counts: SeverityCounts,
    pub informational: InformationalCounts,
    pub monitored_repositories: u64,
    pub vulnerable_repositories: u64,
    pub top_repositories: Vec<RepositorySummary>,
    pub trend: Vec<TrendPoint>,
    pub recent_pushes: Vec<PushEvent>,
    pub advisory_sources: Vec<S>,
}

impl App {
    /// The dashboard at `now_ms`, with the given advisory source statuses.
    ///
    /// # Errors
    /// Database errors.
    pub fn dashboard_view<S>(
        &self,
        now_ms: i64,
        advisory_sources: Vec<S>,
    ) -> Result<Dashboard<S>, ViewError> {
        self.reopen_expired_ignores(now_ms)?;
        let overview = Overview::load(self)?;
        let perimeter: HashSet<RepositoryId> = overview.repositories.iter().map(|r| r.id).collect();
        let findings: Vec<&FindingRecord> =
            overview.findings.iter().filter(|f| perimeter.contains(&f.repository_id)).collect();
        let mut counts = SeverityCounts::default();
        let mut informational = InformationalCounts::default();
        for f in &findings {
            tally(&mut counts, &mut informational, f);
        }
        let summaries = overview.summaries();
        let vulnerable: Vec<&RepositorySummary> =
            summaries.iter().filter(|s| s.counts.total() > 0).collect();
        let mut top: Vec<RepositorySummary> = vulnerable.iter().map(|s| (*s).clone()).collect();
        top.sort_by(|a, b| {
            b.counts
                .rank()
                .cmp(&a.counts.rank())
                .then_with(|| (&a.project_key, &a.slug).cmp(&(&b.project_key, &b.slug)))
        });
        top.truncate(TOP_REPOSITORIES);
        let changes = self.store().finding_state_changes()?;
        let by_id: HashMap<RepositoryId, &depwatch_store::RepositoryRecord> =
            overview.repositories.iter().map(|r| (r.id, r)).collect();
        let mut recent_pushes = Vec::new();
        // Read a few more than needed: pushes of repositories left out of the perimeter are
        // skipped.
        for s in self.store().snapshots(None, RECENT_PUSHES * 4)? {
            if recent_pushes.len() == RECENT_PUSHES as usize {
                break;
            }
            if let Some(repo) = by_id.get(&s.repository_id) {
                recent_pushes.push(self.push_event(repo, &s)?);
            }
        }
        Ok(Dashboard {
            counts,
            informational,
            monitored_repositories: summaries.len() as u64,
            vulnerable_repositories: vulnerable.len() as u64,
            top_repositories: top,
            trend: trend(&findings, &changes, now_ms, TREND_DAYS),
            recent_pushes,
            advisory_sources,
        })
    }
}
