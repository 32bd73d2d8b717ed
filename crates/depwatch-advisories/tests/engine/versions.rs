//! Table-driven version ordering: `tests/fixtures/versions/<ecosystem>.txt`, one
//! `a < b`, `a = b` or `! version` per line, each `<`/`=` checked in both directions.

use depwatch_advisories::version::{compare, Version};
use depwatch_core::Ecosystem;
use std::cmp::Ordering;
use std::path::Path;

fn fixture_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/versions"))
}

/// Runs every line of one ecosystem's table; returns (pairs, rejections) checked.
fn check_table(eco: Ecosystem) -> (usize, usize) {
    let path = fixture_dir().join(format!("{}.txt", eco.as_str()));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut failures = Vec::new();
    let (mut pairs, mut rejections) = (0, 0);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let at = format!("{}:{}", path.display(), n + 1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(bad) = line.strip_prefix("! ") {
            rejections += 1;
            if let Ok(v) = Version::parse(eco, bad) {
                failures.push(format!("{at}: `{bad}` should be rejected, parsed as {v:?}"));
            }
            continue;
        }
        let parts: Vec<&str> = line.split(' ').collect();
        let [a, op, b] = parts[..] else {
            panic!("{at}: expected `a < b`, `a = b` or `! v`, got {line:?}");
        };
        let expected = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            other => panic!("{at}: unknown operator {other:?}"),
        };
        pairs += 1;
        for (x, y, want) in [(a, b, expected), (b, a, expected.reverse())] {
            match compare(eco, x, y) {
                Ok(got) if got == want => {}
                Ok(got) => {
                    failures.push(format!("{at}: {x} vs {y}: expected {want:?}, got {got:?}"))
                }
                Err(e) => failures.push(format!("{at}: {x} vs {y}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    (pairs, rejections)
}

#[test]
fn crates_io_table() {
    let (pairs, bad) = check_table(Ecosystem::CratesIo);
    assert!(pairs >= 10 && bad >= 1, "{pairs} {bad}");
}

#[test]
fn npm_table() {
    let (pairs, bad) = check_table(Ecosystem::Npm);
    assert!(pairs >= 10 && bad >= 1, "{pairs} {bad}");
}

#[test]
fn go_table() {
    let (pairs, bad) = check_table(Ecosystem::Go);
    assert!(pairs >= 10 && bad >= 1, "{pairs} {bad}");
}

#[test]
fn pypi_table() {
    let (pairs, bad) = check_table(Ecosystem::PyPI);
    assert!(pairs >= 10 && bad >= 1, "{pairs} {bad}");
}

#[test]
fn rubygems_table() {
    let (pairs, bad) = check_table(Ecosystem::RubyGems);
    assert!(pairs >= 10 && bad >= 1, "{pairs} {bad}");
}

#[test]
fn maven_table() {
    let (pairs, bad) = check_table(Ecosystem::Maven);
    assert!(pairs >= 10 && bad >= 1, "{pairs} {bad}");
}

#[test]
fn packagist_table() {
    let (pairs, bad) = check_table(Ecosystem::Packagist);
    assert!(pairs >= 10 && bad >= 1, "{pairs} {bad}");
}

#[test]
fn nuget_table() {
    let (pairs, bad) = check_table(Ecosystem::NuGet);
    assert!(pairs >= 10 && bad >= 1, "{pairs} {bad}");
}

#[test]
fn every_ecosystem_has_a_table() {
    for eco in Ecosystem::ALL {
        let path = fixture_dir().join(format!("{}.txt", eco.as_str()));
        assert!(path.exists(), "missing {}", path.display());
    }
}

#[test]
fn errors_name_the_version_and_the_reason() {
    let err = compare(Ecosystem::Packagist, "dev-main", "1.0.0").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("`dev-main`") && msg.contains("branch"), "{msg}");
}
