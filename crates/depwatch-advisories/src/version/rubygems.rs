//! RubyGems: `Gem::Version` (<https://docs.ruby-lang.org/en/master/Gem/Version.html>,
//! `rubygems/rubygems:lib/rubygems/version.rb`).
//!
//! `-` becomes `.pre.`; segments are runs of digits or letters; any letter makes a
//! pre-release because a string segment sorts below a numeric one; trailing zeros of the
//! numeric part and of the string part are insignificant.

use super::digits::Digits;
use super::VersionError;
use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::fmt;

/// A RubyGems version with its canonical segments.
#[derive(Debug, Clone)]
pub struct GemVersion {
    raw: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Num(Digits),
    Str(String),
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.segments.len().max(other.segments.len());
        for i in 0..len {
            // A missing segment reads as 0 (`lhsegments[i] || 0`).
            let ord = match (self.segments.get(i), other.segments.get(i)) {
                (Some(Segment::Num(a)), Some(Segment::Num(b))) => a.cmp(b),
                (Some(Segment::Str(_)), Some(Segment::Num(_)) | None) => Ordering::Less,
                (Some(Segment::Num(_)) | None, Some(Segment::Str(_))) => Ordering::Greater,
                // Ruby String#<=>: bytewise, case-sensitive.
                (Some(Segment::Str(a)), Some(Segment::Str(b))) => a.as_bytes().cmp(b.as_bytes()),
                (Some(Segment::Num(a)), None) => zero_cmp(a),
                (None, Some(Segment::Num(b))) => zero_cmp(b).reverse(),
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

/// How a number compares with a missing (zero) segment.
fn zero_cmp(d: &Digits) -> Ordering {
    if d.is_zero() {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// `Gem::Version.correct?`: `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`.
fn check_pattern(s: &str) -> Result<(), &'static str> {
    let (release, pre) = match s.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (s, None),
    };
    let mut parts = release.split('.');
    let first = parts.next().unwrap_or("");
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must start with a number");
    }
    for part in parts {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("segments after a `.` must be letters or digits");
        }
    }
    if let Some(pre) = pre {
        for part in pre.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err("the part after `-` must be letters, digits, `-` and `.`");
            }
        }
    }
    Ok(())
}

pub(super) fn parse(s: &str) -> Result<GemVersion, VersionError> {
    let t = s.trim();
    check_pattern(t).map_err(|reason| {
        VersionError::invalid(Ecosystem::RubyGems, s, format!("malformed version number: {reason}"))
    })?;
    let version = t.replace('-', ".pre.");
    let mut all = Vec::new();
    let bytes = version.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let run = if b.is_ascii_digit() {
            bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count()
        } else if b.is_ascii_alphabetic() {
            bytes[i..].iter().take_while(|c| c.is_ascii_alphabetic()).count()
        } else {
            i += 1;
            continue;
        };
        let text = &version[i..i + run];
        all.push(match Digits::new(text) {
            Some(d) => Segment::Num(d),
            None => Segment::Str(text.to_owned()),
        });
        i += run;
    }
    // canonical_segments: split at the first string segment, drop trailing zeros of each half.
    let split = all.iter().position(|s| matches!(s, Segment::Str(_))).unwrap_or(all.len());
    let strings = all.split_off(split);
    let mut segments = drop_trailing_zeros(all);
    segments.extend(drop_trailing_zeros(strings));
    Ok(GemVersion { raw: t.to_owned(), segments })
}

fn drop_trailing_zeros(mut segments: Vec<Segment>) -> Vec<Segment> {
    while matches!(segments.last(), Some(Segment::Num(d)) if d.is_zero()) {
        segments.pop();
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_gem_version_rejects() {
        for bad in ["junk", "1..2", "1.2 3", ".1", "1.0-", "1.0-a..b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
