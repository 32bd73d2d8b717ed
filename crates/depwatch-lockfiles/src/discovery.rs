//! Finding the manifests and lockfiles of a repository, from its list of file paths.
//!
//! The same planning serves a local checkout ([`list_local`]) and a Bitbucket file listing:
//! given every path, [`plan`] says which files to fetch and parse, in which format, and which
//! companion files (a `package.json` beside a `yarn.lock`, member `Cargo.toml`s, …) each parse
//! may read. Vendored trees and test fixtures are skipped by default; a manifest is parsed alone
//! only when no lockfile of its ecosystem covers it.

use crate::{join_path, parent_dir, Format, Input, ParseOptions, RepoFiles};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// Folders skipped by default. A pattern without `/` matches a folder name at any depth; one
/// with `/` matches consecutive folders at any depth (`test/fixtures` skips
/// `pkg/test/fixtures/x`); a leading `/` anchors it at the repository root; `*` matches within
/// one name.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "node_modules",
    "bower_components",
    "vendor",
    ".git",
    ".yarn",
    ".pnpm-store",
    "testdata",
    "__fixtures__",
    "__mocks__",
    "test/fixtures",
    "test/fixture",
    "tests/fixtures",
    "tests/fixture",
    "spec/fixtures",
    "__tests__/fixtures",
    "fixtures/*-lockfiles",
];

/// How discovery chooses files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryOptions {
    /// Folder patterns to skip (see [`DEFAULT_EXCLUDES`] for the syntax).
    pub excludes: Vec<String>,
    /// At most this many files are planned for parsing; the rest is reported as skipped.
    pub max_files: usize,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        Self {
            excludes: DEFAULT_EXCLUDES.iter().map(|s| (*s).to_owned()).collect(),
            max_files: 2000,
        }
    }
}

/// One file to fetch and parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub path: String,
    pub format: Format,
    /// Other files of the repository the parser may read through [`RepoFiles`]; all exist in
    /// the listing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companions: Vec<String>,
}

/// Why a recognised file is not parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SkipReason {
    /// Inside a folder matching this exclude pattern.
    Excluded { pattern: String },
    /// A manifest covered by this lockfile (beside it or in a parent folder).
    Superseded { by: String },
    /// Over [`DiscoveryOptions::max_files`].
    TooManyFiles,
}

/// A recognised file that will not be parsed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub format: Format,
    pub reason: SkipReason,
}

/// What to fetch and parse for one repository snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub jobs: Vec<Job>,
    pub skipped: Vec<Skipped>,
}

impl Plan {
    /// Every path to fetch: the jobs' files and their companions, without duplicates.
    pub fn files_to_fetch(&self) -> BTreeSet<&str> {
        self.jobs
            .iter()
            .flat_map(|j| {
                std::iter::once(j.path.as_str()).chain(j.companions.iter().map(String::as_str))
            })
            .collect()
    }
}

/// Matches `name` against a pattern segment with `*` wildcards.
pub(crate) fn segment_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else { return pattern == name };
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = rest.get(i + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The exclude pattern that skips folder path `dir` (`a/b/c`), if any.
pub fn excluded_by<'p>(dir: &str, excludes: &'p [String]) -> Option<&'p str> {
    let segments: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    excludes.iter().map(String::as_str).find(|pattern| {
        let anchored = pattern.starts_with('/');
        let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
        if pat.is_empty() || pat.len() > segments.len() {
            return false;
        }
        let starts = if anchored { 0..1 } else { 0..segments.len() - pat.len() + 1 };
        starts.into_iter().any(|start| {
            pat.iter()
                .enumerate()
                .all(|(k, p)| segments.get(start + k).is_some_and(|s| segment_matches(p, s)))
        })
    })
}

/// True for manifests that a lockfile in the same folder or any parent folder supersedes
/// (workspace members); other manifests are superseded only by a lockfile beside them.
fn superseded_from_parents(format: Format) -> bool {
    matches!(format, Format::CargoToml | Format::PackageJson)
}

