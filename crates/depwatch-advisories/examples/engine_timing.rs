//! One-shot timing of the engine on the shared exports, reporting wall **and CPU** time, for
//! machines where other work competes for the cores (criterion's wall-clock numbers then
//! mostly measure the contention). Same workload as `benches/engine.rs`.
//!
//! `cargo run --release -p depwatch-advisories --example engine_timing -- [ADVISORIES_DIR]`

// The desktop app's allocator: the benchmark measures matching as the desktop runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/support/workload.rs"]
mod workload;

use anyhow::{Context, Result};
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
    let dir = match std::env::args().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => workload::advisories_dir().context(
            "shared/data/advisories not found: pass the folder or set DEPWATCH_SHARED_DIR",
        )?,
    };
    let zips = workload::read_zips(&dir).map_err(anyhow::Error::msg)?;

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let index = workload::build(&zips).map_err(anyhow::Error::msg)?;
    println!(
        "load_and_index: {} records, wall {:.3} s, cpu {:.2} s",
        index.len(),
        wall.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );

    let triples = workload::distinct_queries(&index);
    let queries = workload::repeat(&triples, 100_000);

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
