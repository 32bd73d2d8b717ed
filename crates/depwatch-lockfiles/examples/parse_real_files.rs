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
}
