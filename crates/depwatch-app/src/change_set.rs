//! Which changed paths of a push matter: a push re-scans a ref only when a manifest or lockfile
//! changed (or the ref is new), so classifying paths keeps most pushes to one REST call.

use depwatch_lockfiles::Format;

/// The changed paths that are manifests or lockfiles depwatch reads, in input order, without
/// duplicates. Moves count by both their old and new path (a lockfile moved away is a change).
pub fn manifest_paths<'a, I>(paths: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut out: Vec<&'a str> = Vec::new();
    for path in paths {
        if Format::detect(path).is_some() && !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

/// Why a ref's manifests must be (re)read at its new head, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RescanReason {
    /// The ref is new (ADD), or depwatch has never scanned it.
    NewRef,
    /// These manifests or lockfiles changed.
    ManifestsChanged(Vec<String>),
    /// The change list could not be read completely (too large, the old commit is unknown to
    /// the server): read everything to be safe.
    ChangesUnknown(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_manifests_and_lockfiles_count() {
        let changed = [
            "README.md",
            "web/package-lock.json",
            "src/main.rs",
            "Cargo.lock",
            "services/api/requirements.txt",
            "Cargo.lock",
            "docs/Cargo.lock.md",
        ];
        assert_eq!(
            manifest_paths(changed),
            ["web/package-lock.json", "Cargo.lock", "services/api/requirements.txt"]
        );
        assert!(manifest_paths(["a.txt", "b/c.rs"]).is_empty());
    }
}
