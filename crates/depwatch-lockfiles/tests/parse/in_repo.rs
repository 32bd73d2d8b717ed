//! Helpers for fixtures whose meaning depends on where the file sits in the repository
//! (includes, parent POMs, legacy Gradle layout) and for the real lockfiles.

use depwatch_core::DiagnosticLevel;
use depwatch_lockfiles::{parse, Format, Input, NoFiles, ParseOptions, Parsed};
use std::collections::BTreeMap;
use std::path::Path;

/// Parses `path` inside the mini repository `tests/fixtures/repos/<repo>/`, with every other
/// file of that directory readable through `RepoFiles`.
pub fn parse_in_repo(format: Format, repo: &str, path: &str) -> Parsed {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repos").join(repo);
    let mut files = BTreeMap::new();
    collect(&root, &root, &mut files);
    let bytes = files.get(path).cloned().expect("the parsed file is in the fixture repository");
    let options = ParseOptions::default();
    let input = Input { path, bytes: &bytes, repo: &files, options: &options };
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
            files.insert(rel, std::fs::read(&path).expect("fixture is readable"));
        }
    }
}

/// Parses a real lockfile from `tests/fixtures/real/` with no companion files, asserting that
/// it produced no warning or error.
pub fn parse_real_file(format: Format, name: &str, presented_as: &str) -> Parsed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real").join(name);
    let bytes = std::fs::read(path).expect("real fixture is readable");
    let options = ParseOptions::default();
    let input = Input { path: presented_as, bytes: &bytes, repo: &NoFiles, options: &options };
    let parsed = parse(format, &input);
    let problems: Vec<_> =
        parsed.diagnostics.iter().filter(|d| d.level >= DiagnosticLevel::Warning).collect();
    assert!(problems.is_empty(), "{name}: {problems:?}");
    parsed
}
