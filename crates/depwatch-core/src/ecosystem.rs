//! Package ecosystems, spelled as OSV spells them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An ecosystem depwatch reads lockfiles for and matches advisories in.
///
/// The string forms are OSV's exact, case-sensitive ecosystem names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    #[serde(rename = "crates.io")]
    CratesIo,
    #[serde(rename = "npm")]
    Npm,
    #[serde(rename = "PyPI")]
    PyPI,
    #[serde(rename = "Go")]
    Go,
    #[serde(rename = "Maven")]
    Maven,
    #[serde(rename = "NuGet")]
    NuGet,
    #[serde(rename = "Packagist")]
    Packagist,
    #[serde(rename = "RubyGems")]
    RubyGems,
}

impl Ecosystem {
    /// Every supported ecosystem, in a stable order.
    pub const ALL: [Ecosystem; 8] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::NuGet,
        Ecosystem::Packagist,
        Ecosystem::RubyGems,
    ];

    /// OSV's name for the ecosystem.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::RubyGems => "RubyGems",
        }
    }

    /// Parses an OSV ecosystem string, splitting off a `:suffix` (`Maven:https://…`).
    ///
    /// Returns the base ecosystem and the suffix, or `None` for ecosystems depwatch does not
    /// handle (`Debian:12`, `Hex`, …), which callers must accept and ignore, never reject.
    pub fn from_osv(s: &str) -> Option<(Ecosystem, Option<&str>)> {
        let (base, suffix) = match s.split_once(':') {
            Some((b, rest)) => (b, Some(rest)),
            None => (s, None),
        };
        base.parse().ok().map(|e| (e, suffix))
    }

    /// The key under which a package name is indexed and compared in this ecosystem.
    ///
    /// PyPI uses PEP 503 normalization, NuGet and Packagist are case-insensitive; the others
    /// compare exactly.
    pub fn normalize_name(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => pep503(name),
            Ecosystem::NuGet | Ecosystem::Packagist => name.to_ascii_lowercase(),
            _ => name.to_owned(),
        }
    }
}

/// PEP 503: lowercase, and collapse runs of `-`, `_` and `.` into one `-`.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for an ecosystem name depwatch does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEcosystem(pub String);

impl fmt::Display for UnknownEcosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown ecosystem `{}` (expected one of: crates.io, npm, PyPI, Go, Maven, NuGet, Packagist, RubyGems)",
            self.0
        )
    }
}

impl std::error::Error for UnknownEcosystem {}

impl FromStr for Ecosystem {
    type Err = UnknownEcosystem;

    /// Accepts OSV's spelling, and case-insensitive spellings people type on a command line
    /// (`cargo`, `pypi`, `go`, `rubygems`, …).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let e = match s {
            "crates.io" => Ecosystem::CratesIo,
            "npm" => Ecosystem::Npm,
            "PyPI" => Ecosystem::PyPI,
            "Go" => Ecosystem::Go,
            "Maven" => Ecosystem::Maven,
            "NuGet" => Ecosystem::NuGet,
            "Packagist" => Ecosystem::Packagist,
            "RubyGems" => Ecosystem::RubyGems,
            other => match other.to_ascii_lowercase().as_str() {
                "crates.io" | "cargo" | "crates" | "rust" => Ecosystem::CratesIo,
                "npm" | "node" => Ecosystem::Npm,
                "pypi" | "pip" | "python" => Ecosystem::PyPI,
                "go" | "golang" => Ecosystem::Go,
                "maven" | "gradle" => Ecosystem::Maven,
                "nuget" => Ecosystem::NuGet,
                "packagist" | "composer" => Ecosystem::Packagist,
                "rubygems" | "gem" | "bundler" => Ecosystem::RubyGems,
                _ => return Err(UnknownEcosystem(s.to_owned())),
            },
        };
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_suffix_is_split_and_unknown_ecosystems_are_none() {
        assert_eq!(
            Ecosystem::from_osv("Maven:https://maven.google.com"),
            Some((Ecosystem::Maven, Some("https://maven.google.com")))
        );
        assert_eq!(Ecosystem::from_osv("crates.io"), Some((Ecosystem::CratesIo, None)));
        assert_eq!(Ecosystem::from_osv("Debian:12"), None);
        assert_eq!(Ecosystem::from_osv("Hex"), None);
    }

    #[test]
    fn names_normalize_per_ecosystem() {
        assert_eq!(Ecosystem::PyPI.normalize_name("Zope.Interface"), "zope-interface");
        assert_eq!(Ecosystem::PyPI.normalize_name("a__b-.c"), "a-b-c");
        assert_eq!(Ecosystem::NuGet.normalize_name("Newtonsoft.Json"), "newtonsoft.json");
        assert_eq!(Ecosystem::Npm.normalize_name("@Scope/Pkg"), "@Scope/Pkg");
    }

    #[test]
    fn round_trips_through_strings() {
        for e in Ecosystem::ALL {
            assert_eq!(e.as_str().parse::<Ecosystem>(), Ok(e));
            assert_eq!(Ecosystem::from_osv(e.as_str()), Some((e, None)));
        }
        assert_eq!("cargo".parse::<Ecosystem>(), Ok(Ecosystem::CratesIo));
        assert!("cobol".parse::<Ecosystem>().is_err());
    }
}
