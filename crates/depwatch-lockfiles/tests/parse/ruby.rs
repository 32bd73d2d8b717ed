use crate::in_repo::parse_real_file;
use depwatch_lockfiles::{Format, Source};

#[test]
fn gemfile_lock_fixtures() {
    snapshot_fixtures!(Format::GemfileLock, "gemfile_lock/*.lock");
}

#[test]
fn real_rubygems_org_gemfile_lock() {
    let parsed = parse_real_file(Format::GemfileLock, "rubygems.org.Gemfile.lock", "Gemfile.lock");
    // python3: lines matching `^    (\S+) \(([^-)]*)(?:-[^)]*)?\)$` inside GEM/GIT/PATH give 298
    // distinct (name, version-without-platform) pairs; DEPENDENCIES lines matching
    // `^  ([^\s!]+)!?(?: \(.*\))?!?$` name 120 gems, each locked at one version.
    assert_eq!(parsed.packages.len(), 298);
    assert_eq!(parsed.packages.iter().filter(|p| p.direct == Some(true)).count(), 120);
    assert!(parsed.packages.iter().all(|p| p.source == Source::Registry));
    assert!(!parsed.edges.is_empty());
}
