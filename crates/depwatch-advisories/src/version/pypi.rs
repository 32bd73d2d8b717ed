//! PyPI: PEP 440 (<https://peps.python.org/pep-0440/>), with the legacy fallback OSV.dev uses.
//!
//! Valid versions parse with `pep440_rs`, which implements PEP 440 normalization and ordering.
//! Anything else becomes [`PypiVersion::Legacy`], ordered below every valid version with the
//! key of `packaging_legacy.version.LegacyVersion`, which OSV.dev uses for such versions.

use super::{reject_garbage, VersionError};
use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A PyPI version: PEP 440, or a legacy string with `packaging_legacy`'s sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PypiVersion {
    Pep440(pep440_rs::Version),
    Legacy(LegacyVersion),
}

/// A non-PEP 440 version, kept with its `packaging_legacy` comparison key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyVersion {
    raw: String,
    key: Vec<String>,
}

impl Ord for PypiVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PypiVersion::Pep440(a), PypiVersion::Pep440(b)) => a.cmp(b),
            // packaging_legacy gives legacy versions epoch -1: below every PEP 440 version.
            (PypiVersion::Legacy(_), PypiVersion::Pep440(_)) => Ordering::Less,
            (PypiVersion::Pep440(_), PypiVersion::Legacy(_)) => Ordering::Greater,
            (PypiVersion::Legacy(a), PypiVersion::Legacy(b)) => a.key.cmp(&b.key),
        }
    }
}

impl PartialOrd for PypiVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PypiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PypiVersion::Pep440(v) => v.fmt(f),
            PypiVersion::Legacy(l) => f.write_str(&l.raw),
        }
    }
}

pub(super) fn parse(s: &str) -> Result<PypiVersion, VersionError> {
    let t = s.trim();
    reject_garbage(Ecosystem::PyPI, t)?;
    match pep440_rs::Version::from_str(t) {
        Ok(v) => Ok(PypiVersion::Pep440(v)),
        Err(_) => Ok(PypiVersion::Legacy(LegacyVersion { raw: t.to_owned(), key: legacy_key(t) })),
    }
}

/// `packaging_legacy`'s `_legacy_cmpkey` (the epoch, always -1, is left out).
fn legacy_key(version: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for part in legacy_parts(&version.to_lowercase()) {
        if part.starts_with('*') {
            // Remove "-" before a pre-release tag.
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            // Remove trailing zeros from each series of numeric parts.
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// `_parse_version_parts`: split on `(\d+ | [a-z]+ | \. | -)` keeping both the matches and
/// the text between them, map a few spellings, pad numbers, and end with `*final`.
fn legacy_parts(s: &str) -> Vec<String> {
    let mut tokens: Vec<&str> = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut other_start: Option<usize> = None;
    while let Some(&b) = bytes.get(i) {
        let len = if b.is_ascii_digit() {
            bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count()
        } else if b.is_ascii_lowercase() {
            bytes[i..].iter().take_while(|c| c.is_ascii_lowercase()).count()
        } else if b == b'.' || b == b'-' {
            1
        } else {
            if other_start.is_none() {
                other_start = Some(i);
            }
            i += 1;
            continue;
        };
        if let Some(start) = other_start.take() {
            tokens.push(&s[start..i]);
        }
        tokens.push(&s[i..i + len]);
        i += len;
    }
    if let Some(start) = other_start {
        tokens.push(&s[start..]);
    }
    let mut out = Vec::with_capacity(tokens.len() + 1);
    for token in tokens {
        let part = match token {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        };
        if part.is_empty() || part == "." {
            continue;
        }
        if part.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(format!("{part:0>8}"));
        } else {
            out.push(format!("*{part}"));
        }
    }
    out.push("*final".to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_key_matches_packaging_legacy() {
        // Values from packaging_legacy's _legacy_cmpkey.
        assert_eq!(legacy_key("2004d"), ["00002004", "*d", "*final"]);
        assert_eq!(legacy_key("1.0-dev"), ["00000001", "*@", "*final"]);
        assert_eq!(legacy_key("1.0.0_x"), ["00000001", "*_", "*x", "*final"]);
    }

    #[test]
    fn invalid_pep440_falls_back_to_legacy() {
        assert!(matches!(parse("2004d"), Ok(PypiVersion::Legacy(_))));
        assert!(matches!(parse("1.0.post1"), Ok(PypiVersion::Pep440(_))));
        assert!(parse("1.0 beta").is_err());
    }
}
