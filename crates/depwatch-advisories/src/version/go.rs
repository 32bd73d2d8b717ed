//! Go modules: SemVer with an optional `v` (<https://go.dev/ref/mod#versions>).
//!
//! go.mod writes `v1.2.3`, OSV writes `1.2.3`. Pseudo-versions are SemVer pre-releases and
//! `+incompatible` is build metadata, so SemVer precedence orders both correctly. Toolchain
//! spellings (`go1.21rc2`, `go1.22.5`) map to SemVer (`1.21.0-rc.2`, `1.22.5`) as OSV's
//! `stdlib`/`toolchain` records spell them.

use super::crates_io::{parse_strict, SemverVersion};
use super::VersionError;
use depwatch_core::Ecosystem;

pub(super) fn parse(s: &str) -> Result<SemverVersion, VersionError> {
    let trimmed = s.trim();
    if let Some(toolchain) = trimmed.strip_prefix("go") {
        return toolchain_version(toolchain)
            .ok_or_else(|| {
                VersionError::invalid(
                    Ecosystem::Go,
                    s,
                    "not a Go toolchain version (expected go1.N[.P] or go1.NrcK/betaK)",
                )
            })
            .and_then(|v| parse_strict(Ecosystem::Go, &v));
    }
    let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
    parse_strict(Ecosystem::Go, bare).map_err(|e| match e {
        VersionError::Invalid { reason, .. } => VersionError::invalid(Ecosystem::Go, s, reason),
        other => other,
    })
}

/// `1.21rc2` → `1.21.0-rc.2`, `1.22.5` → `1.22.5`, `1.20` → `1.20.0`.
fn toolchain_version(s: &str) -> Option<String> {
    let digits_end = |t: &str| t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let mut parts = Vec::new();
    let mut rest = s;
    loop {
        let end = digits_end(rest);
        if end == 0 {
            return None;
        }
        parts.push(&rest[..end]);
        rest = &rest[end..];
        match rest.strip_prefix('.') {
            Some(r) if parts.len() < 3 => rest = r,
            _ => break,
        }
    }
    if parts.len() < 2 {
        return None;
    }
    let patch = parts.get(2).copied().unwrap_or("0");
    let mut out = format!("{}.{}.{}", parts[0], parts[1], patch);
    if !rest.is_empty() {
        let (kind, num) = if let Some(n) = rest.strip_prefix("rc") {
            ("rc", n)
        } else if let Some(n) = rest.strip_prefix("beta") {
            ("beta", n)
        } else {
            return None;
        };
        if num.is_empty() || digits_end(num) != num.len() {
            return None;
        }
        out.push_str(&format!("-{kind}.{num}"));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_spellings_map_to_semver() {
        assert_eq!(toolchain_version("1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(toolchain_version("1.22.5").as_deref(), Some("1.22.5"));
        assert_eq!(toolchain_version("1.20").as_deref(), Some("1.20.0"));
        assert_eq!(toolchain_version("1.21beta1").as_deref(), Some("1.21.0-beta.1"));
        assert_eq!(toolchain_version("1"), None);
        assert_eq!(toolchain_version("1.21x"), None);
    }

    #[test]
    fn bad_versions_name_the_input() {
        let err = parse("v1.2").unwrap_err().to_string();
        assert!(err.contains("`v1.2`"), "{err}");
        assert!(parse("gox").is_err());
    }
}
