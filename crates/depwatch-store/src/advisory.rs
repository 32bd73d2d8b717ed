//! The offline advisory database: OSV records, their (ecosystem, package) index, and the
//! sources they are imported from.
//!
//! Records are kept as the raw JSON they were imported as; parsing them is the advisories
//! crate's business. An import batch runs in one transaction and rewrites only records whose
//! content changed (compared by SHA-256 of the JSON), so a repeated import of the same export
//! writes nothing but bookkeeping.

use crate::{Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// Row id of an [`AdvisorySource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SourceId(pub i64);

/// What an advisory source points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// An `http(s)://…/all.zip` download.
    Url,
    /// A local `all.zip`.
    Zip,
    /// A local directory of OSV JSON files.
    Dir,
    /// A local JSON file (one record or an array).
    File,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Url => "url",
            SourceKind::Zip => "zip",
            SourceKind::Dir => "dir",
            SourceKind::File => "file",
        }
    }

    fn parse(s: &str) -> Option<SourceKind> {
        Some(match s {
            "url" => SourceKind::Url,
            "zip" => SourceKind::Zip,
            "dir" => SourceKind::Dir,
            "file" => SourceKind::File,
            _ => return None,
        })
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the last import of a source ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncResult {
    /// Records were read and stored.
    Imported,
    /// The server answered 304: nothing was downloaded or rewritten.
    NotModified,
    /// The source could not be read; the error is in [`AdvisorySource::last_error`].
    Failed,
}

impl SyncResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncResult::Imported => "imported",
            SyncResult::NotModified => "not_modified",
            SyncResult::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<SyncResult> {
        Some(match s {
            "imported" => SyncResult::Imported,
            "not_modified" => SyncResult::NotModified,
            "failed" => SyncResult::Failed,
            _ => return None,
        })
    }
}

/// A place advisory records come from, with its sync bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvisorySource {
    pub id: SourceId,
    /// URL or path.
    pub location: String,
    pub kind: SourceKind,
    /// Part of `depwatch advisories sync`.
    pub configured: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Unix seconds (UTC) of the last import attempt.
    pub last_sync_at: Option<i64>,
    pub last_result: Option<SyncResult>,
    pub last_error: Option<String>,
    /// Records the last successful import read.
    pub record_count: u64,
    /// Records the last successful import skipped as unreadable.
    pub skipped_count: u64,
}

/// The outcome of one import attempt, recorded on its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    pub result: SyncResult,
    /// New HTTP validators; `None` keeps the stored ones.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error: Option<String>,
    pub record_count: u64,
    pub skipped_count: u64,
}

/// One record to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdvisory {
    pub id: String,
    /// OSV ecosystem name the record is filed under (`''` when unknown).
    pub ecosystem: String,
    pub modified: String,
    pub withdrawn: bool,
    /// The record's JSON, stored as is.
    pub raw_json: String,
    /// (OSV ecosystem, normalized package name) keys the matcher finds it under.
    pub packages: Vec<(String, String)>,
}

/// Whether an import batch is the whole content of its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Add and update only (a single file, a directory of extra records).
    Partial,
    /// The batch is everything the source holds (an `all.zip`): records the source held
    /// before but not any more are removed.
    FullSnapshot,
}

/// What an import batch changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportStats {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Records removed from the database because no source holds them any more.
    pub deleted: u64,
}

impl ImportStats {
    /// Records written (inserted or rewritten).
    pub fn written(&self) -> u64 {
        self.inserted + self.updated
    }
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAdvisory {
    pub id: String,
    pub raw_json: String,
}

/// A record as matching reads it: the OSV JSON without its display-only fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchableAdvisory {
    pub id: String,
    pub json: String,
}

/// Record counts of one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EcosystemCount {
    /// OSV ecosystem name; `""` for records without one.
    pub ecosystem: String,
    pub records: u64,
    pub withdrawn: u64,
}

const SOURCE_COLUMNS: &str = "id, location, kind, configured, etag, last_modified, last_sync_at, \
                              last_result, last_error, record_count, skipped_count";