/// Plans the parsing of a repository from the list of its file paths (`/`-separated,
/// repository-relative).
pub fn plan<S: AsRef<str>>(paths: &[S], options: &DiscoveryOptions) -> Plan {
    let mut out = Plan::default();
    let mut recognised: Vec<(String, Format)> = Vec::new();
    for p in paths {
        let path = p.as_ref().trim_start_matches("./");
        let Some(format) = Format::detect(path) else { continue };
        if let Some(pattern) = excluded_by(parent_dir(path), &options.excludes) {
            out.skipped.push(Skipped {
                path: path.to_owned(),
                format,
                reason: SkipReason::Excluded { pattern: pattern.to_owned() },
            });
            continue;
        }
        recognised.push((path.to_owned(), format));
    }
    recognised.sort();
    recognised.dedup();

    // Lockfiles by folder, per ecosystem.
    let mut locks: BTreeMap<(&str, depwatch_core::Ecosystem), Vec<&str>> = BTreeMap::new();
    for (path, format) in &recognised {
        if format.is_lockfile() {
            locks.entry((parent_dir(path), format.ecosystem())).or_default().push(path);
        }
    }
    let lock_covering = |path: &str, format: Format| -> Option<String> {
        let mut dir = Some(parent_dir(path));
        while let Some(d) = dir {
            if let Some(found) = locks.get(&(d, format.ecosystem())).and_then(|l| l.first()) {
                return Some((*found).to_owned());
            }
            if !superseded_from_parents(format) || d.is_empty() {
                return None;
            }
            dir = Some(parent_dir(d));
        }
        None
    };
    let exists: BTreeSet<&str> = recognised.iter().map(|(p, _)| p.as_str()).collect();
    let all: BTreeSet<&str> = paths.iter().map(|p| p.as_ref().trim_start_matches("./")).collect();

    for (path, format) in &recognised {
        let dir = parent_dir(path);
        let name = path.rsplit('/').next().unwrap_or(path);
        let superseded_by = if format.is_lockfile() {
            // npm-shrinkwrap.json wins over package-lock.json; go.mod over go.sum.
            match name {
                "package-lock.json" => Some(join_path(dir, "npm-shrinkwrap.json")),
                "go.sum" => Some(join_path(dir, "go.mod")),
                _ => None,
            }
            .filter(|other| exists.contains(other.as_str()))
        } else {
            lock_covering(path, *format)
        };
        if let Some(by) = superseded_by {
            out.skipped.push(Skipped {
                path: path.clone(),
                format: *format,
                reason: SkipReason::Superseded { by },
            });
            continue;
        }
        let companions = companions(path, *format, &all, &recognised, &options.excludes);
        out.jobs.push(Job { path: path.clone(), format: *format, companions });
    }
    if out.jobs.len() > options.max_files {
        for job in out.jobs.split_off(options.max_files) {
            out.skipped.push(Skipped {
                path: job.path,
                format: job.format,
                reason: SkipReason::TooManyFiles,
            });
        }
    }
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Companion files one parse may read: the manifest beside the lockfile, and for workspace
/// lockfiles the member manifests below it (up to the next lockfile of the same ecosystem).
fn companions(
    path: &str,
    format: Format,
    all: &BTreeSet<&str>,
    recognised: &[(String, Format)],
    excludes: &[String],
) -> Vec<String> {
    let dir = parent_dir(path);
    let beside = |name: &str| -> Vec<String> {
        let p = join_path(dir, name);
        if all.contains(p.as_str()) {
            vec![p]
        } else {
            Vec::new()
        }
    };
    // Member manifests: files named `manifest` under `dir`, not below another lockfile of the
    // same ecosystem, not excluded.
    let members = |manifest: &str| -> Vec<String> {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let other_locks: Vec<&str> = recognised
            .iter()
            .filter(|(p, f)| {
                f.is_lockfile() && f.ecosystem() == format.ecosystem() && parent_dir(p) != dir
            })
            .map(|(p, _)| parent_dir(p))
            .filter(|d| d.starts_with(&prefix) || prefix.is_empty())
            .collect();
        all.range(prefix.as_str()..)
            .take_while(|p| p.starts_with(&prefix))
            .filter(|p| p.rsplit('/').next() == Some(manifest))
            .filter(|p| excluded_by(parent_dir(p), excludes).is_none())
            .filter(|p| {
                let d = parent_dir(p);
                !other_locks.iter().any(|l| d == *l || d.starts_with(&format!("{l}/")))
            })
            .take(1000)
            .map(|p| (*p).to_owned())
            .collect()
    };
    match format {
        Format::CargoLock => members("Cargo.toml"),
        Format::PackageLock | Format::YarnLock | Format::PnpmLock => members("package.json"),
        Format::PipfileLock => beside("Pipfile"),
        Format::PoetryLock | Format::UvLock | Format::PylockToml => beside("pyproject.toml"),
        Format::GemfileLock => {
            if path.ends_with("gems.locked") {
                beside("gems.rb")
            } else {
                beside("Gemfile")
            }
        }
        Format::ComposerLock => beside("composer.json"),
        Format::GoMod => beside("go.sum"),
        Format::Requirements => {
            // `-r`/`-c` includes usually name requirement files nearby.
            all.iter()
                .filter(|p| **p != path && Format::detect(p) == Some(Format::Requirements))
                .filter(|p| excluded_by(parent_dir(p), excludes).is_none())
                .take(100)
                .map(|p| (*p).to_owned())
                .collect()
        }
        Format::PomXml => {
            // In-repository parents: every pom.xml in an ancestor folder.
            let mut parents = Vec::new();
            let mut d = dir;
            while !d.is_empty() {
                d = parent_dir(d);
                let p = join_path(d, "pom.xml");
                if all.contains(p.as_str()) {
                    parents.push(p);
                }
            }
            parents
        }
        Format::CargoToml
        | Format::PackageJson
        | Format::BunLock
        | Format::GoSum
        | Format::GradleLockfile
        | Format::NugetLock => Vec::new(),
    }
}

/// Fetched files of one snapshot plus the listing of every path, as [`RepoFiles`].
#[derive(Debug, Clone, Default)]
pub struct FetchedFiles {
    files: BTreeMap<String, Vec<u8>>,
    listing: BTreeSet<String>,
}

impl FetchedFiles {
    /// Starts from the full path listing of the snapshot.
    pub fn new<S: AsRef<str>>(listing: &[S]) -> Self {
        Self {
            files: BTreeMap::new(),
            listing: listing
                .iter()
                .map(|p| p.as_ref().trim_start_matches("./").to_owned())
                .collect(),
        }
    }

    /// Adds the content of one fetched file.
    pub fn insert(&mut self, path: impl Into<String>, bytes: Vec<u8>) {
        self.files.insert(path.into(), bytes);
    }
}

impl RepoFiles for FetchedFiles {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files.get(path).cloned()
    }

    fn list(&self, dir: &str) -> Option<Vec<String>> {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let names: BTreeSet<String> = self
            .listing
            .range(prefix.clone()..)
            .take_while(|p| p.starts_with(&prefix))
            .filter_map(|p| p.get(prefix.len()..)?.split('/').next().map(str::to_owned))
            .collect();
        Some(names.into_iter().collect())
    }
}

