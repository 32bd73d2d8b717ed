//! `depwatch`: the headless command-line interface over the same crates as the desktop app.

mod command;
mod output;

use clap::Parser;
use std::process::ExitCode;

// glibc's malloc spent over a third of matching time in malloc, free and consolidation;
// mimalloc nearly halves it (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