fn source_from_row(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<(AdvisorySource, String, Option<String>)> {
    let kind: String = row.get(2)?;
    let result: Option<String> = row.get(7)?;
    let source = AdvisorySource {
        id: SourceId(row.get(0)?),
        location: row.get(1)?,
        kind: SourceKind::Url,
        configured: row.get::<_, i64>(3)? != 0,
        etag: row.get(4)?,
        last_modified: row.get(5)?,
        last_sync_at: row.get(6)?,
        last_result: None,
        last_error: row.get(8)?,
        record_count: row.get::<_, i64>(9)?.max(0) as u64,
        skipped_count: row.get::<_, i64>(10)?.max(0) as u64,
    };
    Ok((source, kind, result))
}

/// Turns the text columns into enums, refusing values this build does not know.
fn finish_source(
    (mut source, kind, result): (AdvisorySource, String, Option<String>),
) -> Result<AdvisorySource, StoreError> {
    let bad = |message: String| StoreError::BadAdvisorySource { id: source.id.0, message };
    source.kind = SourceKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind `{kind}`")))?;
    source.last_result = match result {
        None => None,
        Some(r) => {
            Some(SyncResult::parse(&r).ok_or_else(|| bad(format!("unknown last result `{r}`")))?)
        }
    };
    Ok(source)
}

fn content_hash(json: &str) -> [u8; 32] {
    Sha256::digest(json.as_bytes()).into()
}

impl Store {
    /// Registers a source (or finds the one with the same location). With `configured`, it is
    /// also marked as part of `sync`; an already configured source stays configured.
    pub fn ensure_advisory_source(
        &self,
        location: &str,
        kind: SourceKind,
        configured: bool,
    ) -> Result<AdvisorySource, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO advisory_source (location, kind, configured) VALUES (?1, ?2, ?3)
             ON CONFLICT (location) DO UPDATE SET
                 kind = excluded.kind,
                 configured = max(configured, excluded.configured)",
            params![location, kind.as_str(), i64::from(configured)],
        )?;
        let row = conn.query_row(
            &format!("SELECT {SOURCE_COLUMNS} FROM advisory_source WHERE location = ?1"),
            [location],
            source_from_row,
        )?;
        finish_source(row)
    }

    /// Every source, configured ones first, then by location.
    pub fn advisory_sources(&self) -> Result<Vec<AdvisorySource>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SOURCE_COLUMNS} FROM advisory_source ORDER BY configured DESC, location"
        ))?;
        let rows = stmt.query_map([], source_from_row)?.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(finish_source).collect()
    }

    /// Marks a source as (not) part of `sync`. Returns false when no source has that location.
    pub fn set_advisory_source_configured(
        &self,
        location: &str,
        configured: bool,
    ) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            "UPDATE advisory_source SET configured = ?2 WHERE location = ?1",
            params![location, i64::from(configured)],
        )?;
        Ok(changed > 0)
    }

    /// Records how an import attempt of `source` ended, at `now` (Unix seconds).
    pub fn record_advisory_sync(
        &self,
        source: SourceId,
        outcome: &SyncOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        // A failure keeps the counts of the last good import: they still describe the data.
        let keep_counts = outcome.result != SyncResult::Imported;
        conn.execute(
            "UPDATE advisory_source SET
                 etag = coalesce(?2, etag),
                 last_modified = coalesce(?3, last_modified),
                 last_sync_at = ?4,
                 last_result = ?5,
                 last_error = ?6,
                 record_count = CASE WHEN ?9 THEN record_count ELSE ?7 END,
                 skipped_count = CASE WHEN ?9 THEN skipped_count ELSE ?8 END
             WHERE id = ?1",
            params![
                source.0,
                outcome.etag,
                outcome.last_modified,
                now,
                outcome.result.as_str(),
                outcome.error,
                outcome.record_count as i64,
                outcome.skipped_count as i64,
                keep_counts,
            ],
        )?;
        Ok(())
    }

    /// Stores one import batch of `source` in a single transaction.
    ///
    /// New records are inserted, records whose JSON changed are rewritten (with their package
    /// keys), identical ones are left alone. With [`ImportMode::FullSnapshot`], records the
    /// source held before but not in `records` are dropped from it, and deleted when no other
    /// source holds them.
    pub fn import_advisories(
        &self,
        source: SourceId,
        records: &[NewAdvisory],
        mode: ImportMode,
    ) -> Result<ImportStats, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let stats = import_in(&tx, source, records, mode)?;
        tx.commit()?;
        Ok(stats)
    }

    /// The non-withdrawn records indexed under any of `keys` ((OSV ecosystem, normalized
    /// name)), each once, sorted by id, in their matching form: without the display-only
    /// fields (`details`, `references`, …), which [`Store::advisory`] keeps.
    ///
    /// One statement per ecosystem (the names travel as one JSON array) inside one read
    /// transaction: a lockfile's hundreds of names cost one lock and one statement, not one
    /// of each per name.
    pub fn advisories_for_packages<E: AsRef<str>, N: AsRef<str>>(
        &self,
        keys: &[(E, N)],
    ) -> Result<Vec<MatchableAdvisory>, StoreError> {
        let mut by_ecosystem: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (ecosystem, name) in keys {
            by_ecosystem.entry(ecosystem.as_ref()).or_default().push(name.as_ref());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT m.advisory_id, m.json FROM advisory_package p
                 JOIN advisory_match m ON m.advisory_id = p.advisory_id
                 WHERE p.ecosystem = ?1 AND p.name IN (SELECT value FROM json_each(?2))",
            )?;
            for (ecosystem, names) in by_ecosystem {
                let names = serde_json::to_string(&names).map_err(|e| StoreError::Encode {
                    what: "package names",
                    message: e.to_string(),
                })?;
                let rows = stmt.query_map([ecosystem, names.as_str()], |r| {
                    Ok(MatchableAdvisory { id: r.get(0)?, json: r.get(1)? })
                })?;
                for row in rows {
                    let row = row?;
                    if seen.insert(row.id.clone()) {
                        out.push(row);
                    }
                }
            }
        }
        tx.commit()?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Every stored record, sorted by id; withdrawn ones only when asked.
    pub fn all_advisories(
        &self,
        include_withdrawn: bool,
    ) -> Result<Vec<StoredAdvisory>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, raw_json FROM advisory WHERE ?1 OR withdrawn = 0 ORDER BY id")?;
        let rows = stmt
            .query_map([include_withdrawn], |r| {
                Ok(StoredAdvisory { id: r.get(0)?, raw_json: r.get(1)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One record by id.
    pub fn advisory(&self, id: &str) -> Result<Option<StoredAdvisory>, StoreError> {
        let row = self
            .conn()
            .query_row("SELECT id, raw_json FROM advisory WHERE id = ?1", [id], |r| {
                Ok(StoredAdvisory { id: r.get(0)?, raw_json: r.get(1)? })
            })
            .optional()?;
        Ok(row)
    }

    /// The record whose `aliases` list `alias` (`CVE-…`, `GHSA-…`), when no record has that
    /// id. Scans the records: used for one lookup at a time.
    pub fn advisory_by_alias(&self, alias: &str) -> Result<Option<StoredAdvisory>, StoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(
                "SELECT id, raw_json FROM advisory
                 WHERE EXISTS (SELECT 1 FROM json_each(advisory.raw_json, '$.aliases') a
                               WHERE a.value = ?1)
                 ORDER BY withdrawn, id LIMIT 1",
            )?
            .query_row([alias], |r| Ok(StoredAdvisory { id: r.get(0)?, raw_json: r.get(1)? }))
            .optional()?;
        Ok(row)
    }

    /// Record counts per ecosystem, by ecosystem name.
    pub fn advisory_counts(&self) -> Result<Vec<EcosystemCount>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT ecosystem, count(*), sum(withdrawn) FROM advisory
             GROUP BY ecosystem ORDER BY ecosystem",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(EcosystemCount {
                    ecosystem: r.get(0)?,
                    records: r.get::<_, i64>(1)?.max(0) as u64,
                    withdrawn: r.get::<_, Option<i64>>(2)?.unwrap_or(0).max(0) as u64,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The OSV ecosystems at least one package key is indexed under.
    pub fn advisory_ecosystems(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        // Walks the primary key's first column: one probe per distinct ecosystem.
        let mut stmt =
            conn.prepare("SELECT DISTINCT ecosystem FROM advisory_package ORDER BY 1")?;
        let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }
}

fn import_in(
    tx: &Transaction<'_>,
    source: SourceId,
    records: &[NewAdvisory],
    mode: ImportMode,
) -> Result<ImportStats, StoreError> {
    let mut stats = ImportStats::default();
    let mut get_hash = tx.prepare("SELECT content_hash FROM advisory WHERE id = ?1")?;
    let mut insert = tx.prepare(
        "INSERT INTO advisory (id, ecosystem, modified, withdrawn, content_hash, raw_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut update = tx.prepare(
        "UPDATE advisory SET ecosystem = ?2, modified = ?3, withdrawn = ?4, content_hash = ?5,
             raw_json = ?6, updated_at = unixepoch()
         WHERE id = ?1",
    )?;
    // The matching form: the record minus display-only fields (migration 0007 says why);
    // withdrawn records have none, as they never match.
    let mut set_matchable = tx.prepare(
        "INSERT OR REPLACE INTO advisory_match (advisory_id, json)
         VALUES (?1, json_remove(?2, '$.details', '$.references', '$.related', '$.upstream',
                                 '$.credits'))",
    )?;
    let mut clear_matchable = tx.prepare("DELETE FROM advisory_match WHERE advisory_id = ?1")?;
    let mut clear_packages = tx.prepare("DELETE FROM advisory_package WHERE advisory_id = ?1")?;
    let mut add_package = tx.prepare(
        "INSERT OR IGNORE INTO advisory_package (ecosystem, name, advisory_id) VALUES (?1, ?2, ?3)",
    )?;
    let mut add_member = tx.prepare(
        "INSERT OR IGNORE INTO advisory_membership (source_id, advisory_id) VALUES (?1, ?2)",
    )?;
    let mut ids: HashSet<&str> = HashSet::with_capacity(records.len());
    for record in records {
        ids.insert(&record.id);
        let hash = content_hash(&record.raw_json);
        let stored: Option<Vec<u8>> = get_hash.query_row([&record.id], |r| r.get(0)).optional()?;
        let values = params![
            record.id,
            record.ecosystem,
            record.modified,
            i64::from(record.withdrawn),
            &hash[..],
            record.raw_json,
        ];
        let rewrite = match stored {
            Some(old) if old == hash => {
                stats.unchanged += 1;
                false
            }
            Some(_) => {
                update.execute(values)?;
                clear_packages.execute([&record.id])?;
                stats.updated += 1;
                true
            }
            None => {
                insert.execute(values)?;
                stats.inserted += 1;
                true
            }
        };
        if rewrite {
            if record.withdrawn {
                clear_matchable.execute([&record.id])?;
            } else {
                set_matchable.execute(params![record.id, record.raw_json])?;
            }
            for (ecosystem, name) in &record.packages {
                add_package.execute(params![ecosystem, name, record.id])?;
            }
        }
        add_member.execute(params![source.0, record.id])?;
    }
    if mode == ImportMode::FullSnapshot {
        let held: Vec<String> = tx
            .prepare("SELECT advisory_id FROM advisory_membership WHERE source_id = ?1")?
            .query_map([source.0], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut leave = tx
            .prepare("DELETE FROM advisory_membership WHERE source_id = ?1 AND advisory_id = ?2")?;
        let mut delete_orphan = tx.prepare(
            "DELETE FROM advisory WHERE id = ?1
             AND NOT EXISTS (SELECT 1 FROM advisory_membership WHERE advisory_id = ?1)",
        )?;
        for id in held.iter().filter(|id| !ids.contains(id.as_str())) {
            leave.execute(params![source.0, id])?;
            stats.deleted += delete_orphan.execute([id])? as u64;
        }
    }
    Ok(stats)
}