/// Most files one call of [`FetchedFiles::unfetched_references`] asks for.
pub const MAX_REFERENCES_PER_ROUND: usize = 500;

/// Formats whose parsers read files named inside them (`-r`/`-c` includes with any name,
/// parent POMs by `<relativePath>`), which the listing alone cannot predict.
fn reads_references(format: Format) -> bool {
    matches!(format, Format::Requirements | Format::PomXml)
}

/// A [`RepoFiles`] over fetched files that notes every read of a listed but unfetched path.
struct ReadRecorder<'a> {
    files: &'a FetchedFiles,
    wanted: RefCell<BTreeSet<String>>,
}

impl RepoFiles for ReadRecorder<'_> {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        let found = self.files.read(path);
        if found.is_none() && self.files.listing.contains(path) {
            self.wanted.borrow_mut().insert(path.to_owned());
        }
        found
    }

    fn list(&self, dir: &str) -> Option<Vec<String>> {
        self.files.list(dir)
    }
}

impl FetchedFiles {
    /// True when `path` was fetched.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Files that the jobs of `plan` read but that were not fetched, although the listing has
    /// them: `-r`/`-c` includes named anything (`constraints.txt`, `base.in`), parent POMs
    /// outside the ancestor folders (`<relativePath>../parent</relativePath>`). A remote scan
    /// fetches them and calls this again until it returns nothing; each round follows one more
    /// level of nesting. At most [`MAX_REFERENCES_PER_ROUND`] paths, sorted.
    pub fn unfetched_references(&self, plan: &Plan, options: &ParseOptions) -> Vec<String> {
        let recorder = ReadRecorder { files: self, wanted: RefCell::new(BTreeSet::new()) };
        for job in plan.jobs.iter().filter(|j| reads_references(j.format)) {
            let Some(bytes) = self.files.get(&job.path) else { continue };
            let input = Input { path: &job.path, bytes, repo: &recorder, options };
            // Only the reads matter here; the caller parses again once everything is fetched.
            let _ = crate::parse(job.format, &input);
            if recorder.wanted.borrow().len() >= MAX_REFERENCES_PER_ROUND {
                break;
            }
        }
        recorder.wanted.into_inner().into_iter().take(MAX_REFERENCES_PER_ROUND).collect()
    }
}

