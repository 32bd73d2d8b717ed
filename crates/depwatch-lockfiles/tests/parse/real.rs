//! Real lockfiles from public repositories (`tests/fixtures/real/SOURCES.md`), each checked
//! against a package count obtained independently of this crate.

use depwatch_core::DiagnosticLevel;
use depwatch_lockfiles::{parse, Format, Input, NoFiles, ParseOptions, Parsed, Source};

fn parse_real(format: Format, name: &str) -> Parsed {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real").join(name);
    let bytes = std::fs::read(path).expect("real fixture is readable");
    let options = ParseOptions::default();
    let input = Input { path: name, bytes: &bytes, repo: &NoFiles, options: &options };
    let parsed = parse(format, &input);
    let errors: Vec<_> =
        parsed.diagnostics.iter().filter(|d| d.level >= DiagnosticLevel::Warning).collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    parsed
}

fn count(parsed: &Parsed, source: Source) -> usize {
    parsed.packages.iter().filter(|p| p.source == source).count()
}

#[test]
fn rustsec_cargo_lock() {
    let parsed = parse_real(Format::CargoLock, "rustsec.Cargo.lock");
    // python3: tomllib → len(d['package']) = 421, all (name, version) pairs distinct;
    // 9 of them have no `source` (workspace members).
    assert_eq!(parsed.packages.len(), 421);
    assert_eq!(count(&parsed, Source::Workspace), 9);
    assert_eq!(parsed.roots.len(), 9);
    assert_eq!(count(&parsed, Source::Registry), 412);
}
