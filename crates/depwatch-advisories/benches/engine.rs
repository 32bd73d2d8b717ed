//! Engine benchmarks on the real shared exports (crates.io, Go, PyPI):
//! * `load_and_index`: parse the three `all.zip` files and build the index (goal ≤ 2 s with
//!   storage, measured here without it);
//! * `match_100k`: match 100,000 (package, version) pairs drawn from real package names and
//!   versions of the data (goal ≤ 1 s).
//!
//! `cargo bench -p depwatch-advisories --bench engine`

// The desktop app's allocator: the benchmark measures matching as the desktop runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/workload.rs"]
mod workload;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

fn engine(c: &mut Criterion) {
    let dir = workload::advisories_dir()
        .expect("shared/data/advisories not found; set DEPWATCH_SHARED_DIR");
    let zips = workload::read_zips(&dir).unwrap_or_else(|e| panic!("{e}"));
    let build =
        |zips: &[(String, Vec<u8>)]| workload::build(zips).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("engine");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("load_and_index", |b| b.iter(|| black_box(build(&zips))));

    let index = build(&zips);
    let queries = workload::repeat(&workload::distinct_queries(&index), 100_000);
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
