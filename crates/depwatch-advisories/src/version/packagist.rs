//! Packagist: Composer's `VersionParser::normalize`, then PHP's `version_compare`
//! (<https://getcomposer.org/doc/articles/versions.md>, `composer/semver`,
//! <https://www.php.net/manual/en/function.version-compare.php>).
//!
//! Normalization strips `v`, pads to four numbers (`1.2` → `1.2.0.0`) and spells the
//! stability suffix (`-beta2`, `-RC1`, `-patch1`, `-dev`). `version_compare` then splits at
//! `.` and digit/letter changes and orders special forms
//! `dev < alpha = a < beta = b < RC = rc < number < pl = p`. Branch versions (`dev-main`,
//! `2.x-dev`) are not releases and have no order: they are errors.

use super::digits::Digits;
use super::VersionError;
use depwatch_core::Ecosystem;
use regex::Regex;
use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

/// A Composer version in normalized form, split for `version_compare`.
#[derive(Debug, Clone)]
pub struct PackagistVersion {
    normalized: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(Digits),
    /// A special form's rank: dev 0, alpha 1, beta 2, RC 3, pl/p 5; -1 when unknown.
    Special(i8),
}

/// The rank `version_compare` gives a number when it meets a special form.
const NUMBER_RANK: i8 = 4;

impl PackagistVersion {
    /// Composer's normalized form (`v1.2` → `1.2.0.0`).
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl PartialEq for PackagistVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PackagistVersion {}

fn rank(p: &Part) -> i8 {
    match p {
        Part::Num(_) => NUMBER_RANK,
        Part::Special(r) => *r,
    }
}

impl Ord for PackagistVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..self.parts.len().max(other.parts.len()) {
            let ord = match (self.parts.get(i), other.parts.get(i)) {
                (Some(Part::Num(a)), Some(Part::Num(b))) => a.cmp(b),
                (Some(a), Some(b)) => rank(a).cmp(&rank(b)),
                // The longer version's next part decides: a number makes it greater, a special
                // form compares with "#" (the number rank).
                (Some(Part::Num(_)), None) => Ordering::Greater,
                (None, Some(Part::Num(_))) => Ordering::Less,
                (Some(a), None) => rank(a).cmp(&NUMBER_RANK),
                (None, Some(b)) => NUMBER_RANK.cmp(&rank(b)),
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for PackagistVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PackagistVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

const MODIFIER: &str =
    r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?[0-9]+)*)?)?([.-]?dev)?";

// `(?i-u)`: Composer's patterns run in PCRE without `/u`, so case folding is ASCII only
// (Unicode folding would accept `ſtable`). It also keeps regex's Unicode
// tables out of the binary (a third of its relocated data, paid at every process start).
static CLASSICAL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i-u)^v?([0-9]{{1,5}})(\.[0-9]+)?(\.[0-9]+)?(\.[0-9]+)?{MODIFIER}$"))
        .ok()
});

static DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i-u)^v?([0-9]{{4}}(?:[.:-]?[0-9]{{2}}){{1,6}}(?:[.:-]?[0-9]{{1,3}})?){MODIFIER}$"
    ))
    .ok()
});

/// Where Composer's `{@(?:stable|RC|beta|alpha|dev)$}i` stability flag starts, if present.
fn stability_flag(version: &str) -> Option<usize> {
    ["stable", "RC", "beta", "alpha", "dev"].into_iter().find_map(|flag| {
        let at = version.len().checked_sub(flag.len() + 1)?;
        let (head, tail) = version.as_bytes().split_at(at);
        (tail.first() == Some(&b'@') && tail.get(1..)?.eq_ignore_ascii_case(flag.as_bytes()))
            .then_some(head.len())
    })
}

