//! One advisory as the Advisory screen shows it: the OSV record read for people (CVSS score
//! computed from the vector, affected ranges in words), and where it hits (blast radius).

use super::{branch_name, kind_label, severity_label, ViewError};
use crate::App;
use depwatch_advisories::osv::{Advisory, Range, RangeKind};
use depwatch_advisories::severity::record_severity;
use depwatch_core::{Ecosystem, SeverityRating};
use depwatch_store::{FindingFilter, RepositoryId, RepositoryRecord, StoredAdvisory};
use serde::Serialize;
use std::collections::HashMap;

/// A CVSS score (`CvssInfo` in types.ts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssInfo {
    /// `2.0`, `3.1`, `4.0`.
    pub version: String,
    pub vector: String,
    pub score: f64,
    pub rating: &'static str,
}

/// `AdvisoryReference` in types.ts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvisoryReference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

/// `AffectedPackage` in types.ts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AffectedPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
    /// `>=1.0.0, <1.2.3`, `<=2.0.0`, `= 1.0.1`.
    pub ranges: Vec<String>,
    pub fixed_versions: Vec<String>,
}

/// Where an advisory hits (`BlastRadiusEntry` in types.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlastRadiusEntry {
    pub finding_id: i64,
    pub repository_id: i64,
    pub project_key: String,
    pub slug: String,
    pub branch: String,
    pub package: String,
    pub version: String,
    pub manifest: String,
    pub state: &'static str,
}

/// `get_advisory` (`AdvisoryDetail` in types.ts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvisoryDetail {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub details: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub cvss: Option<CvssInfo>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub withdrawn: Option<String>,
    pub source: String,
    pub references: Vec<AdvisoryReference>,
    pub affected: Vec<AffectedPackage>,
    pub affected_repositories: Vec<BlastRadiusEntry>,
}

impl App {
    /// An advisory by id or alias, with every present finding of it (`get_advisory`).
    ///
    /// # Errors
    /// `NotFound` when neither the database nor any finding knows the id; database errors;
    /// a stored record that no longer parses is reported as a database error naming it.
    pub fn advisory_view(
        &self,
        id_or_alias: &str,
        now_ms: i64,
    ) -> Result<AdvisoryDetail, ViewError> {
        self.reopen_expired_ignores(now_ms)?;
        let store = self.store();
        let wanted = id_or_alias.trim();
        if wanted.is_empty() {
            return Err(ViewError::InvalidInput("Give an advisory id.".to_owned()));
        }
        let stored = match store.advisory(wanted)? {
            Some(a) => Some(a),
            None => match store.finding_advisory_by_alias(wanted)? {
                Some(primary) => store.advisory(&primary)?,
                None => store.advisory_by_alias(wanted)?,
            },
        };
        // A finding can outlive its record (the source dropped it): its own copy of the
        // summary, aliases and severity still describes the advisory.
        let primary = match &stored {
            Some(a) => a.id.clone(),
            None => store.finding_advisory_by_alias(wanted)?.unwrap_or_else(|| wanted.to_owned()),
        };
        let findings = store.findings(&FindingFilter {
            advisory: Some(primary.clone()),
            present_only: true,
            ..FindingFilter::default()
        })?;
        let mut detail = match (&stored, findings.first()) {
            (Some(stored), _) => detail_of(stored)?,
            (None, Some(f)) => detail_of_finding(f),
            (None, None) => {
                return Err(ViewError::NotFound(format!(
                    "Advisory {wanted} is not in the local database."
                )))
            }
        };
        let mut repos: HashMap<RepositoryId, Option<RepositoryRecord>> = HashMap::new();
        for f in &findings {
            let repo = match repos.entry(f.repository_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(store.repository(f.repository_id)?)
                }
            };
            let Some(repo) = repo.as_ref() else { continue };
            if !repo.monitored {
                continue;
            }
            detail.affected_repositories.push(BlastRadiusEntry {
                finding_id: f.id.0,
                repository_id: repo.id.0,
                project_key: repo.project_key.clone(),
                slug: repo.slug.clone(),
                branch: branch_name(&f.ref_id).to_owned(),
                package: f.package.clone(),
                version: f.version.clone(),
                manifest: f.manifest.clone(),
                state: f.state.as_str(),
            });
        }
        // The finding is one per alias group: take the kind and severity the matcher chose
        // when the record alone says less (a GHSA record without CVSS merged with a CVE).
        if let Some(f) = findings.first() {
            detail.kind = kind_label(&f.kind);
            if detail.severity == "unknown" {
                detail.severity = severity_label(&f.severity);
            }
        }
        detail.affected_repositories.sort_by(|a, b| {
            (&a.project_key, &a.slug, &a.branch, &a.package).cmp(&(
                &b.project_key,
                &b.slug,
                &b.branch,
                &b.package,
            ))
        });
        Ok(detail)
    }
}

