//! Golden-snapshot tests: every fixture under `tests/fixtures/<format>/` is parsed and its
//! result compared with an insta JSON snapshot; real lockfiles are checked against independent
//! package counts.
//!
//! A fixture's companion files (a `package.json` beside a `yarn.lock`, member `Cargo.toml`s)
//! live in `tests/fixtures/companions/<format>/<scenario>/`, laid out as in a repository whose
//! root holds the fixture.

/// Snapshots every fixture matching `pattern` (relative to `tests/fixtures`).
#[macro_export]
macro_rules! snapshot_fixtures {
    ($format:expr, $pattern:literal) => {
        insta::glob!("../fixtures", $pattern, |path| {
            let parsed = $crate::parse_fixture($format, path);
            insta::assert_json_snapshot!(parsed);
        });
    };
}

mod bun;
mod cargo;
mod discovery;
mod dotnet;
mod go;
mod hostile;
mod in_repo;
mod java;
mod npm;
mod php;
mod pnpm;
mod python;
mod real;
mod robustness;
mod ruby;
mod yarn;

use depwatch_lockfiles::{parse, Format, Input, ParseOptions, Parsed};
use std::collections::BTreeMap;
use std::path::Path;

/// Parses `fixture` as `format`, presenting it under its canonical file name with the
/// scenario's companion files around it.
pub fn parse_fixture(format: Format, fixture: &Path) -> Parsed {
    let bytes = std::fs::read(fixture).expect("fixture is readable");
    let scenario = fixture.file_stem().and_then(|s| s.to_str()).expect("fixture has a name");
    let format_dir = fixture.parent().and_then(|p| p.file_name()).expect("fixture is in a folder");
    let companions = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/companions")
        .join(format_dir)
        .join(scenario);
    let mut files = BTreeMap::new();
    collect(&companions, &companions, &mut files);
    let options = ParseOptions::default();
    let input = Input { path: format.file_name(), bytes: &bytes, repo: &files, options: &options };
    parse(format, &input)
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel =
                path.strip_prefix(root).expect("inside root").to_string_lossy().replace('\\', "/");
            files.insert(rel, std::fs::read(&path).expect("companion is readable"));
        }
    }
}
