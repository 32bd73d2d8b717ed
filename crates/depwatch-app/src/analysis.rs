//! Parsing one repository snapshot whose files come from anywhere ([`RepoFiles`]): a
//! Bitbucket commit fetched file by file, or a local checkout. Shared by the historical scan and
//! the push pipeline; the result converts into the store's snapshot rows.

use depwatch_core::{Dependency, Diagnostic, Finding, FixSuggestion, Scope};
use depwatch_lockfiles::discovery::{Plan, SkipReason};
use depwatch_lockfiles::{Format, Input, ParseOptions, RepoFiles};
use depwatch_store::{NewFinding, SnapshotPackage};

/// One manifest or lockfile that was read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ManifestReport {
    pub path: String,
    pub format: Format,
    pub packages: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Everything found in one snapshot.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Analysis {
    pub manifests: Vec<ManifestReport>,
    pub packages: Vec<Dependency>,
    /// Diagnostics not tied to one manifest (files over the per-scan limit).
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses every job of `plan` from `files`. A planned file that `files` cannot produce gets an
/// Error diagnostic on its manifest, never a silent gap.
pub fn analyze<F: RepoFiles>(files: &F, plan: &Plan, options: &ParseOptions) -> Analysis {
    let mut analysis = Analysis::default();
    for job in &plan.jobs {
        let Some(bytes) = files.read(&job.path) else {
            analysis.manifests.push(ManifestReport {
                path: job.path.clone(),
                format: job.format,
                packages: 0,
                diagnostics: vec![Diagnostic::error(&job.path, "the file could not be fetched")],
            });
            continue;
        };
        let input = Input { path: &job.path, bytes: &bytes, repo: files, options };
        let parsed = depwatch_lockfiles::parse(job.format, &input);
        analysis.manifests.push(ManifestReport {
            path: job.path.clone(),
            format: job.format,
            packages: parsed.packages.len(),
            diagnostics: parsed.diagnostics,
        });
        analysis.packages.extend(parsed.packages);
    }
    let over_limit = plan.skipped.iter().filter(|s| s.reason == SkipReason::TooManyFiles).count();
    if over_limit > 0 {
        analysis.diagnostics.push(Diagnostic::warning(
            "",
            format!("{over_limit} lockfiles or manifests were not scanned: over the per-scan file limit"),
        ));
    }
    analysis
}

impl Analysis {
    /// The manifests with their diagnostics as the JSON stored with a snapshot.
    pub fn manifests_json(&self) -> String {
        let value = serde_json::json!({
            "manifests": self.manifests,
            "diagnostics": self.diagnostics,
        });
        value.to_string()
    }

    /// The packages as snapshot rows.
    pub fn snapshot_packages(&self) -> Vec<SnapshotPackage> {
        self.packages
            .iter()
            .map(|p| SnapshotPackage {
                manifest: p.manifest.clone(),
                ecosystem: p.ecosystem.as_str().to_owned(),
                name: p.name.clone(),
                version: p.version.clone(),
                direct: p.direct,
                scope: scope_str(p.scope).to_owned(),
            })
            .collect()
    }
}

fn scope_str(scope: Scope) -> &'static str {
    match scope {
        Scope::Prod => "prod",
        Scope::Dev => "dev",
        Scope::Optional => "optional",
        Scope::Peer => "peer",
        Scope::Unknown => "unknown",
    }
}

/// A matched finding as the store's row.
pub fn new_finding(f: &Finding) -> NewFinding {
    NewFinding {
        advisory_id: f.id.clone(),
        aliases: f.aliases.clone(),
        ecosystem: f.ecosystem.as_str().to_owned(),
        package: f.package.clone(),
        version: f.version.clone(),
        manifest: f.manifest.clone(),
        severity: f.severity.rating.as_str().to_owned(),
        score: f.severity.score,
        kind: f.kind.as_str().to_owned(),
        fixed_version: match &f.fix {
            FixSuggestion::FixedIn { version } => Some(version.clone()),
            FixSuggestion::AfterLastAffected { version } => Some(format!("> {version}")),
            FixSuggestion::NoFix => None,
        },
        summary: f.summary.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depwatch_lockfiles::discovery::{plan, DiscoveryOptions, FetchedFiles};

    #[test]
    fn fetched_files_are_parsed_and_missing_ones_reported() {
        let listing = ["Cargo.lock", "web/requirements.txt", "README.md"];
        let plan = plan(&listing, &DiscoveryOptions::default());
        let mut files = FetchedFiles::new(&listing);
        files.insert(
            "Cargo.lock",
            b"version = 3\n\n[[package]]\nname = \"time\"\nversion = \"0.1.43\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n".to_vec(),
        );
        let analysis = analyze(&files, &plan, &ParseOptions::default());
        let paths: Vec<_> = analysis.manifests.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["Cargo.lock", "web/requirements.txt"]);
        assert_eq!(analysis.packages.len(), 1);
        assert_eq!(analysis.packages[0].name, "time");
        assert_eq!(analysis.manifests[1].diagnostics[0].message, "the file could not be fetched");
        let rows = analysis.snapshot_packages();
        assert_eq!((rows[0].ecosystem.as_str(), rows[0].version.as_str()), ("crates.io", "0.1.43"));
        assert!(analysis.manifests_json().contains("web/requirements.txt"));
    }
}
