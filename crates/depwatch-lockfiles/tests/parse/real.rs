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

#[test]
fn jquery_package_lock_v3() {
    let parsed = parse_real(Format::PackageLock, "jquery.package-lock.json");
    // python3 json: 821 `packages` keys = the root "" + 820 installed entries (no links),
    // 766 distinct (name-or-`name`-field, version) pairs; every installed entry has dev: true;
    // the root declares 33 devDependencies and no dependencies.
    assert_eq!(parsed.packages.len(), 767);
    assert_eq!(count(&parsed, Source::Workspace), 1);
    let installed: Vec<_> =
        parsed.packages.iter().filter(|p| p.source != Source::Workspace).collect();
    assert!(installed.iter().all(|p| p.scope == depwatch_lockfiles::Scope::Dev));
    assert_eq!(installed.iter().filter(|p| p.direct == Some(true)).count(), 33);
    let paths: usize = installed.iter().map(|p| p.paths.len()).sum();
    assert_eq!(paths, 820);
    // The `npm:` alias `promises-aplus-tests` is reported under its real name.
    assert!(installed.iter().any(|p| p.name == "@mgol/promises-aplus-tests"
        && p.paths == ["node_modules/promises-aplus-tests"]));
}

#[test]
fn webpack_yarn_v1() {
    let parsed = parse_real(Format::YarnLock, "webpack.yarn-v1.lock");
    // python3: 1397 entries (unindented lines ending in `:`), 1393 distinct (name, version)
    // pairs, the name taken from the first descriptor (after `npm:` for aliases).
    assert_eq!(parsed.packages.len(), 1393);
    let descriptors: usize = parsed.packages.iter().map(|p| p.paths.len()).sum();
    // `grep -v '^[ #]' webpack.yarn-v1.lock | grep ':$' | tr ',' '\n' | wc -l` = 1713.
    assert_eq!(descriptors, 1713);
    assert!(!parsed.edges.is_empty());
}

#[test]
fn prettier_yarn_berry() {
    let parsed = parse_real(Format::YarnLock, "prettier.yarn.lock");
    // python3 + PyYAML: 1052 keys besides __metadata, 1 workspace (`prettier@workspace:.`),
    // 2 `patch:` entries that share name and version with their npm entry: 1050 distinct
    // (name from `resolution`, `version`) pairs, the workspace included.
    assert_eq!(parsed.packages.len(), 1050);
    assert_eq!(count(&parsed, Source::Workspace), 1);
    assert_eq!(parsed.roots.len(), 1);
    let direct = parsed.packages.iter().filter(|p| p.direct == Some(true)).count();
    assert!(direct > 50, "the workspace's dependencies are direct: {direct}");
}

#[test]
fn vuejs_core_pnpm_v9() {
    let parsed = parse_real(Format::PnpmLock, "vuejs-core.pnpm-lock.yaml");
    // python3 + PyYAML: 621 `snapshots` keys, 620 distinct (name, version) after stripping the
    // `(peer)` suffix (= the 620 `packages` keys); 18 `importers`, each a workspace root.
    assert_eq!(parsed.packages.len(), 620 + 18);
    assert_eq!(parsed.roots.len(), 18);
    assert_eq!(count(&parsed, Source::Workspace), 18);
    // The root importer has only devDependencies, yet the published packages have prod
    // dependencies: both scopes must appear.
    let scopes: std::collections::BTreeSet<_> =
        parsed.packages.iter().filter(|p| p.source == Source::Registry).map(|p| p.scope).collect();
    assert!(scopes.contains(&depwatch_lockfiles::Scope::Prod), "{scopes:?}");
    assert!(scopes.contains(&depwatch_lockfiles::Scope::Dev), "{scopes:?}");
}