/// Composer's `{^([^,\s+]++)\+[^\s]++$}` build-metadata match: the part before the first `+`,
/// when that part is non-empty without `,` or whitespace and the rest is non-empty without
/// whitespace. PCRE's `\s` without `/u` is ASCII whitespace plus vertical tab.
fn without_build_metadata(version: &str) -> Option<&str> {
    let space = |c: char| c.is_ascii_whitespace() || c == '\x0b';
    let (head, tail) = version.split_once('+')?;
    let head_ok = !head.is_empty() && !head.contains(|c: char| c == ',' || space(c));
    let tail_ok = !tail.is_empty() && !tail.contains(space);
    (head_ok && tail_ok).then_some(head)
}

fn expand_stability(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "a" => "alpha".to_owned(),
        "b" => "beta".to_owned(),
        "p" | "pl" => "patch".to_owned(),
        "rc" => "RC".to_owned(),
        _ => lower,
    }
}

/// `VersionParser::normalize` for a single version (aliases `x as y` are lockfile syntax the
/// parsers resolve; they are rejected here).
fn normalize(input: &str) -> Result<String, String> {
    let (Some(classical), Some(date)) = (CLASSICAL.as_ref(), DATE.as_ref()) else {
        return Err("internal error: a Composer pattern failed to compile".to_owned());
    };
    let mut version = input.trim().to_owned();
    if let Some(at) = stability_flag(&version) {
        version.truncate(at);
    }
    if matches!(version.as_str(), "master" | "trunk" | "default")
        || version.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("dev-"))
    {
        return Err("a branch version (dev-…) has no release order".to_owned());
    }
    if let Some(head) = without_build_metadata(&version) {
        version = head.to_owned();
    }
    let group = |c: &regex::Captures<'_>, i: usize| c.get(i).map_or("", |m| m.as_str()).to_owned();
    let (mut out, caps, index) = if let Some(c) = classical.captures(&version) {
        let pad = |s: String| if s.is_empty() { ".0".to_owned() } else { s };
        let out = format!(
            "{}{}{}{}",
            group(&c, 1),
            pad(group(&c, 2)),
            pad(group(&c, 3)),
            pad(group(&c, 4))
        );
        (out, c, 5)
    } else if let Some(c) = date.captures(&version) {
        let out: String =
            group(&c, 1).chars().map(|ch| if ch.is_ascii_digit() { ch } else { '.' }).collect();
        (out, c, 2)
    } else if version.to_ascii_lowercase().ends_with("dev") {
        return Err("a branch version (…-dev) has no release order".to_owned());
    } else {
        return Err(
            "not a Composer version (expected e.g. 1.2.3, v1.2.3-beta2, 1.0.0-RC1)".to_owned()
        );
    };
    let modifier = group(&caps, index);
    if !modifier.is_empty() {
        if modifier == "stable" {
            return Ok(out);
        }
        out.push('-');
        out.push_str(&expand_stability(&modifier));
        out.push_str(group(&caps, index + 1).trim_start_matches(['.', '-']));
    }
    if !group(&caps, index + 2).is_empty() {
        out.push_str("-dev");
    }
    Ok(out)
}

/// PHP's `php_canonicalize_version` followed by the split `version_compare` does.
fn split(normalized: &str) -> Vec<Part> {
    let mut canon = String::with_capacity(normalized.len() + 4);
    let mut prev: Option<char> = None;
    for c in normalized.chars() {
        let sep = canon.ends_with('.');
        if prev.is_none() {
            canon.push(c);
        } else if matches!(c, '-' | '_' | '+') || !c.is_ascii_alphanumeric() {
            if !sep {
                canon.push('.');
            }
        } else {
            let p = prev.unwrap_or(c);
            let is_dig = |x: char| x.is_ascii_digit();
            let is_ndig = |x: char| !x.is_ascii_digit() && x != '.';
            if ((is_ndig(p) && is_dig(c)) || (is_dig(p) && is_ndig(c))) && !sep {
                canon.push('.');
            }
            canon.push(c);
        }
        prev = Some(c);
    }
    canon
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| match Digits::new(p) {
            Some(d) => Part::Num(d),
            None => Part::Special(special_rank(p)),
        })
        .collect()
}

