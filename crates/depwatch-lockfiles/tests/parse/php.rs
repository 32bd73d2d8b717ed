use crate::in_repo::parse_real_file;
use depwatch_lockfiles::{Format, Scope};

#[test]
fn composer_lock_fixtures() {
    snapshot_fixtures!(Format::ComposerLock, "composer_lock/*.lock");
}

#[test]
fn real_composer_lock() {
    let parsed = parse_real_file(Format::ComposerLock, "composer.composer.lock", "composer.lock");
    // jq: `.packages|length` = 30, `.["packages-dev"]|length` = 6, 36 distinct name@version,
    // none of them a branch version.
    assert_eq!(parsed.packages.len(), 36);
    assert_eq!(parsed.packages.iter().filter(|p| p.scope == Scope::Prod).count(), 30);
    assert_eq!(parsed.packages.iter().filter(|p| p.scope == Scope::Dev).count(), 6);
    assert!(parsed.packages.iter().all(|p| p.pinned && !p.version.starts_with('v')));
}
