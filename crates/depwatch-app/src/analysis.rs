//! Parsing one repository snapshot whose files come from anywhere ([`RepoFiles`]): a
//! Bitbucket commit fetched file by file, or a local checkout. Shared by the historical scan and
//! the push pipeline; the result converts into the store's snapshot rows.

use depwatch_bitbucket::Client;
use depwatch_core::{Dependency, Diagnostic, Edge, Finding, FixSuggestion, Scope, Source};
use depwatch_lockfiles::discovery::{FetchedFiles, Plan, SkipReason};
use depwatch_lockfiles::{Format, Input, ParseOptions, RepoFiles};
use depwatch_store::{NewFinding, SnapshotPackage};
use std::collections::VecDeque;

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
    /// The dependency graph of each manifest that records one, indexed into `packages`.
    #[serde(skip)]
    pub graphs: Vec<ManifestGraph>,
}

/// The edges and roots one parser reported, with indices into [`Analysis::packages`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestGraph {
    /// The manifest's packages are `packages[start..end]`.
    pub start: usize,
    pub end: usize,
    pub edges: Vec<Edge>,
    pub roots: Vec<usize>,
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
        let start = analysis.packages.len();
        if !parsed.edges.is_empty() {
            analysis.graphs.push(ManifestGraph {
                start,
                end: start + parsed.packages.len(),
                edges: parsed
                    .edges
                    .iter()
                    .map(|e| Edge { from: start + e.from, to: start + e.to })
                    .collect(),
                roots: parsed.roots.iter().map(|r| start + r).collect(),
            });
        }
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

/// Follow-up fetch rounds for files named inside fetched ones (nested `-r` includes, parent
/// POM chains); each round goes one level deeper.
const MAX_REFERENCE_ROUNDS: usize = 8;

/// Fetches what `plan` needs from a repository at commit `at`: the planned files and their
/// companions, then, round by round, the files those name that the listing alone cannot
/// predict (`-c constraints.txt`, a parent POM in a sibling folder).
pub(crate) async fn fetch_snapshot(
    client: &Client,
    (project, slug, at): (&str, &str, &str),
    listing: &[String],
    plan: &Plan,
    options: &ParseOptions,
) -> depwatch_bitbucket::Result<FetchedFiles> {
    let mut files = FetchedFiles::new(listing);
    for path in plan.files_to_fetch() {
        let bytes = client.raw_file(project, slug, path, at, options.max_bytes as u64).await?;
        files.insert(path, bytes);
    }
    for _ in 0..MAX_REFERENCE_ROUNDS {
        let wanted = files.unfetched_references(plan, options);
        if wanted.is_empty() {
            break;
        }
        for path in wanted {
            let bytes = client.raw_file(project, slug, &path, at, options.max_bytes as u64).await?;
            files.insert(path, bytes);
        }
    }
    Ok(files)
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
                pinned: p.pinned,
                direct: p.direct,
                scope: scope_str(p.scope).to_owned(),
                source: source_str(p.source).to_owned(),
                paths: p.paths.clone(),
            })
            .collect()
    }

    /// A matched finding as the store's row, with whether the package is direct and the
    /// shortest path to it in its manifest's dependency graph.
    pub fn new_finding(&self, f: &Finding) -> NewFinding {
        let target = self.packages.iter().position(|p| {
            p.manifest == f.manifest
                && p.ecosystem == f.ecosystem
                && p.version == f.version
                && (p.name == f.package
                    || p.ecosystem.normalize_name(&p.name)
                        == f.ecosystem.normalize_name(&f.package))
        });
        let direct = target.and_then(|i| self.packages.get(i)).and_then(|p| p.direct);
        let dependency_path = target.map(|i| self.dependency_path(i)).unwrap_or_default();
        NewFinding { direct, dependency_path, ..new_finding(f) }
    }

    /// `name@version` from a root of the package's manifest (a workspace member or importer;
    /// else a direct dependency) to `packages[target]`, shortest first found by breadth-first
    /// search. Empty when the manifest records no graph or the package is unreachable; just
    /// the package when it is direct and there is no graph.
    fn dependency_path(&self, target: usize) -> Vec<String> {
        let label = |i: usize| {
            self.packages.get(i).map(|p| format!("{}@{}", p.name, p.version)).unwrap_or_default()
        };
        let Some(graph) = self.graphs.iter().find(|g| (g.start..g.end).contains(&target)) else {
            let direct = self.packages.get(target).and_then(|p| p.direct) == Some(true);
            return if direct { vec![label(target)] } else { Vec::new() };
        };
        let len = graph.end - graph.start;
        let local = |i: usize| i.checked_sub(graph.start).filter(|l| *l < len);
        let mut sources: Vec<usize> = graph.roots.iter().filter_map(|&r| local(r)).collect();
        if sources.is_empty() {
            sources = (0..len)
                .filter(|&l| {
                    self.packages.get(graph.start + l).and_then(|p| p.direct) == Some(true)
                })
                .collect();
        }
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); len];
        for e in &graph.edges {
            if let (Some(from), Some(to)) = (local(e.from), local(e.to)) {
                if let Some(list) = next.get_mut(from) {
                    list.push(to);
                }
            }
        }
        let mut parent: Vec<Option<usize>> = vec![None; len];
        let mut seen = vec![false; len];
        let mut queue = VecDeque::new();
        for &s in &sources {
            if let Some(flag) = seen.get_mut(s) {
                *flag = true;
                queue.push_back(s);
            }
        }
        let Some(goal) = local(target) else { return Vec::new() };
        while let Some(at) = queue.pop_front() {
            if at == goal {
                let mut path = vec![label(graph.start + at)];
                let mut cursor = at;
                while let Some(Some(p)) = parent.get(cursor) {
                    path.push(label(graph.start + p));
                    cursor = *p;
                }
                path.reverse();
                return path;
            }
            for &to in next.get(at).map(Vec::as_slice).unwrap_or_default() {
                if let Some(flag) = seen.get_mut(to) {
                    if !*flag {
                        *flag = true;
                        if let Some(slot) = parent.get_mut(to) {
                            *slot = Some(at);
                        }
                        queue.push_back(to);
                    }
                }
            }
        }
        Vec::new()
    }
}

