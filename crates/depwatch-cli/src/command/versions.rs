//! `depwatch versions cmp`: compare versions with an ecosystem's own ordering rules.

use clap::Subcommand;
use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::io::{BufRead, Write};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum VersionsCommand {
    /// Print `<`, `=` or `>` for A compared with B. Without A and B, read tab-separated pairs
    /// from stdin, one per line, and print one answer per line (`error: <reason>` for a pair
    /// that cannot be compared).
    Cmp {
        /// crates.io, npm, PyPI, Go, Maven, NuGet, Packagist or RubyGems (any case).
        ecosystem: String,
        #[arg(requires = "b")]
        a: Option<String>,
        b: Option<String>,
    },
}

fn symbol(ordering: Ordering) -> &'static str {
    match ordering {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

fn answer(ecosystem: Ecosystem, line: &str) -> String {
    let Some((a, b)) = line.split_once('\t') else {
        return "error: expected two versions separated by a tab".to_owned();
    };
    match depwatch_app::compare_versions(ecosystem, a, b) {
        Ok(ordering) => symbol(ordering).to_owned(),
        Err(e) => format!("error: {e}"),
    }
}

pub fn run(cmd: VersionsCommand) -> anyhow::Result<ExitCode> {
    let VersionsCommand::Cmp { ecosystem, a, b } = cmd;
    let ecosystem: Ecosystem = ecosystem.parse()?;
    if let (Some(a), Some(b)) = (a, b) {
        let ordering = depwatch_app::compare_versions(ecosystem, &a, &b)?;
        println!("{}", symbol(ordering));
        return Ok(ExitCode::SUCCESS);
    }
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line?;
        writeln!(out, "{}", answer(ecosystem, line.trim_end_matches('\r')))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
