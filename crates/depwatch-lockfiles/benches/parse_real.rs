//! Parses every real lockfile in `tests/fixtures/real/` (goal: all of them in ≤ 100 ms in
//! release). Run: `cargo bench -p depwatch-lockfiles --bench parse_real`.
//!
//! Files are named `<origin>.<lockfile name>`; the format comes from the part after the first
//! dot (`webpack.yarn-v1.lock` is a yarn.lock).

use criterion::{criterion_group, criterion_main, Criterion};
use depwatch_lockfiles::{parse, Format, Input, NoFiles, ParseOptions};
use std::hint::black_box;
use std::path::Path;

fn real_files() -> Vec<(String, Format, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("tests/fixtures/real exists").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // The origin may contain dots itself (`rubygems.org.Gemfile.lock`): try each suffix.
        let format =
            name.match_indices('.').filter_map(|(i, _)| name.get(i + 1..)).find_map(|lockfile| {
                Format::detect(lockfile)
                    .or_else(|| lockfile.starts_with("yarn").then_some(Format::YarnLock))
            });
        if let Some(format) = format {
            files.push((name, format, std::fs::read(entry.path()).expect("readable")));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

fn bench(c: &mut Criterion) {
    let files = real_files();
    let options = ParseOptions::default();
    let mut group = c.benchmark_group("parse_real");
    for (name, format, bytes) in &files {
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                let input = Input { path: name, bytes, repo: &NoFiles, options: &options };
                black_box(parse(*format, &input))
            })
        });
    }
    group.bench_function("all", |b| {
        b.iter(|| {
            for (name, format, bytes) in &files {
                let input = Input { path: name, bytes, repo: &NoFiles, options: &options };
                black_box(parse(*format, &input));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
