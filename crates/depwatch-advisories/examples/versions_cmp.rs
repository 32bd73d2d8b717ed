//! Compares version pairs with an ecosystem's rules, for differential checks against each
//! ecosystem's reference implementation.
//!
//! `cargo run --example versions_cmp -- <ECOSYSTEM>` reads `A<TAB>B` lines on stdin and prints
//! `<`, `=`, `>` or `error: <reason>` per line.

use depwatch_advisories::version::compare;
use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::io::{BufRead, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let eco: Ecosystem =
        std::env::args().nth(1).ok_or("usage: versions_cmp <ECOSYSTEM> < pairs.tsv")?.parse()?;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        let Some((a, b)) = line.split_once('\t') else {
            writeln!(out, "error: line {}: expected A<TAB>B", n + 1)?;
            continue;
        };
        match compare(eco, a, b) {
            Ok(Ordering::Less) => writeln!(out, "<")?,
            Ok(Ordering::Equal) => writeln!(out, "=")?,
            Ok(Ordering::Greater) => writeln!(out, ">")?,
            Err(e) => writeln!(out, "error: {e}")?,
        }
    }
    Ok(())
}