/// `compare_special_version_forms`: the first form that is a prefix of the part wins.
fn special_rank(part: &str) -> i8 {
    const FORMS: [(&str, i8); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS.iter().find(|(form, _)| part.starts_with(form)).map_or(-1, |&(_, r)| r)
}

pub(super) fn parse(s: &str) -> Result<PackagistVersion, VersionError> {
    let normalized =
        normalize(s).map_err(|reason| VersionError::invalid(Ecosystem::Packagist, s, reason))?;
    let parts = split(&normalized);
    Ok(PackagistVersion { normalized, parts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn norm(input: &str, expected: &str) {
        assert_eq!(normalize(input).as_deref(), Ok(expected), "{input}");
    }

    #[test]
    fn normalizes_like_composer() {
        // Checked against composer/semver VersionParser::normalize.
        norm("1.0.0", "1.0.0.0");
        norm("1.2.3.4", "1.2.3.4");
        norm("1.0.0RC1dev", "1.0.0.0-RC1-dev");
        norm("1.0.0-rC15-dev", "1.0.0.0-RC15-dev");
        norm("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev");
        norm("1.0.0-rc1", "1.0.0.0-RC1");
        norm("1.0.0-pl3", "1.0.0.0-patch3");
        norm("1.0-dev", "1.0.0.0-dev");
        norm("0", "0.0.0.0");
        norm("10.4.13-beta", "10.4.13.0-beta");
        norm("10.4.13beta2", "10.4.13.0-beta2");
        norm("10.4.13beta.2", "10.4.13.0-beta2");
        norm("v1.0.0", "1.0.0.0");
        norm("v20100102", "20100102");
        norm("2010.01", "2010.01.0.0");
        norm("2010.01.02", "2010.01.02.0");
        norm("2010.01.02", "2010.01.02.0");
        norm("2010-01-02.5", "2010.01.02.5");
        norm("20100102-203040", "20100102.203040");
        norm("20100102203040-10", "20100102203040.10");
        norm("1.0.0-beta.5+foo", "1.0.0.0-beta5");
        norm("1.0.0+foo", "1.0.0.0");
        norm("1.0.0@dev", "1.0.0.0");
        norm("1.0.0-stable", "1.0.0.0");
    }

    #[test]
    fn flags_and_build_metadata_follow_composer_patterns() {
        norm("1.0.0@STABLE", "1.0.0.0");
        norm("1.0.0-beta2@rc", "1.0.0.0-beta2");
        norm("2.1@Alpha", "2.1.0.0");
        norm("1.0.0+build.5+more,x", "1.0.0.0");
        norm("1.0.0-RC1+sha.5114f85", "1.0.0.0-RC1");
        // Not stripped: an empty or spaced tail, or a comma before the `+`.
        for bad in ["1.0.0+", "1.0.0+a b", "1,0+foo", "1.0.0@", "1.0.0@devx"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
        assert_eq!(stability_flag("x@dev"), Some(1));
        assert_eq!(stability_flag("@dev"), Some(0));
        assert_eq!(stability_flag("dev"), None);
        assert_eq!(without_build_metadata("+x"), None);
    }

    #[test]
    fn case_folding_is_ascii_only_as_in_pcre_without_u() {
        // U+017F (long s) folds to `s` under Unicode rules only: `ſtable` is not `stable`.
        for bad in ["1.0.0-\u{17f}table", "1.0.0@\u{17f}table", "v\u{17f}1.0"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
        norm("1.0.0-BETA", "1.0.0.0-beta");
    }

    #[test]
    fn branches_and_garbage_are_errors() {
        for bad in ["dev-main", "dev-feature/x", "2.x-dev", "master", "1.0.0-foo", "", "a"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
