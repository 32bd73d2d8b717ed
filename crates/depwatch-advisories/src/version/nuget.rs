//! NuGet: `NuGet.Versioning.NuGetVersion` with `VersionComparer.Default`
//! (<https://learn.microsoft.com/nuget/concepts/package-versioning>).
//!
//! `Major.Minor.Patch[.Revision][-Prerelease][+Metadata]`: up to four int32 parts, missing ones
//! are 0 (so `1.0` = `1.0.0` = `1.0.0.0`), leading zeros are insignificant, metadata is ignored,
//! and pre-release labels compare case-insensitively: numeric labels numerically and below
//! alphanumeric ones, a longer label list wins when the shared labels are equal.

use super::VersionError;
use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::fmt;

/// A NuGet version.
#[derive(Debug, Clone)]
pub struct NugetVersion {
    raw: String,
    parts: [u32; 4],
    labels: Vec<String>,
}

impl PartialEq for NugetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NugetVersion {}

impl Ord for NugetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                // A release is above its pre-releases.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_labels(&self.labels, &other.labels),
            }
        })
    }
}

impl PartialOrd for NugetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for NugetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

fn compare_labels(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = compare_label(x, y);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// `VersionComparer.CompareRelease`: `Int32.TryParse` decides what is numeric.
fn compare_label(a: &str, b: &str) -> Ordering {
    match (a.parse::<i32>(), b.parse::<i32>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        // StringComparer.OrdinalIgnoreCase compares upper-cased characters.
        (Err(_), Err(_)) => {
            a.bytes().map(|c| c.to_ascii_uppercase()).cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
        }
    }
}

pub(super) fn parse(s: &str) -> Result<NugetVersion, VersionError> {
    let raw = s.trim();
    let err = |reason: &str| VersionError::invalid(Ecosystem::NuGet, s, reason);
    let (rest, metadata) = match raw.split_once('+') {
        Some((r, m)) => (r, Some(m)),
        None => (raw, None),
    };
    if let Some(m) = metadata {
        if m.split('.').any(|p| !is_label(p)) {
            return Err(err("build metadata must be dot-separated [0-9A-Za-z-] identifiers"));
        }
    }
    let (numbers, label) = match rest.split_once('-') {
        Some((n, l)) => (n, Some(l)),
        None => (rest, None),
    };
    let mut parts = [0u32; 4];
    for (count, piece) in numbers.split('.').enumerate() {
        let slot = parts.get_mut(count).ok_or_else(|| err("more than four numeric parts"))?;
        if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("numeric parts must be digits"));
        }
        let value: i32 =
            piece.parse().map_err(|_| err("a numeric part is larger than 2147483647"))?;
        *slot = value.unsigned_abs();
    }
    let labels = match label {
        None => Vec::new(),
        Some(l) => {
            let labels: Vec<String> = l.split('.').map(str::to_owned).collect();
            if labels.iter().any(|p| !is_label(p)) {
                return Err(err(
                    "pre-release labels must be dot-separated [0-9A-Za-z-] identifiers",
                ));
            }
            labels
        }
    };
    Ok(NugetVersion { raw: raw.to_owned(), parts, labels })
}

fn is_label(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_malformed() {
        for bad in ["1.2.3.4.5", "a.b", "1.0-", "1.0-beta..1", "1.0+", "99999999999", "1..2"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
