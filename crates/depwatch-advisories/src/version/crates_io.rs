//! crates.io: SemVer 2.0.0 precedence (<https://semver.org/spec/v2.0.0.html> §11).
//!
//! Cargo versions are strict SemVer; no `v` prefix or shorthand is accepted.

use super::VersionError;
use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::fmt;

/// A SemVer version ordered by **precedence**: build metadata is ignored (§10), unlike the
/// derived `Ord` of [`semver::Version`]. Shared by crates.io, npm and Go.
#[derive(Debug, Clone)]
pub struct SemverVersion(pub semver::Version);

impl SemverVersion {
    pub fn inner(&self) -> &semver::Version {
        &self.0
    }
}

impl PartialEq for SemverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemverVersion {}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

impl PartialOrd for SemverVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SemverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Strict SemVer 2.0.0, as Cargo requires.
pub(super) fn parse(s: &str) -> Result<SemverVersion, VersionError> {
    parse_strict(Ecosystem::CratesIo, s.trim())
}

pub(super) fn parse_strict(eco: Ecosystem, s: &str) -> Result<SemverVersion, VersionError> {
    semver::Version::parse(s).map(SemverVersion).map_err(|e| VersionError::invalid(eco, s, e))
}
