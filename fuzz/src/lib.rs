//! Shared driver for the parser fuzz targets.
//!
//! The input is split at its first NUL byte: the part before is the file under test, the part
//! after is served as every companion file the parser asks for (`package.json`, `Cargo.toml`),
//! so companion parsing is fuzzed too.

use depwatch_lockfiles::{parse, Format, Input, ParseOptions, RepoFiles};

struct Companion<'a>(&'a [u8]);

impl RepoFiles for Companion<'_> {
    fn read(&self, _path: &str) -> Option<Vec<u8>> {
        (!self.0.is_empty()).then(|| self.0.to_vec())
    }

    fn list(&self, _dir: &str) -> Option<Vec<String>> {
        Some(vec!["a".to_owned(), "b".to_owned()])
    }
}

/// Parses `data` as `format` and checks the invariants every result must hold.
pub fn run(format: Format, data: &[u8]) {
    let (file, companion) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let options = ParseOptions { max_bytes: 1 << 20 };
    let repo = Companion(companion);
    let input = Input { path: format.file_name(), bytes: file, repo: &repo, options: &options };
    let parsed = parse(format, &input);
    let n = parsed.packages.len();
    assert!(parsed.edges.iter().all(|e| e.from < n && e.to < n), "edge out of range");
    assert!(parsed.roots.iter().all(|&r| r < n), "root out of range");
    assert!(
        n > 0 || !parsed.diagnostics.is_empty(),
        "zero packages without a diagnostic"
    );
    let mut keys: Vec<_> = parsed.packages.iter().map(|p| (&p.name, &p.version)).collect();
    keys.sort();
    let before = keys.len();
    keys.dedup();
    assert_eq!(before, keys.len(), "duplicate (name, version) after deduplication");
}
