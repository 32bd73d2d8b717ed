//! Parses the given lockfiles N times and prints what each yields: a quick way to measure CPU
//! time under `time` on a loaded machine, and to look at a real file's result.
//!
//! `cargo run --release -p depwatch-lockfiles --example parse_real_files -- 20 FILE…`

use depwatch_lockfiles::{parse, Format, Input, NoFiles, ParseOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let files: Vec<(String, Format, Vec<u8>)> = args
        .filter_map(|path| {
            let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
            // The origin may contain dots itself (`rubygems.org.Gemfile.lock`): try each suffix.
            let format = name.match_indices('.').filter_map(|(i, _)| name.get(i + 1..)).find_map(
                |lockfile| {
                    Format::detect(lockfile)
                        .or_else(|| lockfile.starts_with("yarn").then_some(Format::YarnLock))
                },
            )?;
            Some((path.clone(), format, std::fs::read(&path).ok()?))
        })
        .collect();
    let options = ParseOptions::default();
    for (path, format, bytes) in &files {
        let mut packages = 0;
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            let input = Input { path, bytes, repo: &NoFiles, options: &options };
            packages = parse(*format, &input).packages.len();
        }
        let per_round = start.elapsed() / u32::try_from(rounds.max(1)).unwrap_or(1);
        println!("{path}: {format}, {packages} packages, {per_round:?} per parse (wall)");
    }
    // One pass = every file parsed once, as a scan of all of them would; wall time per pass.
    let mut passes: Vec<std::time::Duration> = (0..rounds.max(1))
        .map(|_| {
            let start = std::time::Instant::now();
            for (path, format, bytes) in &files {
                let input = Input { path, bytes, repo: &NoFiles, options: &options };
                std::hint::black_box(parse(*format, &input));
            }
            start.elapsed()
        })
        .collect();
    passes.sort();
    let median = passes.get(passes.len() / 2).copied().unwrap_or_default();
    let min = passes.first().copied().unwrap_or_default();
    println!(
        "all {} files, {} passes: median {median:?}, min {min:?} per pass (wall)",
        files.len(),
        passes.len()
    );
}
