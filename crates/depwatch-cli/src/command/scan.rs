//! `depwatch scan <PATH>`: match a lockfile or checkout against the stored advisories.
//!
//! Exit codes: 0 when no finding reaches `--fail-on` (or no `--fail-on` was given), 1 when one
//! does, 2 when the scan could not run.

use crate::output::{print_json, Format};
use clap::{Args, ValueEnum};
use depwatch_app::{App, DataDir, FailOn, ScanReport};
use depwatch_core::{
    Dependency, Diagnostic, Finding, FindingKind, FixSuggestion, MatchedRange, SeverityRating,
};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A lockfile or manifest, or a directory searched for every one depwatch reads.
    pub path: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Exit with 1 when a finding at or above this severity exists. `any` counts every
    /// finding, informational ones included; the ratings count vulnerabilities only, and a
    /// vulnerability without a usable severity counts at every rating.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Threshold>,
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Threshold {
    Low,
    Medium,
    High,
    Critical,
    Any,
}

impl Threshold {
    fn fail_on(self) -> FailOn {
        match self {
            Threshold::Low => FailOn::Rating(SeverityRating::Low),
            Threshold::Medium => FailOn::Rating(SeverityRating::Medium),
            Threshold::High => FailOn::Rating(SeverityRating::High),
            Threshold::Critical => FailOn::Rating(SeverityRating::Critical),
            Threshold::Any => FailOn::Any,
        }
    }
}

pub fn run(args: ScanArgs, data_dir: &DataDir) -> anyhow::Result<ExitCode> {
    let app = App::open(data_dir.clone())?;
    let report = app.scan_path(&args.path)?;
    match args.format {
        Format::Json => print_json(&JsonReport::new(&args.path, &report))?,
        Format::Table => print_table(&report),
    }
    let failed = args.fail_on.is_some_and(|t| report.fails(t.fail_on()));
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The `--format json` document (schema documented in the README).
#[derive(Serialize)]
struct JsonReport<'a> {
    target: String,
    manifests: &'a [String],
    summary: Summary,
    packages: Vec<JsonPackage<'a>>,
    findings: Vec<JsonFinding<'a>>,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct Summary {
    packages: usize,
    findings: usize,
    vulnerabilities: usize,
    informational: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    unknown: usize,
    errors: usize,
    warnings: usize,
}

impl Summary {
    fn new(report: &ScanReport) -> Self {
        let vulns = || report.findings.iter().filter(|f| f.kind == FindingKind::Vulnerability);
        let rated = |r: SeverityRating| vulns().filter(|f| f.severity.rating == r).count();
        let level = |l| report.diagnostics.iter().filter(|d| d.level == l).count();
        Summary {
            packages: report.packages.len(),
            findings: report.findings.len(),
            vulnerabilities: vulns().count(),
            informational: report.findings.iter().filter(|f| f.kind.is_informational()).count(),
            critical: rated(SeverityRating::Critical),
            high: rated(SeverityRating::High),
            medium: rated(SeverityRating::Medium),
            low: rated(SeverityRating::Low),
            unknown: rated(SeverityRating::Unknown) + rated(SeverityRating::None),
            errors: level(depwatch_core::DiagnosticLevel::Error),
            warnings: level(depwatch_core::DiagnosticLevel::Warning),
        }
    }
}

#[derive(Serialize)]
struct JsonPackage<'a> {
    ecosystem: &'a str,
    name: &'a str,
    version: &'a str,
    pinned: bool,
    direct: Option<bool>,
    scope: depwatch_core::Scope,
    source: depwatch_core::Source,
    manifest: &'a str,
}

impl<'a> JsonPackage<'a> {
    fn new(d: &'a Dependency) -> Self {
        JsonPackage {
            ecosystem: d.ecosystem.as_str(),
            name: &d.name,
            version: &d.version,
            pinned: d.pinned,
            direct: d.direct,
            scope: d.scope,
            source: d.source,
            manifest: &d.manifest,
        }
    }
}

