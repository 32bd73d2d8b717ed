//! Engine benchmarks on the real shared exports (crates.io, Go, PyPI):
//! * `load_and_index`: parse the three `all.zip` files and build the index (goal ≤ 2 s with
//!   storage, measured here without it);
//! * `match_100k`: match 100,000 (package, version) pairs drawn from real package names and
//!   versions of the data (goal ≤ 1 s).
//!
//! `cargo bench -p depwatch-advisories --bench engine`

// The allocator the depwatch binaries ship with (depwatch-cli, depwatch-desktop): the
// benchmark measures matching as the product runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use depwatch_advisories::{load_zip, AdvisoryIndex};
use depwatch_core::Ecosystem;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

const ZIPS: [&str; 3] = ["crates.io.zip", "Go.zip", "PyPI.zip"];

fn advisories_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DEPWATCH_SHARED_DIR") {
        return PathBuf::from(dir).join("data/advisories");
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let found = manifest.ancestors().map(|a| a.join("shared/data/advisories")).find(|p| p.is_dir());
    match found {
        Some(dir) => dir,
        None => panic!("shared/data/advisories not found; set DEPWATCH_SHARED_DIR"),
    }
}

fn zips() -> Vec<(String, Vec<u8>)> {
    let dir = advisories_dir();
    ZIPS.iter()
        .map(|name| {
            let path = dir.join(name);
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (name.to_string(), bytes)
        })
        .collect()
}

fn build(zips: &[(String, Vec<u8>)]) -> AdvisoryIndex {
    let mut all = Vec::new();
    for (name, bytes) in zips {
        let loaded = load_zip(bytes, name).unwrap_or_else(|e| panic!("{e}"));
        all.extend(loaded.advisories);
    }
    AdvisoryIndex::from_records(all)
}

/// 100,000 (ecosystem, name, version) triples: every real package with every version its
/// advisories mention (events and `versions[]`), sorted, then repeated to the count.
fn queries(index: &AdvisoryIndex) -> Vec<(Ecosystem, String, String)> {
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
    triples.iter().cycle().take(100_000).cloned().collect()
}

fn engine(c: &mut Criterion) {
    let zips = zips();
    let mut group = c.benchmark_group("engine");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("load_and_index", |b| b.iter(|| black_box(build(&zips))));

    let index = build(&zips);
    let queries = queries(&index);
    group.bench_function("match_100k", |b| {
        b.iter(|| {
            let mut findings = 0usize;
            for (eco, name, version) in &queries {
                findings += index.match_package(*eco, name, version, "bench").findings.len();
            }
            black_box(findings)
        })
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
