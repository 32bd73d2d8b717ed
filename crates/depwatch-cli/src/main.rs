//! `depwatch`: the headless command-line interface over the same crates as the desktop app.

mod command;
mod output;

use clap::Parser;
use std::process::ExitCode;

// The system allocator, unlike the desktop app's mimalloc: most CLI runs last milliseconds,
// and there mimalloc's fresh pages cost more than its faster malloc saves (bench/README.md).

fn main() -> ExitCode {
    let cli = command::Cli::parse();
    match command::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line: "what failed: why".
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
