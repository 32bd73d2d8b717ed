//! Version ordering per ecosystem, each by its own specification.
//!
//! Every ecosystem has its own file. [`Version::parse`] parses once (for hot loops), and
//! [`compare`] is the one-shot form. A string an ecosystem cannot parse is a
//! [`VersionError`] with a reason: callers must surface it, never treat it as "not affected".

mod crates_io;
mod digits;
mod go;
mod maven;
mod npm;
mod nuget;
mod packagist;
mod pypi;
mod rubygems;

use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::fmt;

pub use crates_io::SemverVersion;
pub use maven::MavenVersion;
pub use nuget::NugetVersion;
pub use packagist::PackagistVersion;
pub use pypi::PypiVersion;
pub use rubygems::GemVersion;

/// Why a version string could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string is not a version in the ecosystem's grammar.
    #[error("invalid {ecosystem} version `{version}`: {reason}")]
    Invalid { ecosystem: Ecosystem, version: String, reason: String },
    /// Two versions from different ecosystems have no common order.
    #[error("cannot compare a {left} version with a {right} version")]
    EcosystemMismatch { left: Ecosystem, right: Ecosystem },
}

impl VersionError {
    pub(crate) fn invalid(ecosystem: Ecosystem, version: &str, reason: impl fmt::Display) -> Self {
        VersionError::Invalid { ecosystem, version: version.to_owned(), reason: reason.to_string() }
    }
}

/// A version parsed with its ecosystem's rules; compare many times without re-parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    CratesIo(SemverVersion),
    Npm(SemverVersion),
    Go(SemverVersion),
    PyPI(PypiVersion),
    Maven(MavenVersion),
    NuGet(NugetVersion),
    Packagist(PackagistVersion),
    RubyGems(GemVersion),
}

impl Version {
    /// Parses `s` with the rules of `ecosystem`.
    pub fn parse(ecosystem: Ecosystem, s: &str) -> Result<Version, VersionError> {
        if s.trim().is_empty() {
            // Several grammars (RubyGems) read "" as 0; an empty version in advisory data or a
            // lockfile is a defect, and reading it as 0 would match every `introduced: 0` range.
            return Err(VersionError::invalid(ecosystem, s, "empty version"));
        }
        Ok(match ecosystem {
            Ecosystem::CratesIo => Version::CratesIo(crates_io::parse(s)?),
            Ecosystem::Npm => Version::Npm(npm::parse(s)?),
            Ecosystem::Go => Version::Go(go::parse(s)?),
            Ecosystem::PyPI => Version::PyPI(pypi::parse(s)?),
            Ecosystem::Maven => Version::Maven(maven::parse(s)?),
            Ecosystem::NuGet => Version::NuGet(nuget::parse(s)?),
            Ecosystem::Packagist => Version::Packagist(packagist::parse(s)?),
            Ecosystem::RubyGems => Version::RubyGems(rubygems::parse(s)?),
        })
    }

    /// The ecosystem whose rules parsed this version.
    pub fn ecosystem(&self) -> Ecosystem {
        match self {
            Version::CratesIo(_) => Ecosystem::CratesIo,
            Version::Npm(_) => Ecosystem::Npm,
            Version::Go(_) => Ecosystem::Go,
            Version::PyPI(_) => Ecosystem::PyPI,
            Version::Maven(_) => Ecosystem::Maven,
            Version::NuGet(_) => Ecosystem::NuGet,
            Version::Packagist(_) => Ecosystem::Packagist,
            Version::RubyGems(_) => Ecosystem::RubyGems,
        }
    }

    /// Whether range checks may trust this version's order.
    ///
    /// False only for PyPI legacy (non-PEP 440) versions: they have an order (below every
    /// valid version, as OSV.dev sorts them) but a range verdict on them would be a guess.
    pub fn is_rangeable(&self) -> bool {
        !matches!(self, Version::PyPI(PypiVersion::Legacy(_)))
    }

    /// Orders two versions of the same ecosystem.
    pub fn compare(&self, other: &Version) -> Result<Ordering, VersionError> {
        Ok(match (self, other) {
            (Version::CratesIo(a), Version::CratesIo(b))
            | (Version::Npm(a), Version::Npm(b))
            | (Version::Go(a), Version::Go(b)) => a.cmp(b),
            (Version::PyPI(a), Version::PyPI(b)) => a.cmp(b),
            (Version::Maven(a), Version::Maven(b)) => a.cmp(b),
            (Version::NuGet(a), Version::NuGet(b)) => a.cmp(b),
            (Version::Packagist(a), Version::Packagist(b)) => a.cmp(b),
            (Version::RubyGems(a), Version::RubyGems(b)) => a.cmp(b),
            _ => {
                return Err(VersionError::EcosystemMismatch {
                    left: self.ecosystem(),
                    right: other.ecosystem(),
                })
            }
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::CratesIo(v) | Version::Npm(v) | Version::Go(v) => v.fmt(f),
            Version::PyPI(v) => v.fmt(f),
            Version::Maven(v) => v.fmt(f),
            Version::NuGet(v) => v.fmt(f),
            Version::Packagist(v) => v.fmt(f),
            Version::RubyGems(v) => v.fmt(f),
        }
    }
}

/// Parses both strings with `ecosystem`'s rules and orders them.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Version::parse(ecosystem, a)?.compare(&Version::parse(ecosystem, b)?)
}

/// Rejects characters no ecosystem allows inside a version (whitespace inside, control
/// characters), so grammars that accept "anything" (Maven, PyPI legacy) still refuse garbage.
pub(crate) fn reject_garbage(ecosystem: Ecosystem, s: &str) -> Result<(), VersionError> {
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(VersionError::invalid(ecosystem, s, format!("contains the character {c:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatched_ecosystems_do_not_compare() {
        let a = Version::parse(Ecosystem::Npm, "1.0.0").unwrap();
        let b = Version::parse(Ecosystem::CratesIo, "1.0.0").unwrap();
        assert_eq!(
            a.compare(&b),
            Err(VersionError::EcosystemMismatch {
                left: Ecosystem::Npm,
                right: Ecosystem::CratesIo
            })
        );
    }

    #[test]
    fn empty_versions_are_errors_everywhere() {
        for eco in Ecosystem::ALL {
            let err = Version::parse(eco, "  ").unwrap_err();
            assert!(err.to_string().contains("empty version"), "{eco}: {err}");
        }
    }

    #[test]
    fn only_pypi_legacy_is_not_rangeable() {
        assert!(!Version::parse(Ecosystem::PyPI, "2004d").unwrap().is_rangeable());
        assert!(Version::parse(Ecosystem::PyPI, "1.0").unwrap().is_rangeable());
    }
}