/// Errors from reading a local checkout.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot read directory {path}: {source}")]
    ReadDir { path: PathBuf, source: std::io::Error },
    #[error("{path} has more than {limit} files; narrow the scan or add excludes")]
    TooManyFiles { path: PathBuf, limit: usize },
}

/// Lists the files of a local checkout as repository-relative `/` paths, without descending
/// into excluded folders (so `node_modules` costs nothing) and without following symlinks.
pub fn list_local(root: &Path, options: &DiscoveryOptions) -> Result<Vec<String>, LocalError> {
    const LIMIT: usize = 1_000_000;
    const MAX_DEPTH: usize = 64;
    let mut out = Vec::new();
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|source| LocalError::ReadDir { path: dir.clone(), source })?;
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            let child = join_path(&rel, &name);
            if kind.is_dir() {
                if depth < MAX_DEPTH && excluded_by(&child, &options.excludes).is_none() {
                    stack.push((entry.path(), child, depth + 1));
                }
            } else if kind.is_file() {
                out.push(child);
                if out.len() > LIMIT {
                    return Err(LocalError::TooManyFiles {
                        path: root.to_path_buf(),
                        limit: LIMIT,
                    });
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A local checkout as [`RepoFiles`]: reads stay inside `root` (no `..`, no absolute paths, no
/// symlinks out of it) and are capped at `max_bytes`.
#[derive(Debug, Clone)]
pub struct LocalRepo {
    root: PathBuf,
    max_bytes: u64,
}

impl LocalRepo {
    /// `root` is the checkout's top folder.
    pub fn new(root: impl Into<PathBuf>, max_bytes: u64) -> Self {
        Self { root: root.into(), max_bytes }
    }
}

impl RepoFiles for LocalRepo {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        let rel = Path::new(path);
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return None;
        }
        let full = self.root.join(rel);
        let canonical = full.canonicalize().ok()?;
        let root = self.root.canonicalize().ok()?;
        if !canonical.starts_with(&root) {
            return None;
        }
        let meta = std::fs::metadata(&canonical).ok()?;
        if !meta.is_file() || meta.len() > self.max_bytes {
            return None;
        }
        std::fs::read(&canonical).ok()
    }

    fn list(&self, dir: &str) -> Option<Vec<String>> {
        let rel = Path::new(dir);
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return None;
        }
        let mut names: Vec<String> = std::fs::read_dir(self.root.join(rel))
            .ok()?
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort();
        Some(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        DiscoveryOptions::default().excludes
    }

    #[test]
    fn exclude_patterns_match_names_sequences_and_anchors() {
        let ex = defaults();
        assert_eq!(excluded_by("web/node_modules/a", &ex), Some("node_modules"));
        assert_eq!(excluded_by("pkg/test/fixtures/x", &ex), Some("test/fixtures"));
        assert_eq!(excluded_by("test/unit", &ex), None);
        assert_eq!(excluded_by("src/fixtures/npm-lockfiles", &ex), Some("fixtures/*-lockfiles"));
        assert_eq!(excluded_by("", &ex), None);
        let anchored = vec!["/docs".to_owned()];
        assert_eq!(excluded_by("docs/api", &anchored), Some("/docs"));
        assert_eq!(excluded_by("web/docs", &anchored), None);
        assert!(segment_matches("a*b*c", "axxbyyc"));
        assert!(!segment_matches("a*b", "ba"));
        assert!(segment_matches("*", "anything"));
    }
}
