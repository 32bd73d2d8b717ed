//! Findings: an installed package that an advisory affects, with everything the UI needs to
//! say why and what to do.

use crate::Ecosystem;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of advisory a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// A security vulnerability: an alert.
    Vulnerability,
    /// RustSec informational: the crate is no longer maintained (a warning).
    Unmaintained,
    /// RustSec informational: the crate has unsound APIs (a warning).
    Unsound,
    /// RustSec informational: a notice (a warning).
    Notice,
}

impl FindingKind {
    /// True for the informational kinds cargo-audit reports as warnings.
    pub fn is_informational(self) -> bool {
        !matches!(self, FindingKind::Vulnerability)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Unmaintained => "unmaintained",
            FindingKind::Unsound => "unsound",
            FindingKind::Notice => "notice",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Qualitative severity. CVSS v3/v4 bands (FIRST): None 0.0, Low 0.1–3.9, Medium 4.0–6.9,
/// High 7.0–8.9, Critical 9.0–10.0; CVSS v2 (NVD): Low 0–3.9, Medium 4.0–6.9, High 7.0–10.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeverityRating {
    /// The advisory carries no usable severity.
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityRating {
    pub fn as_str(self) -> &'static str {
        match self {
            SeverityRating::Unknown => "unknown",
            SeverityRating::None => "none",
            SeverityRating::Low => "low",
            SeverityRating::Medium => "medium",
            SeverityRating::High => "high",
            SeverityRating::Critical => "critical",
        }
    }
}

impl fmt::Display for SeverityRating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a severity came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeveritySource {
    CvssV4,
    CvssV3,
    CvssV2,
    /// GHSA `database_specific.severity` (LOW, MODERATE, HIGH, CRITICAL).
    Ghsa,
    /// RustSec `database_specific.cvss` (a CVSS vector).
    RustsecCvss,
    /// Taken from an aliased record because the matched record had none.
    Alias,
    /// No severity anywhere.
    None,
}

/// A finding's severity: the rating, and the score and vector it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    pub rating: SeverityRating,
    /// CVSS base score, 0.0–10.0, when computed from a vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The CVSS vector the score comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    pub source: SeveritySource,
}

impl Severity {
    /// No severity information.
    pub fn unknown() -> Self {
        Severity {
            rating: SeverityRating::Unknown,
            score: None,
            vector: None,
            source: SeveritySource::None,
        }
    }
}

/// One OSV range event, serialized as OSV writes it (`{"introduced": "1.0"}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// What matched: a range (with its events, in the ecosystem's order) or the exact
/// `versions[]` list of an advisory's `affected` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchedRange {
    /// An OSV `SEMVER` range.
    Semver { advisory: String, events: Vec<RangeEvent> },
    /// An OSV `ECOSYSTEM` range.
    Ecosystem { advisory: String, events: Vec<RangeEvent> },
    /// The installed version is listed in `versions[]`.
    Versions { advisory: String },
}

/// What to upgrade to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FixSuggestion {
    /// The lowest `fixed` version above the installed one.
    FixedIn { version: String },
    /// Only `last_affected` is known: any version above it.
    AfterLastAffected { version: String },
    /// The advisory names no fix.
    NoFix,
}

/// An installed package affected by an advisory. Aliased records (GHSA, CVE, PYSEC, RUSTSEC,
/// GO) are merged into one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The primary advisory id (the ecosystem database's own id when there is one).
    pub id: String,
    /// Every other id of the same issue, sorted: merged records and their aliases.
    pub aliases: Vec<String>,
    pub kind: FindingKind,
    pub ecosystem: Ecosystem,
    /// Package name as the lockfile spells it.
    pub package: String,
    /// The installed version.
    pub version: String,
    /// Repository-relative path of the lockfile or manifest.
    pub manifest: String,
    /// Why it matched: each range or version list that contains the installed version.
    pub matched: Vec<MatchedRange>,
    pub fix: FixSuggestion,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_events_and_matches_serialize_as_osv_spells_them() {
        let m = MatchedRange::Semver {
            advisory: "RUSTSEC-2020-0071".into(),
            events: vec![RangeEvent::Introduced("0".into()), RangeEvent::Fixed("0.2.23".into())],
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"type":"SEMVER","advisory":"RUSTSEC-2020-0071","events":[{"introduced":"0"},{"fixed":"0.2.23"}]}"#
        );
        assert_eq!(serde_json::from_str::<MatchedRange>(&json).unwrap(), m);
        let fix = FixSuggestion::AfterLastAffected { version: "1.2".into() };
        assert_eq!(
            serde_json::to_string(&fix).unwrap(),
            r#"{"kind":"after_last_affected","version":"1.2"}"#
        );
    }

    #[test]
    fn ratings_order_from_unknown_to_critical() {
        assert!(SeverityRating::Unknown < SeverityRating::None);
        assert!(SeverityRating::High < SeverityRating::Critical);
        assert!(FindingKind::Unsound.is_informational());
        assert!(!FindingKind::Vulnerability.is_informational());
    }
}