/// The record read for people; `affected_repositories` is left empty.
fn detail_of(stored: &StoredAdvisory) -> Result<AdvisoryDetail, ViewError> {
    let record = Advisory::from_json_str(&stored.raw_json).map_err(|e| {
        ViewError::Store(depwatch_store::StoreError::Encode {
            what: "advisory record",
            message: format!("stored record {} cannot be read: {e}", stored.id),
        })
    })?;
    let all: Vec<usize> = (0..record.affected.len()).collect();
    let (severity, _problems) = record_severity(&record, &all);
    let cvss = match (&severity.vector, severity.score) {
        (Some(vector), Some(score)) => Some(CvssInfo {
            version: cvss_version(vector),
            vector: vector.clone(),
            score,
            rating: rating_label(severity.rating),
        }),
        _ => None,
    };
    let kind = match record.informational() {
        Some("unmaintained") => "unmaintained",
        Some("unsound") => "unsound",
        Some(_) => "notice",
        None => "vulnerability",
    };
    let mut affected: Vec<AffectedPackage> = Vec::new();
    for entry in &record.affected {
        let Some(package) = &entry.package else { continue };
        let Some((ecosystem, _)) = Ecosystem::from_osv(&package.ecosystem) else { continue };
        let mut ranges: Vec<String> = entry
            .ranges
            .iter()
            .filter(|r| matches!(r.range_kind(), RangeKind::Semver | RangeKind::Ecosystem))
            .flat_map(range_texts)
            .collect();
        if !entry.versions.is_empty() && ranges.is_empty() {
            ranges.push(format!("= {}", entry.versions.join(", ")));
        }
        let fixed_versions: Vec<String> = entry
            .ranges
            .iter()
            .flat_map(|r| r.events.iter().filter_map(|e| e.fixed.clone()))
            .collect();
        affected.push(AffectedPackage {
            ecosystem,
            name: package.name.clone(),
            ranges,
            fixed_versions,
        });
    }
    Ok(AdvisoryDetail {
        id: record.id.clone(),
        aliases: record.aliases.clone(),
        summary: record.summary.clone().unwrap_or_default(),
        details: record.details.clone().unwrap_or_default(),
        kind,
        severity: rating_label(severity.rating),
        cvss,
        published: record.published.clone(),
        modified: Some(record.modified.clone()).filter(|m| !m.is_empty()),
        withdrawn: record.withdrawn.clone(),
        source: source_of(&record.id),
        references: record
            .references
            .iter()
            .map(|r| AdvisoryReference { kind: r.kind.clone(), url: r.url.clone() })
            .collect(),
        affected,
        affected_repositories: Vec::new(),
    })
}

/// What a finding recorded about its advisory, for an advisory no longer in the database.
fn detail_of_finding(f: &depwatch_store::FindingRecord) -> AdvisoryDetail {
    AdvisoryDetail {
        id: f.advisory_id.clone(),
        aliases: f.aliases.clone(),
        summary: f.summary.clone().unwrap_or_default(),
        details: "This advisory is no longer in the local advisory database (its source \
                  dropped it or the database was reset); what is shown was recorded with the \
                  finding."
            .to_owned(),
        kind: kind_label(&f.kind),
        severity: severity_label(&f.severity),
        cvss: None,
        published: None,
        modified: None,
        withdrawn: None,
        source: source_of(&f.advisory_id),
        references: Vec::new(),
        affected: f
            .ecosystem
            .parse::<Ecosystem>()
            .ok()
            .map(|ecosystem| AffectedPackage {
                ecosystem,
                name: f.package.clone(),
                ranges: Vec::new(),
                fixed_versions: f.fixed_version.iter().cloned().collect(),
            })
            .into_iter()
            .collect(),
        affected_repositories: Vec::new(),
    }
}

