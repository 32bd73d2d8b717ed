//! Scans lockfiles against OSV exports, until the `depwatch scan` CLI exists: used by
//! `bench/cargo-audit-compare.sh`.
//!
//! `cargo run --release --example scan_lockfile -- --db crates.io.zip [--db DIR] LOCKFILE...`
//! prints `{"findings": [...], "diagnostics": [...], "skipped_records": [...]}` as JSON.

use anyhow::{bail, Context, Result};
use depwatch_advisories::{load_dir, load_file, load_zip, AdvisoryIndex, Loaded};
use depwatch_lockfiles::{Format, Input, NoFiles, ParseOptions};
use std::path::Path;

fn load(db: &Path) -> Result<Loaded> {
    Ok(if db.is_dir() {
        load_dir(db)?
    } else if db.extension().is_some_and(|e| e == "zip") {
        let bytes = std::fs::read(db).with_context(|| format!("reading {}", db.display()))?;
        load_zip(&bytes, &db.display().to_string())?
    } else {
        load_file(db)?
    })
}

fn main() -> Result<()> {
    let mut dbs = Vec::new();
    let mut lockfiles = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--db" {
            dbs.push(args.next().context("--db needs a path")?);
        } else {
            lockfiles.push(arg);
        }
    }
    if dbs.is_empty() || lockfiles.is_empty() {
        bail!("usage: scan_lockfile --db <all.zip|dir|file.json>... <lockfile>...");
    }
    let mut advisories = Vec::new();
    let mut skipped = Vec::new();
    for db in &dbs {
        let loaded = load(Path::new(db))?;
        advisories.extend(loaded.advisories);
        skipped.extend(loaded.skipped);
    }
    let index = AdvisoryIndex::from_records(advisories);
    let mut dependencies = Vec::new();
    let mut diagnostics = index.diagnostics().to_vec();
    let options = ParseOptions::default();
    for path in &lockfiles {
        let name = Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or(path);
        let format = Format::detect(name)
            .or_else(|| name.ends_with("Cargo.lock").then_some(Format::CargoLock))
            .with_context(|| format!("{path}: not a lockfile format depwatch knows"))?;
        let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
        let input = Input { path, bytes: &bytes, repo: &NoFiles, options: &options };
        let parsed = depwatch_lockfiles::parse(format, &input);
        dependencies.extend(parsed.packages);
        diagnostics.extend(parsed.diagnostics);
    }
    let report = index.match_dependencies(&dependencies);
    diagnostics.extend(report.diagnostics);
    let out = serde_json::json!({
        "findings": report.findings,
        "diagnostics": diagnostics,
        "skipped_records": skipped,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
