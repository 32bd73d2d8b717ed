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

text_enum! {
    /// What brought a finding in.
    pub enum FindingOrigin {
        /// A scan of the ref (the historical scan, a local scan): a baseline.
        Scan => "scan",
        /// A push (webhook or catch-up poll) changed the ref.
        Push => "push",
        /// A new advisory matched packages already in use.
        Advisory => "advisory",
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
    /// Direct dependency of a project in the repository; `None` when the file cannot tell.
    pub direct: Option<bool>,
    /// `name@version` from a project root (or a direct dependency) to the package; empty when
    /// the lockfile records no graph.
    pub dependency_path: Vec<String>,
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
    pub origin: FindingOrigin,
    pub direct: Option<bool>,
    pub dependency_path: Vec<String>,
    /// When the state last changed (by the user, by a fix, by an ignore running out).
    pub state_changed_at_ms: Option<i64>,
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
    /// Only findings of this advisory (primary id).
    pub advisory: Option<String>,
    /// Only findings still present (not fixed).
    pub present_only: bool,
    /// At most this many (newest first); `None` = all.
    pub limit: Option<u32>,
}

pub(crate) const COLUMNS: &str = "f.id, f.repository_id, f.ref_id, f.advisory_id, f.aliases, \
    f.ecosystem, f.package, f.version, f.manifest, f.severity, f.score, f.kind, f.fixed_version, \
    f.summary, f.state, f.state_reason, f.state_comment, f.state_until, f.first_seen_snapshot, \
    f.first_seen_commit, f.first_seen_at, f.fixed_in_snapshot, f.fixed_in_commit, f.fixed_at, \
    f.origin, f.direct, f.dependency_path, f.state_changed_at";

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<FindingRecord> {
    let aliases = json_strings(row, 4)?;
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
        origin: enum_col(row, 24, FindingOrigin::parse)?,
        direct: row.get(25)?,
        dependency_path: json_strings(row, 26)?,
        state_changed_at_ms: row.get(27)?,
    })
}

/// Reads a TEXT column holding a JSON array of strings.
pub(crate) fn json_strings(row: &Row<'_>, idx: usize) -> rusqlite::Result<Vec<String>> {
    let json: String = row.get(idx)?;
    serde_json::from_str(&json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
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
               AND (?6 IS NULL OR f.advisory_id = ?6)
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
                    filter.advisory,
                ],
                from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The primary advisory id of findings that list `alias` among their aliases.
    pub fn finding_advisory_by_alias(&self, alias: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        let conn = self.conn();
        let id = conn
            .prepare_cached(
                "SELECT f.advisory_id FROM finding f
                 WHERE EXISTS (SELECT 1 FROM json_each(f.aliases) a WHERE a.value = ?1)
                 ORDER BY f.id DESC LIMIT 1",
            )?
            .query_row([alias], |r| r.get(0))
            .optional()?;
        Ok(id)
    }

    /// One finding.
    pub fn finding(&self, id: FindingId) -> Result<Option<FindingRecord>, StoreError> {
        use rusqlite::OptionalExtension;
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM finding f WHERE f.id = ?1"))?
            .query_row([id.0], from_row)
            .optional()?;
        Ok(row)
    }

    /// Changes the lifecycle state of a finding (acknowledge, ignore with a reason and an
    /// optional end time, reopen, close) at `at_ms`, and records the change in the finding's
    /// state history. Returns whether the finding exists.
    pub fn finding_set_state(
        &self,
        id: FindingId,
        state: FindingState,
        reason: Option<&str>,
        comment: Option<&str>,
        until_ms: Option<i64>,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx
            .prepare_cached(
                "UPDATE finding SET state = ?2, state_reason = ?3, state_comment = ?4,
                        state_until = ?5, state_changed_at = ?6
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id.0, state.as_str(), reason, comment, until_ms, at_ms])?;
        if n == 1 {
            record_state_change(&tx, id, state, reason, at_ms)?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Reopens every ignored finding whose `until` is at or before `now_ms` and that is still
    /// present (an ignored finding fixed meanwhile becomes closed as fixed). Returns the
    /// findings that changed. Cheap when nothing expired: readers call it before reading.
    pub fn findings_reopen_expired(&self, now_ms: i64) -> Result<Vec<FindingId>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let expired: Vec<(i64, bool)> = tx
            .prepare_cached(
                "SELECT id, fixed_at IS NOT NULL FROM finding
                 WHERE state = 'ignored' AND state_until IS NOT NULL AND state_until <= ?1
                 ORDER BY id",
            )?
            .query_map([now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for &(id, fixed) in &expired {
            let (state, reason) = if fixed {
                (FindingState::Closed, Some("fixed"))
            } else {
                (FindingState::Open, None)
            };
            // The change happens when the ignore ran out, not when someone looked.
            let at: i64 = tx
                .prepare_cached(
                    "UPDATE finding SET state = ?2, state_reason = ?3, state_comment = NULL,
                            state_changed_at = state_until, state_until = NULL
                     WHERE id = ?1 RETURNING state_changed_at",
                )?
                .query_row(rusqlite::params![id, state.as_str(), reason], |r| r.get(0))?;
            record_state_change(&tx, FindingId(id), state, reason, at)?;
        }
        tx.commit()?;
        Ok(expired.into_iter().map(|(id, _)| FindingId(id)).collect())
    }

    /// The state history of the findings: `(finding, state, at_ms)`, by finding then time.
    /// The first-seen state (`open` at `first_seen_at`) is implied, not listed.
    pub fn finding_state_changes(&self) -> Result<Vec<FindingStateChange>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT finding_id, state, reason, at FROM finding_state_change
             ORDER BY finding_id, at, id",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok(FindingStateChange {
                    finding: FindingId(row.get(0)?),
                    state: enum_col(row, 1, FindingState::parse)?,
                    reason: row.get(2)?,
                    at_ms: row.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
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

/// One recorded state change of a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingStateChange {
    pub finding: FindingId,
    pub state: FindingState,
    pub reason: Option<String>,
    pub at_ms: i64,
}

pub(crate) fn record_state_change(
    conn: &rusqlite::Connection,
    id: FindingId,
    state: FindingState,
    reason: Option<&str>,
    at_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO finding_state_change (finding_id, state, reason, at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(rusqlite::params![id.0, state.as_str(), reason, at_ms])?;
    Ok(())
}

/// How many unresolved findings share a kind and a severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingTally {
    pub kind: String,
    pub severity: String,
    pub count: u64,
}
