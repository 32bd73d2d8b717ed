//! Findings per repository ref and their lifecycle (open, acknowledged, closed, ignored).
//! They are written by [`Store::store_snapshot`]; the user changes their state here.

use crate::enum_column::{enum_col, text_enum};
use crate::instance::InstanceId;
use crate::repository::RepositoryId;
use crate::snapshot::SnapshotId;
use crate::{Store, StoreError};
use rusqlite::Row;

/// Row id of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct FindingId(pub i64);

text_enum! {
    /// Where a finding is in its life.
    pub enum FindingState {
        /// Present and not yet looked at.
        Open => "open",
        /// Seen by someone; still present.
        Acknowledged => "acknowledged",
        /// Gone from the ref (fixed), or closed by hand.
        Closed => "closed",
        /// Deliberately ignored, for good or until a time.
        Ignored => "ignored",
    }
}

/// A finding as the analysis produced it (the store adds identity and lifecycle).
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    pub advisory_id: String,
    pub aliases: Vec<String>,
    pub ecosystem: String,
    pub package: String,
    pub version: String,
    pub manifest: String,
    /// `critical`, `high`, `medium`, `low`, `none` or `unknown`.
    pub severity: String,
    pub score: Option<f64>,
    /// `vulnerability`, `unmaintained`, `unsound` or `notice`.
    pub kind: String,
    /// The version to upgrade to, when known.
    pub fixed_version: Option<String>,
    pub summary: Option<String>,
}

impl NewFinding {
    /// What identifies the finding within a ref while it is present.
    pub(crate) fn key(&self) -> FindingKey {
        (
            self.advisory_id.clone(),
            self.ecosystem.clone(),
            self.package.clone(),
            self.version.clone(),
            self.manifest.clone(),
        )
    }
}

pub(crate) type FindingKey = (String, String, String, String, String);

/// A stored finding.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingRecord {
    pub id: FindingId,
    pub repository_id: RepositoryId,
    pub ref_id: String,
    pub advisory_id: String,
    pub aliases: Vec<String>,
    pub ecosystem: String,
    pub package: String,
    pub version: String,
    pub manifest: String,
    pub severity: String,
    pub score: Option<f64>,
    pub kind: String,
    pub fixed_version: Option<String>,
    pub summary: Option<String>,
    pub state: FindingState,
    pub state_reason: Option<String>,
    pub state_comment: Option<String>,
    pub state_until_ms: Option<i64>,
    pub first_seen_snapshot: SnapshotId,
    pub first_seen_commit: String,
    pub first_seen_at_ms: i64,
    pub fixed_in_snapshot: Option<SnapshotId>,
    pub fixed_in_commit: Option<String>,
    pub fixed_at_ms: Option<i64>,
}

impl FindingRecord {
    pub(crate) fn key(&self) -> FindingKey {
        (
            self.advisory_id.clone(),
            self.ecosystem.clone(),
            self.package.clone(),
            self.version.clone(),
            self.manifest.clone(),
        )
    }
}

/// Which findings [`Store::findings`] returns.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub instance: Option<InstanceId>,
    pub repository: Option<RepositoryId>,
    pub ref_id: Option<String>,
    /// Only findings still present (not fixed).
    pub present_only: bool,
    /// At most this many (newest first); `None` = all.
    pub limit: Option<u32>,
}

pub(crate) const COLUMNS: &str = "f.id, f.repository_id, f.ref_id, f.advisory_id, f.aliases, \
    f.ecosystem, f.package, f.version, f.manifest, f.severity, f.score, f.kind, f.fixed_version, \
    f.summary, f.state, f.state_reason, f.state_comment, f.state_until, f.first_seen_snapshot, \
    f.first_seen_commit, f.first_seen_at, f.fixed_in_snapshot, f.fixed_in_commit, f.fixed_at";

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<FindingRecord> {
    let aliases_json: String = row.get(4)?;
    let aliases: Vec<String> = serde_json::from_str(&aliases_json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(FindingRecord {
        id: FindingId(row.get(0)?),
        repository_id: RepositoryId(row.get(1)?),
        ref_id: row.get(2)?,
        advisory_id: row.get(3)?,
        aliases,
        ecosystem: row.get(5)?,
        package: row.get(6)?,
        version: row.get(7)?,
        manifest: row.get(8)?,
        severity: row.get(9)?,
        score: row.get(10)?,
        kind: row.get(11)?,
        fixed_version: row.get(12)?,
        summary: row.get(13)?,
        state: enum_col(row, 14, FindingState::parse)?,
        state_reason: row.get(15)?,
        state_comment: row.get(16)?,
        state_until_ms: row.get(17)?,
        first_seen_snapshot: SnapshotId(row.get(18)?),
        first_seen_commit: row.get(19)?,
        first_seen_at_ms: row.get(20)?,
        fixed_in_snapshot: row.get::<_, Option<i64>>(21)?.map(SnapshotId),
        fixed_in_commit: row.get(22)?,
        fixed_at_ms: row.get(23)?,
    })
}

impl Store {
    /// Findings matching `filter`, newest first.
    pub fn findings(&self, filter: &FindingFilter) -> Result<Vec<FindingRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM finding f JOIN repository r ON r.id = f.repository_id
             WHERE (?1 IS NULL OR r.instance_id = ?1)
               AND (?2 IS NULL OR f.repository_id = ?2)
               AND (?3 IS NULL OR f.ref_id = ?3)
               AND (?4 = 0 OR f.fixed_at IS NULL)
             ORDER BY f.id DESC LIMIT ?5"
        ))?;
        let rows = stmt
            .query_map(
                rusqlite::params![
                    filter.instance.map(|i| i.0),
                    filter.repository.map(|r| r.0),
                    filter.ref_id,
                    filter.present_only,
                    filter.limit.map_or(-1, i64::from),
                ],
                from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Changes the lifecycle state of a finding (acknowledge, ignore with a reason and an
    /// optional end time, reopen, close). Returns whether the finding exists.
    pub fn finding_set_state(
        &self,
        id: FindingId,
        state: FindingState,
        reason: Option<&str>,
        comment: Option<&str>,
        until_ms: Option<i64>,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE finding SET state = ?2, state_reason = ?3, state_comment = ?4,
                        state_until = ?5
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id.0, state.as_str(), reason, comment, until_ms])?;
        Ok(n == 1)
    }

    /// Findings still present and not dealt with (open or acknowledged) on monitored
    /// repositories, counted per (kind, severity): what the tray colour and tooltip show.
    pub fn open_finding_tally(&self) -> Result<Vec<FindingTally>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT f.kind, f.severity, COUNT(*) FROM finding f
             JOIN repository r ON r.id = f.repository_id
             WHERE f.fixed_at IS NULL AND f.state IN ('open', 'acknowledged') AND r.monitored = 1
             GROUP BY f.kind, f.severity",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let count: i64 = r.get(2)?;
                Ok(FindingTally {
                    kind: r.get(0)?,
                    severity: r.get(1)?,
                    count: u64::try_from(count).unwrap_or(0),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// How many unresolved findings share a kind and a severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingTally {
    pub kind: String,
    pub severity: String,
    pub count: u64,
}