#[derive(Serialize)]
struct JsonSeverity<'a> {
    score: Option<f64>,
    rating: SeverityRating,
    vector: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    id: &'a str,
    aliases: &'a [String],
    kind: FindingKind,
    ecosystem: &'a str,
    package: &'a str,
    version: &'a str,
    manifest: &'a str,
    /// The lowest fixed version above the installed one; `null` when none is known.
    fixed: Option<&'a str>,
    fix: &'a FixSuggestion,
    severity: JsonSeverity<'a>,
    summary: Option<&'a str>,
    /// The ranges or version lists that matched.
    matched: &'a [MatchedRange],
}

impl<'a> JsonFinding<'a> {
    fn new(f: &'a Finding) -> Self {
        JsonFinding {
            id: &f.id,
            aliases: &f.aliases,
            kind: f.kind,
            ecosystem: f.ecosystem.as_str(),
            package: &f.package,
            version: &f.version,
            manifest: &f.manifest,
            fixed: fixed_version(f),
            fix: &f.fix,
            severity: JsonSeverity {
                score: f.severity.score,
                rating: f.severity.rating,
                vector: f.severity.vector.as_deref(),
            },
            summary: f.summary.as_deref(),
            matched: &f.matched,
        }
    }
}

fn fixed_version(f: &Finding) -> Option<&str> {
    match &f.fix {
        FixSuggestion::FixedIn { version } => Some(version),
        FixSuggestion::AfterLastAffected { .. } | FixSuggestion::NoFix => None,
    }
}

impl<'a> JsonReport<'a> {
    fn new(target: &std::path::Path, report: &'a ScanReport) -> Self {
        JsonReport {
            target: target.display().to_string(),
            manifests: &report.manifests,
            summary: Summary::new(report),
            packages: report.packages.iter().map(JsonPackage::new).collect(),
            findings: report.findings.iter().map(JsonFinding::new).collect(),
            diagnostics: &report.diagnostics,
        }
    }
}

fn print_table(report: &ScanReport) {
    if !report.findings.is_empty() {
        let rows: Vec<[String; 7]> = report
            .findings
            .iter()
            .map(|f| {
                let severity = if f.kind.is_informational() {
                    f.kind.as_str().to_owned()
                } else {
                    f.severity.rating.as_str().to_owned()
                };
                let fix = match &f.fix {
                    FixSuggestion::FixedIn { version } => version.clone(),
                    FixSuggestion::AfterLastAffected { version } => format!("> {version}"),
                    FixSuggestion::NoFix => "no fix".to_owned(),
                };
                [
                    severity,
                    f.severity.score.map(|s| format!("{s:.1}")).unwrap_or_else(|| "-".into()),
                    f.id.clone(),
                    format!("{} {}", f.package, f.version),
                    fix,
                    f.manifest.clone(),
                    f.summary.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let header = ["SEVERITY", "SCORE", "ID", "PACKAGE", "FIX", "MANIFEST", "SUMMARY"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 7]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    out.push_str(cell);
                } else {
                    let width = widths.get(i).copied().unwrap_or(0);
                    out.push_str(&format!("{cell:<width$}  "));
                }
            }
            println!("{}", out.trim_end());
        };
        line(header);
        for row in &rows {
            line(row.each_ref().map(String::as_str));
        }
        println!();
    }
    let s = Summary::new(report);
    let manifests = report.manifests.len();
    println!(
        "{} packages in {manifests} file{}; {} vulnerabilit{} ({} critical, {} high, {} medium, {} \
         low, {} unrated), {} informational",
        s.packages,
        if manifests == 1 { "" } else { "s" },
        s.vulnerabilities,
        if s.vulnerabilities == 1 { "y" } else { "ies" },
        s.critical,
        s.high,
        s.medium,
        s.low,
        s.unknown,
        s.informational
    );
    if !report.diagnostics.is_empty() {
        println!(
            "\n{} diagnostic{}:",
            report.diagnostics.len(),
            if report.diagnostics.len() == 1 { "" } else { "s" }
        );
        for d in &report.diagnostics {
            println!("  {d}");
        }
    }
}
