//! npm: SemVer 2.0.0 after the coercion OSV.dev applies to npm versions
//! (<https://github.com/npm/node-semver#readme>).
//!
//! node-semver strips a leading `v` or `=`; OSV.dev additionally pads `1.2` to `1.2.0` and
//! drops leading zeros from the numeric core. Anything still not SemVer after that is an
//! error: loose forms like `1.2.3beta` are not registry versions.

use super::crates_io::{parse_strict, SemverVersion};
use super::VersionError;
use depwatch_core::Ecosystem;

pub(super) fn parse(s: &str) -> Result<SemverVersion, VersionError> {
    let original = s;
    let s = s.trim();
    let s = s.strip_prefix('=').unwrap_or(s).trim_start();
    let s = s.strip_prefix('v').or_else(|| s.strip_prefix('V')).unwrap_or(s);
    let coerced = coerce_core(s);
    parse_strict(Ecosystem::Npm, &coerced).map_err(|e| match e {
        VersionError::Invalid { reason, .. } => {
            VersionError::invalid(Ecosystem::Npm, original, reason)
        }
        other => other,
    })
}

/// `^(\d+)(\.\d+)?(\.\d+)?(.*)$` → each number without leading zeros, missing ones as `.0`.
fn coerce_core(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut rest = s;
    for i in 0..3 {
        if i > 0 {
            match rest.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                _ => {
                    out.push_str(".0");
                    continue;
                }
            }
            out.push('.');
        }
        let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if end == 0 {
            // Not a numeric core: leave it for the strict parser to reject with its reason.
            return s.to_owned();
        }
        let (num, r) = rest.split_at(end);
        let trimmed = num.trim_start_matches('0');
        out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
        rest = r;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coerces_like_osv_dev() {
        assert_eq!(coerce_core("1.2"), "1.2.0");
        assert_eq!(coerce_core("1"), "1.0.0");
        assert_eq!(coerce_core("01.002.0003-rc.1"), "1.2.3-rc.1");
        assert_eq!(coerce_core("1.2-beta"), "1.2.0-beta");
        assert_eq!(coerce_core("x"), "x");
    }

    #[test]
    fn keeps_the_original_string_in_errors() {
        let err = parse("1.2.3beta").unwrap_err().to_string();
        assert!(err.contains("`1.2.3beta`"), "{err}");
    }
}
