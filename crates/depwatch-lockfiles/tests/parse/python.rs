use crate::in_repo::{parse_in_repo, parse_real_file};
use depwatch_lockfiles::{Format, Scope, Source};

#[test]
fn requirements_fixtures() {
    snapshot_fixtures!(Format::Requirements, "requirements/*.txt");
}

#[test]
fn pipfile_lock_fixtures() {
    snapshot_fixtures!(Format::PipfileLock, "pipfile_lock/*.json");
}

#[test]
fn poetry_lock_fixtures() {
    snapshot_fixtures!(Format::PoetryLock, "poetry_lock/*.lock");
}

#[test]
fn uv_lock_fixtures() {
    snapshot_fixtures!(Format::UvLock, "uv_lock/*.lock");
}

#[test]
fn pylock_toml_fixtures() {
    snapshot_fixtures!(Format::PylockToml, "pylock_toml/*.toml");
}

#[test]
fn requirements_includes_resolve_inside_the_repository() {
    let parsed = parse_in_repo(Format::Requirements, "requirements-includes", "requirements.txt");
    insta::assert_json_snapshot!(parsed);
    // The constraints file pins django but adds `not-required` nowhere.
    let django = parsed.packages.iter().find(|p| p.name == "django").expect("django listed");
    assert_eq!((django.version.as_str(), django.pinned), ("4.2.7", true));
    assert_eq!(django.manifest, "requirements/base.txt");
    assert!(parsed.packages.iter().all(|p| p.name != "not-required"));
}

#[test]
fn dev_requirements_file_is_dev_scope() {
    let parsed =
        parse_in_repo(Format::Requirements, "requirements-includes", "requirements-dev.txt");
    let scope = |name: &str| parsed.packages.iter().find(|p| p.name == name).map(|p| p.scope);
    assert_eq!(scope("pytest"), Some(Scope::Dev));
    // Included from the prod file: its scope comes from the file that lists it.
    assert_eq!(scope("gunicorn"), Some(Scope::Prod));
}

#[test]
fn real_poetry_lock() {
    let parsed = parse_real_file(Format::PoetryLock, "poetry.poetry.lock", "poetry.lock");
    // python3: tomllib.load(...)['package'] has 78 entries, 78 distinct (name, version) pairs.
    assert_eq!(parsed.packages.len(), 78);
    // One `[package.source] type = "git"` (poetry-core); the rest come from PyPI.
    let git: Vec<_> = parsed.packages.iter().filter(|p| p.source == Source::Git).collect();
    assert_eq!(git.len(), 1);
    assert_eq!(git[0].name, "poetry-core");
    assert!(parsed.packages.iter().all(|p| p.pinned));
    // lock-version 2.1: every package has `groups`, so no scope is unknown.
    assert!(parsed.packages.iter().all(|p| p.scope != Scope::Unknown));
    assert!(!parsed.edges.is_empty());
}
