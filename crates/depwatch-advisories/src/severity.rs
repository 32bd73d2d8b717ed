//! Severity of a record: CVSS base scores computed from the vectors (OSV `score` is a vector,
//! never a number), preferring v4, then v3, then v2; then GHSA's and RustSec's own fields.

use crate::osv::{Advisory, SeverityEntry};
use depwatch_core::{Severity, SeverityRating, SeveritySource};
use std::str::FromStr;

/// A CVSS vector that could not be scored, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityProblem {
    pub vector: String,
    pub reason: String,
}

/// Scores one CVSS vector (v2 bare, `CVSS:3.0/…`, `CVSS:3.1/…`, `CVSS:4.0/…`).
pub fn score_vector(vector: &str) -> Result<Severity, SeverityProblem> {
    // Some feeds wrap v2 vectors in parentheses: `(AV:N/AC:L/…)`.
    let v = vector.trim().trim_start_matches('(').trim_end_matches(')');
    let parsed = cvss::Cvss::from_str(v)
        .map_err(|e| SeverityProblem { vector: vector.to_owned(), reason: e.to_string() })?;
    let (source, rating) = match &parsed {
        cvss::Cvss::CvssV20(_) => (SeveritySource::CvssV2, rating(parsed.severity())),
        cvss::Cvss::CvssV30(_) | cvss::Cvss::CvssV31(_) => {
            (SeveritySource::CvssV3, rating(parsed.severity()))
        }
        cvss::Cvss::CvssV40(_) => (SeveritySource::CvssV4, rating(parsed.severity())),
        _ => {
            return Err(SeverityProblem {
                vector: vector.to_owned(),
                reason: "unsupported CVSS version".to_owned(),
            })
        }
    };
    Ok(Severity { rating, score: Some(parsed.score()), vector: Some(v.to_owned()), source })
}

fn rating(s: cvss::Severity) -> SeverityRating {
    match s {
        cvss::Severity::None => SeverityRating::None,
        cvss::Severity::Low => SeverityRating::Low,
        cvss::Severity::Medium => SeverityRating::Medium,
        cvss::Severity::High => SeverityRating::High,
        cvss::Severity::Critical => SeverityRating::Critical,
    }
}

/// The severity of `advisory` as matched through the given `affected` entries.
///
/// Order: CVSS v4, v3, v2 vectors from the record's or the entries' `severity` (never both,
/// per schema 1.4+); GHSA `database_specific.severity`; RustSec `database_specific.cvss`;
/// else Unknown. Vectors that fail to score are returned as problems, never dropped silently.
pub fn record_severity(advisory: &Advisory, entries: &[usize]) -> (Severity, Vec<SeverityProblem>) {
    let mut problems = Vec::new();
    let mut vectors: Vec<&SeverityEntry> = advisory.severity.iter().collect();
    for &i in entries {
        if let Some(a) = advisory.affected.get(i) {
            vectors.extend(a.severity.iter());
        }
    }
    for wanted in ["CVSS_V4", "CVSS_V3", "CVSS_V2"] {
        for entry in vectors.iter().filter(|e| e.kind == wanted) {
            match score_vector(&entry.score) {
                Ok(s) => return (s, problems),
                Err(p) => problems.push(p),
            }
        }
    }
    let ghsa = advisory
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(|s| match s.to_ascii_uppercase().as_str() {
            "LOW" => Some(SeverityRating::Low),
            "MODERATE" | "MEDIUM" => Some(SeverityRating::Medium),
            "HIGH" => Some(SeverityRating::High),
            "CRITICAL" => Some(SeverityRating::Critical),
            _ => None,
        });
    if let Some(rating) = ghsa {
        return (
            Severity { rating, score: None, vector: None, source: SeveritySource::Ghsa },
            problems,
        );
    }
    let rustsec_cvss = entries
        .iter()
        .filter_map(|&i| advisory.affected.get(i)?.database_specific.as_ref())
        .chain(advisory.database_specific.as_ref())
        .find_map(|d| d.get("cvss")?.as_str().filter(|s| !s.is_empty()));
    if let Some(vector) = rustsec_cvss {
        match score_vector(vector) {
            Ok(mut s) => {
                s.source = SeveritySource::RustsecCvss;
                return (s, problems);
            }
            Err(p) => problems.push(p),
        }
    }
    (Severity::unknown(), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(vector: &str, score: f64, rating: SeverityRating, source: SeveritySource) {
        let s = score_vector(vector).unwrap();
        assert_eq!(s.score, Some(score), "{vector}");
        assert_eq!(s.rating, rating, "{vector}");
        assert_eq!(s.source, source, "{vector}");
    }

    #[test]
    fn cvss_v3_matches_first_examples() {
        // Examples from FIRST's "CVSS v3.1 Examples" document.
        // Phishing/SQLi example (CVE-2013-0375): 6.4 Medium.
        check(
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
            6.4,
            SeverityRating::Medium,
            SeveritySource::CvssV3,
        );
        // Heartbleed (CVE-2014-0160): 7.5 High.
        check(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            7.5,
            SeverityRating::High,
            SeveritySource::CvssV3,
        );
        // Shellshock (CVE-2014-6271): 9.8 Critical.
        check(
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            9.8,
            SeverityRating::Critical,
            SeveritySource::CvssV3,
        );
        // SSLv3 POODLE (CVE-2014-3566): 3.1 Low.
        check(
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
            3.1,
            SeverityRating::Low,
            SeveritySource::CvssV3,
        );
    }

    #[test]
    fn cvss_v4_matches_first_calculator() {
        // FIRST CVSS v4.0 specification / calculator reference values.
        check(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            SeverityRating::Critical,
            SeveritySource::CvssV4,
        );
        check(
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.5,
            SeverityRating::High,
            SeveritySource::CvssV4,
        );
        check(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
            0.0,
            SeverityRating::None,
            SeveritySource::CvssV4,
        );
    }

    #[test]
    fn cvss_v2_uses_nvd_bands() {
        // NVD: AV:N/AC:L/Au:N/C:P/I:P/A:P scores 7.5, High.
        check("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, SeverityRating::High, SeveritySource::CvssV2);
        check("(AV:N/AC:M/Au:N/C:N/I:P/A:N)", 4.3, SeverityRating::Medium, SeveritySource::CvssV2);
    }

    #[test]
    fn a_bad_vector_is_a_problem_not_a_number() {
        let err = score_vector("7.5").unwrap_err();
        assert_eq!(err.vector, "7.5");
    }
}
