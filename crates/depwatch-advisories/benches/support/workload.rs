//! The engine benchmarks' workload, shared by `benches/engine.rs` (criterion) and
//! `examples/engine_timing.rs` (one shot, wall and CPU time): the three shared OSV exports
//! and 100,000 (package, version) queries drawn from them.

use depwatch_advisories::{load_zip, AdvisoryIndex};
use depwatch_core::Ecosystem;
use std::path::{Path, PathBuf};

pub const ZIPS: [&str; 3] = ["crates.io.zip", "Go.zip", "PyPI.zip"];

/// `$DEPWATCH_SHARED_DIR/data/advisories`, else the nearest `shared/data/advisories` above
/// the crate.
pub fn advisories_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DEPWATCH_SHARED_DIR") {
        return Some(PathBuf::from(dir).join("data/advisories"));
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().map(|a| a.join("shared/data/advisories")).find(|p| p.is_dir())
}

/// The three exports' bytes, by file name.
pub fn read_zips(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    ZIPS.iter()
        .map(|name| {
            let path = dir.join(name);
            std::fs::read(&path)
                .map(|bytes| (name.to_string(), bytes))
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        })
        .collect()
}

/// Parses the exports and builds the index.
pub fn build(zips: &[(String, Vec<u8>)]) -> Result<AdvisoryIndex, String> {
    let mut all = Vec::new();
    for (name, bytes) in zips {
        all.extend(load_zip(bytes, name).map_err(|e| e.to_string())?.advisories);
    }
    Ok(AdvisoryIndex::from_records(all))
}

/// Every real package with every version its advisories mention (events and `versions[]`),
/// sorted and distinct.
pub fn distinct_queries(index: &AdvisoryIndex) -> Vec<(Ecosystem, String, String)> {
    let mut triples = Vec::new();
    for a in index.advisories() {
        for affected in &a.affected {
            let Some(key) = affected.package.as_ref().and_then(|p| p.key()) else { continue };
            let events = affected.ranges.iter().flat_map(|r| &r.events);
            let versions = events
                .flat_map(|e| [&e.introduced, &e.fixed, &e.last_affected])
                .flatten()
                .chain(&affected.versions)
                .filter(|v| v.as_str() != "0");
            for v in versions {
                triples.push((key.ecosystem, key.name.clone(), v.clone()));
            }
        }
    }
    triples.sort();
    triples.dedup();
    triples
}

/// `distinct` repeated up to `count` queries.
pub fn repeat(
    distinct: &[(Ecosystem, String, String)],
    count: usize,
) -> Vec<(Ecosystem, String, String)> {
    distinct.iter().cycle().take(count).cloned().collect()
}