/// OSV range events in words: each introduced…fixed (or last_affected, limit) span becomes
/// `>=a, <b`; `introduced: 0` (or `0.0.0-0`) is "from the start".
fn range_texts(range: &Range) -> Vec<String> {
    let mut out = Vec::new();
    let mut lower: Option<String> = None;
    let mut open = false;
    for e in &range.events {
        if let Some(v) = &e.introduced {
            // RustSec writes "from the start" as `0.0.0-0` (the lowest SemVer pre-release).
            let start = matches!(v.as_str(), "0" | "0.0.0" | "0.0.0-0");
            lower = if start { None } else { Some(format!(">={v}")) };
            open = true;
        } else if let Some(v) = &e.fixed {
            out.push(span(lower.take(), format!("<{v}")));
            open = false;
        } else if let Some(v) = &e.last_affected {
            out.push(span(lower.take(), format!("<={v}")));
            open = false;
        } else if let Some(v) = &e.limit {
            out.push(span(lower.take(), format!("<{v}")));
            open = false;
        }
    }
    if open {
        out.push(lower.unwrap_or_else(|| "all versions".to_owned()));
    }
    out
}

fn span(lower: Option<String>, upper: String) -> String {
    match lower {
        Some(l) => format!("{l}, {upper}"),
        None => upper,
    }
}

/// `CVSS:3.1/AV:N/…` → `3.1`; a bare vector is CVSS v2.
fn cvss_version(vector: &str) -> String {
    vector.strip_prefix("CVSS:").and_then(|rest| rest.split('/').next()).unwrap_or("2.0").to_owned()
}

fn rating_label(rating: SeverityRating) -> &'static str {
    match rating {
        SeverityRating::Critical => "critical",
        SeverityRating::High => "high",
        SeverityRating::Medium => "medium",
        SeverityRating::Low | SeverityRating::None => "low",
        SeverityRating::Unknown => "unknown",
    }
}

/// The database a record comes from, by its id prefix.
fn source_of(id: &str) -> String {
    let prefix = id.split('-').next().unwrap_or(id);
    match prefix {
        "RUSTSEC" => "RustSec",
        "GHSA" => "GitHub",
        "PYSEC" => "PyPA",
        "GO" => "Go",
        "CVE" => "NVD",
        "OSV" => "OSV",
        other => other,
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use depwatch_advisories::osv::Event;

    fn ev(introduced: Option<&str>, fixed: Option<&str>, last: Option<&str>) -> Event {
        Event {
            introduced: introduced.map(str::to_owned),
            fixed: fixed.map(str::to_owned),
            last_affected: last.map(str::to_owned),
            limit: None,
        }
    }

    #[test]
    fn ranges_read_as_comparisons() {
        let range = Range {
            kind: "SEMVER".into(),
            events: vec![
                ev(Some("0.0.0-0"), None, None),
                ev(None, Some("1.2.3"), None),
                ev(Some("2.0.0"), None, None),
                ev(None, None, Some("2.4.0")),
                ev(Some("3.0.0"), None, None),
            ],
            ..Range::default()
        };
        assert_eq!(range_texts(&range), ["<1.2.3", ">=2.0.0, <=2.4.0", ">=3.0.0"]);
        let all = Range { events: vec![ev(Some("0"), None, None)], ..Range::default() };
        assert_eq!(range_texts(&all), ["all versions"]);
    }

    #[test]
    fn cvss_versions_and_sources_come_from_the_text() {
        assert_eq!(cvss_version("CVSS:3.1/AV:N/AC:L"), "3.1");
        assert_eq!(cvss_version("AV:N/AC:L/Au:N/C:P/I:P/A:P"), "2.0");
        assert_eq!(source_of("RUSTSEC-2020-0071"), "RustSec");
        assert_eq!(source_of("GHSA-xxxx-yyyy-zzzz"), "GitHub");
    }
}
