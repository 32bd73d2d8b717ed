//! Scanning a local lockfile or checkout against the stored advisories.
//!
//! A directory is walked with the lockfiles crate's discovery (default excludes, lockfile over
//! manifest); a single file is parsed with its folder as the repository, so companion files
//! (a `package.json` beside a `yarn.lock`) are found. Only the advisories of the packages found
//! are loaded from the store, so a scan costs a few indexed lookups, not a full index build.

use crate::App;
use depwatch_advisories::{Advisory, AdvisoryIndex};
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Finding, FindingKind, SeverityRating};
use depwatch_lockfiles::discovery::{self, DiscoveryOptions, LocalRepo, SkipReason};
use depwatch_lockfiles::{Format, Input, ParseOptions};
use depwatch_store::StoreError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Why a scan could not run at all (unreadable input yields diagnostics instead).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Discovery(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outcome of a scan: what is installed, what is affected, and what could not be read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScanReport {
    /// The files parsed, relative to the scanned folder.
    pub manifests: Vec<String>,
    pub packages: Vec<Dependency>,
    /// Most severe first.
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The `--fail-on` threshold: which findings make a scan fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any finding, informational ones (unmaintained, unsound, notice) included.
    Any,
    /// Vulnerabilities rated at least this. Vulnerabilities without a usable severity count
    /// at every threshold: an unrated advisory is not evidence of a harmless one.
    Rating(SeverityRating),
}

impl FailOn {
    /// True when `finding` reaches the threshold.
    pub fn is_met_by(self, finding: &Finding) -> bool {
        match self {
            FailOn::Any => true,
            FailOn::Rating(min) => {
                finding.kind == FindingKind::Vulnerability
                    && (finding.severity.rating == SeverityRating::Unknown
                        || finding.severity.rating >= min)
            }
        }
    }
}

impl ScanReport {
    /// True when a finding reaches `threshold`.
    pub fn fails(&self, threshold: FailOn) -> bool {
        self.findings.iter().any(|f| threshold.is_met_by(f))
    }
}

/// Finds the format of a file name, also under a prefix (`rustsec.Cargo.lock`, how fixtures and
/// downloads are often named): the longest suffix after a `.` that is a known name wins.
fn detect_format(file_name: &str) -> Option<Format> {
    Format::detect(file_name).or_else(|| {
        file_name
            .match_indices('.')
            .filter_map(|(i, _)| file_name.get(i + 1..))
            .find_map(Format::detect)
    })
}

/// Sort key: vulnerabilities from critical down to unrated, then informational findings.
fn severity_rank(f: &Finding) -> (u8, u8) {
    let informational = u8::from(f.kind.is_informational());
    let rating = match f.severity.rating {
        SeverityRating::Critical => 0,
        SeverityRating::High => 1,
        SeverityRating::Medium => 2,
        SeverityRating::Low => 3,
        SeverityRating::None => 4,
        SeverityRating::Unknown => 5,
    };
    (informational, rating)
}

impl App {
    /// Scans a lockfile or manifest, or every one under a directory.
    pub fn scan_path(&self, path: &Path) -> Result<ScanReport, ScanError> {
        let meta = std::fs::metadata(path)
            .map_err(|source| ScanError::Io { path: path.to_owned(), source })?;
        let options = ParseOptions::default();
        let mut manifests = Vec::new();
        let mut packages = Vec::new();
        let mut diagnostics = Vec::new();
        let mut parse =
            |root: &Path, rel: &str, format: Format, diagnostics: &mut Vec<Diagnostic>| {
                let repo = LocalRepo::new(root, options.max_bytes as u64);
                let full = root.join(rel);
                let bytes = match read_capped(&full, options.max_bytes) {
                    Ok(bytes) => bytes,
                    Err(message) => {
                        diagnostics.push(Diagnostic::error(rel, message));
                        return;
                    }
                };
                let input = Input { path: rel, bytes: &bytes, repo: &repo, options: &options };
                let parsed = depwatch_lockfiles::parse(format, &input);
                manifests.push(rel.to_owned());
                packages.extend(parsed.packages);
                diagnostics.extend(parsed.diagnostics);
            };
        if meta.is_dir() {
            let discovery_options = DiscoveryOptions::default();
            let listing = discovery::list_local(path, &discovery_options)
                .map_err(|e| ScanError::Discovery(e.to_string()))?;
            let plan = discovery::plan(&listing, &discovery_options);
            for job in &plan.jobs {
                parse(path, &job.path, job.format, &mut diagnostics);
            }
            for skipped in &plan.skipped {
                if skipped.reason == SkipReason::TooManyFiles {
                    diagnostics.push(Diagnostic::warning(
                        &skipped.path,
                        format!(
                            "not scanned: over the limit of {} files per scan",
                            discovery_options.max_files
                        ),
                    ));
                }
            }
            if plan.jobs.is_empty() {
                diagnostics.push(Diagnostic::warning(
                    path.display().to_string(),
                    "no lockfile or manifest that depwatch reads was found here",
                ));
            }
        } else {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let root = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            match detect_format(name) {
                Some(format) => parse(&root, name, format, &mut diagnostics),
                None => diagnostics.push(Diagnostic::error(
                    path.display().to_string(),
                    "not a lockfile or manifest depwatch reads (expected a name such as \
                     Cargo.lock, package-lock.json, yarn.lock, poetry.lock, go.mod, pom.xml)",
                )),
            }
        }
        let (findings, match_diagnostics) = self.match_packages(&packages)?;
        diagnostics.extend(match_diagnostics);
        Ok(ScanReport { manifests, packages, findings, diagnostics })
    }

    /// Matches packages against the advisories stored for them.
    ///
    /// Adds a warning per ecosystem present in `packages` for which the store holds no
    /// advisories at all: "no findings" would otherwise mean "never imported".
    pub fn match_packages(
        &self,
        packages: &[Dependency],
    ) -> Result<(Vec<Finding>, Vec<Diagnostic>), ScanError> {
        let keys: BTreeSet<(&str, &str)> =
            packages.iter().map(|p| (p.ecosystem.as_str(), p.name.as_str())).collect();
        let keys: Vec<(&str, &str)> = keys.into_iter().collect();
        let mut diagnostics = Vec::new();
        let stored = self.store.advisories_for_packages(&keys)?;
        let mut records = Vec::with_capacity(stored.len());
        for row in stored {
            match Advisory::from_json_str(&row.json) {
                Ok(a) => records.push(a),
                // Imports only store records that parse; a failure here means a newer or
                // damaged database, worth saying but not worth failing the scan.
                Err(e) => diagnostics.push(Diagnostic::warning(
                    row.id,
                    format!("stored advisory cannot be read and was ignored: {e}"),
                )),
            }
        }
        let index = AdvisoryIndex::from_records(records);
        let covered: BTreeSet<Ecosystem> = index.ecosystems().collect();
        diagnostics.extend(index.diagnostics().iter().cloned());
        let report = index.match_dependencies(packages);
        diagnostics.extend(report.diagnostics);
        let mut findings = report.findings;
        findings.sort_by(|a, b| {
            severity_rank(a)
                .cmp(&severity_rank(b))
                .then_with(|| {
                    b.severity
                        .score
                        .unwrap_or(0.0)
                        .partial_cmp(&a.severity.score.unwrap_or(0.0))
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .then_with(|| a.package.cmp(&b.package))
                .then_with(|| a.version.cmp(&b.version))
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.manifest.cmp(&b.manifest))
        });
        // An ecosystem whose records matched names is imported; ask the store about the rest.
        let in_use: BTreeSet<Ecosystem> =
            packages.iter().map(|p| p.ecosystem).filter(|e| !covered.contains(e)).collect();
        if !in_use.is_empty() {
            let known: BTreeSet<String> = self.store.advisory_ecosystems()?.into_iter().collect();
            for ecosystem in in_use.iter().filter(|e| !known.contains(e.as_str())) {
                diagnostics.push(Diagnostic::warning(
                    ecosystem.as_str(),
                    format!(
                        "no {} advisories are imported, so its packages were not checked; run \
                         `depwatch advisories sync` or `depwatch advisories import`",
                        ecosystem.as_str()
                    ),
                ));
            }
        }
        Ok((findings, diagnostics))
    }
}

fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    // Sized from the metadata (capped): no doubling reallocations on the way.
    let hint = file.metadata().map_or(0, |m| m.len()).min(max as u64 + 1) as usize;
    let mut bytes = Vec::with_capacity(hint);
    file.take(max as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > max {
        return Err(format!("larger than the {max}-byte limit; not parsed"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_found_behind_a_name_prefix() {
        assert_eq!(detect_format("Cargo.lock"), Some(Format::CargoLock));
        assert_eq!(detect_format("rustsec.Cargo.lock"), Some(Format::CargoLock));
        assert_eq!(detect_format("cli-cli.go.mod"), Some(Format::GoMod));
        assert_eq!(detect_format("vuejs-core.pnpm-lock.yaml"), Some(Format::PnpmLock));
        assert_eq!(detect_format("notes.md"), None);
    }
}
