//! Which refs of a repository the push pipeline and catch-up polling follow: the default branch
//! always, plus branches matching configurable glob patterns (default `release/*`). Tags are
//! not monitored unless asked for (a tag push normally repeats a commit a branch already had).

use serde::{Deserialize, Serialize};

/// Patterns monitored besides the default branch when nothing is configured.
pub const DEFAULT_BRANCH_PATTERNS: &[&str] = &["release/*"];

/// A glob over short branch names (`release/*`): `*` matches within one `/`-separated segment,
/// `**` matches across segments, `?` matches one character; everything else is literal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RefPattern(String);

/// A pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ref pattern `{pattern}` is invalid: {message}")]
pub struct RefPatternError {
    pub pattern: String,
    pub message: &'static str,
}

impl RefPattern {
    /// Validates a pattern. A leading `refs/heads/` is accepted and dropped.
    ///
    /// # Errors
    /// Empty patterns, whitespace, or a pattern longer than 200 characters.
    pub fn new(pattern: &str) -> Result<RefPattern, RefPatternError> {
        let p = pattern.trim();
        let p = p.strip_prefix("refs/heads/").unwrap_or(p);
        let err = |message| Err(RefPatternError { pattern: pattern.to_owned(), message });
        if p.is_empty() {
            return err("it is empty");
        }
        if p.len() > 200 {
            return err("it is longer than 200 characters");
        }
        if p.chars().any(char::is_whitespace) {
            return err("git ref names cannot contain whitespace");
        }
        Ok(RefPattern(p.to_owned()))
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the short branch name (`release/1.2`) matches.
    pub fn matches(&self, branch: &str) -> bool {
        glob_match(self.0.as_bytes(), branch.as_bytes())
    }
}

/// Iterative glob matcher with single-star backtracking; `**` may cross `/`.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    // Recursion depth is bounded by the number of stars in a ≤ 200-byte pattern.
    let (mut p, mut t) = (0usize, 0usize);
    while p < pattern.len() {
        match pattern.get(p) {
            Some(b'*') => {
                let double = pattern.get(p + 1) == Some(&b'*');
                let rest = if double { p + 2 } else { p + 1 };
                let mut k = t;
                loop {
                    if glob_match(
                        pattern.get(rest..).unwrap_or_default(),
                        text.get(k..).unwrap_or_default(),
                    ) {
                        return true;
                    }
                    match text.get(k) {
                        None => return false,
                        Some(b'/') if !double => return false,
                        Some(_) => k += 1,
                    }
                }
            }
            Some(b'?') => match text.get(t) {
                Some(c) if *c != b'/' => {
                    p += 1;
                    t += 1;
                }
                _ => return false,
            },
            Some(c) => {
                if text.get(t) != Some(c) {
                    return false;
                }
                p += 1;
                t += 1;
            }
            None => return false,
        }
    }
    t == text.len()
}

/// What to monitor in every repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefFilter {
    /// Branches besides the default branch.
    pub branch_patterns: Vec<RefPattern>,
    /// Whether tags are processed (peeled to their commit). Off by default.
    pub tags: bool,
}

impl Default for RefFilter {
    fn default() -> RefFilter {
        RefFilter {
            branch_patterns: DEFAULT_BRANCH_PATTERNS
                .iter()
                .filter_map(|p| RefPattern::new(p).ok())
                .collect(),
            tags: false,
        }
    }
}

/// Why a ref is (not) monitored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefDecision {
    /// Followed: it is the default branch, or a branch matching a pattern, or a tag with tags on.
    Monitored,
    /// Not followed, with the reason shown in the inbox.
    Skipped(String),
}

impl RefFilter {
    /// A filter from pattern strings.
    ///
    /// # Errors
    /// The first invalid pattern.
    pub fn from_patterns<S: AsRef<str>>(
        patterns: &[S],
        tags: bool,
    ) -> Result<RefFilter, RefPatternError> {
        let branch_patterns =
            patterns.iter().map(|p| RefPattern::new(p.as_ref())).collect::<Result<_, _>>()?;
        Ok(RefFilter { branch_patterns, tags })
    }

    /// Decides for a full ref id (`refs/heads/main`, `refs/tags/v1`), given the repository's
    /// default branch (full ref id) when known.
    pub fn decide(&self, ref_id: &str, default_branch: Option<&str>) -> RefDecision {
        if let Some(branch) = ref_id.strip_prefix("refs/heads/") {
            if default_branch == Some(ref_id) {
                return RefDecision::Monitored;
            }
            if self.branch_patterns.iter().any(|p| p.matches(branch)) {
                return RefDecision::Monitored;
            }
            let patterns: Vec<&str> = self.branch_patterns.iter().map(RefPattern::as_str).collect();
            return RefDecision::Skipped(format!(
                "branch `{branch}` is neither the default branch nor matches the monitored patterns [{}]",
                patterns.join(", ")
            ));
        }
        if ref_id.starts_with("refs/tags/") {
            return if self.tags {
                RefDecision::Monitored
            } else {
                RefDecision::Skipped(format!("`{ref_id}` is a tag; tags are not monitored"))
            };
        }
        RefDecision::Skipped(format!("`{ref_id}` is neither a branch nor a tag"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let cases = [
            ("release/*", "release/1.2", true),
            ("release/*", "release/1.2/hotfix", false),
            ("release/**", "release/1.2/hotfix", true),
            ("release/*", "release/", true),
            ("release/*", "releases/1", false),
            ("main", "main", true),
            ("main", "main2", false),
            ("v?.x", "v1.x", true),
            ("v?.x", "v/.x", false),
            ("*-stable", "4.2-stable", true),
            ("*", "a/b", false),
            ("**", "a/b", true),
        ];
        for (pattern, branch, expected) in cases {
            assert_eq!(
                RefPattern::new(pattern).unwrap().matches(branch),
                expected,
                "{pattern} vs {branch}"
            );
        }
    }

    #[test]
    fn invalid_patterns_are_named() {
        let err = RefPattern::new(" ").unwrap_err();
        assert_eq!(err.to_string(), "ref pattern ` ` is invalid: it is empty");
        assert!(RefPattern::new("a b").is_err());
        assert_eq!(RefPattern::new("refs/heads/release/*").unwrap().as_str(), "release/*");
    }

    #[test]
    fn default_branch_always_and_patterns_and_no_tags() {
        let filter = RefFilter::default();
        let default = Some("refs/heads/trunk");
        assert_eq!(filter.decide("refs/heads/trunk", default), RefDecision::Monitored);
        assert_eq!(filter.decide("refs/heads/release/2.0", default), RefDecision::Monitored);
        assert!(
            matches!(filter.decide("refs/heads/main", default), RefDecision::Skipped(r) if r.contains("release/*"))
        );
        assert!(
            matches!(filter.decide("refs/tags/v1", default), RefDecision::Skipped(r) if r.contains("tags are not monitored"))
        );
        assert!(matches!(filter.decide("refs/notes/x", default), RefDecision::Skipped(_)));
        let with_tags = RefFilter::from_patterns(&["hotfix/*"], true).unwrap();
        assert_eq!(with_tags.decide("refs/tags/v1", default), RefDecision::Monitored);
        assert!(matches!(
            with_tags.decide("refs/heads/release/2.0", default),
            RefDecision::Skipped(_)
        ));
    }
}