fn source_str(source: Source) -> &'static str {
    match source {
        Source::Registry => "registry",
        Source::Git => "git",
        Source::Path => "path",
        Source::Url => "url",
        Source::Workspace => "workspace",
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

/// A matched finding as the store's row, without graph information (see
/// [`Analysis::new_finding`]).
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
        direct: None,
        dependency_path: Vec::new(),
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

    #[test]
    fn findings_carry_the_shortest_path_from_a_workspace_member() {
        let lock = br#"version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["hyper", "time 0.1.43"]

[[package]]
name = "hyper"
version = "0.14.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["time 0.1.43", "smallvec"]

[[package]]
name = "smallvec"
version = "0.6.9"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "time"
version = "0.1.43"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        let listing = ["Cargo.lock"];
        let plan = plan(&listing, &DiscoveryOptions::default());
        let mut files = FetchedFiles::new(&listing);
        files.insert("Cargo.lock", lock.to_vec());
        let analysis = analyze(&files, &plan, &ParseOptions::default());
        assert_eq!(analysis.graphs.len(), 1, "{:?}", analysis.manifests);
        let finding = |package: &str, version: &str| Finding {
            id: "RUSTSEC-0000-0000".into(),
            aliases: vec![],
            kind: depwatch_core::FindingKind::Vulnerability,
            ecosystem: depwatch_core::Ecosystem::CratesIo,
            package: package.into(),
            version: version.into(),
            manifest: "Cargo.lock".into(),
            matched: vec![],
            fix: FixSuggestion::NoFix,
            severity: depwatch_core::Severity::unknown(),
            summary: None,
        };
        // time is both a direct dependency and one through hyper: the direct edge is shorter.
        let time = analysis.new_finding(&finding("time", "0.1.43"));
        assert_eq!(time.dependency_path, ["app@0.1.0", "time@0.1.43"]);
        let smallvec = analysis.new_finding(&finding("smallvec", "0.6.9"));
        assert_eq!(smallvec.dependency_path, ["app@0.1.0", "hyper@0.14.0", "smallvec@0.6.9"]);
        let rows = analysis.snapshot_packages();
        assert!(rows.iter().all(|r| r.pinned && r.source != "git"));
        assert_eq!(
            rows.iter().find(|r| r.name == "app").map(|r| r.source.as_str()),
            Some("workspace")
        );
        // A package the analysis does not hold gets no path rather than a wrong one.
        assert!(analysis.new_finding(&finding("time", "9.9.9")).dependency_path.is_empty());
    }
}
