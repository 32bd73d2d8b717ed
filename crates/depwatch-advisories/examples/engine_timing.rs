//! One-shot timing of the engine on the shared exports, reporting wall **and CPU** time, for
//! machines where other work competes for the cores (criterion's wall-clock numbers then
//! mostly measure the contention). Same workload as `benches/engine.rs`.
//!
//! `cargo run --release -p depwatch-advisories --example engine_timing -- [ADVISORIES_DIR]`

// The allocator the depwatch binaries ship with (depwatch-cli, depwatch-desktop): the
// benchmark measures matching as the product runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result};
use depwatch_advisories::{load_zip, AdvisoryIndex};
use depwatch_core::Ecosystem;
use std::path::PathBuf;
use std::time::Instant;

/// User + system CPU seconds of this process, from /proc/self/stat (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the `(comm)`; utime and stime are the 12th and 13th of those.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<()> {
    let dir = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories")
    });
    let zips: Vec<(String, Vec<u8>)> = ["crates.io.zip", "Go.zip", "PyPI.zip"]
        .iter()
        .map(|n| {
            let p = dir.join(n);
            std::fs::read(&p)
                .with_context(|| format!("reading {}", p.display()))
                .map(|b| (n.to_string(), b))
        })
        .collect::<Result<_>>()?;

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut all = Vec::new();
    for (name, bytes) in &zips {
        all.extend(load_zip(bytes, name)?.advisories);
    }
    let index = AdvisoryIndex::from_records(all);
    println!(
        "load_and_index: {} records, wall {:.3} s, cpu {:.2} s",
        index.len(),
        wall.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );

    let mut triples: Vec<(Ecosystem, String, String)> = Vec::new();
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
    let queries: Vec<_> = triples.iter().cycle().take(100_000).collect();

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let (mut findings, mut diagnostics) = (0usize, 0usize);
    for (eco, name, version) in &queries {
        let r = index.match_package(*eco, name, version, "bench");
        findings += r.findings.len();
        diagnostics += r.diagnostics.len();
    }
    println!(
        "match_100k: {} queries ({} distinct), {findings} findings, {diagnostics} diagnostics, wall {:.3} s, cpu {:.2} s",
        queries.len(),
        triples.len(),
        wall.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );
    Ok(())
}
