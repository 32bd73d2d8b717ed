//! Advisory imports end to end: a loopback stand-in for the OSV bucket (with ETag and
//! Last-Modified), conditional re-sync, local imports, and scans against what was stored.

mod bucket;

use bucket::Bucket;
use depwatch_app::{App, DataDir, DownloadLimits};
use depwatch_store::SyncResult;
use std::path::{Path, PathBuf};

const ECOSYSTEMS: [&str; 3] = ["crates.io", "Go", "PyPI"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn open(dir: &tempfile::TempDir) -> App {
    App::open(DataDir::new(dir.path().join("data"))).unwrap()
}

#[test]
fn a_second_sync_gets_304_and_rewrites_nothing() {
    let bucket = Bucket::start(&ECOSYSTEMS.map(|e| (e, fixture(&format!("osv/{e}.zip")))));
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    for e in ECOSYSTEMS {
        app.add_advisory_source(&bucket.url(e)).unwrap();
    }
    let limits = DownloadLimits::default();

    let first = app.sync_advisories(&limits).unwrap();
    assert_eq!(first.len(), 3);
    let mut inserted = 0;
    for (source, result) in &first {
        let report = result.as_ref().unwrap_or_else(|e| panic!("{source}: {e}"));
        assert!(!report.not_modified, "{source}");
        assert!(report.records > 0, "{source}");
        assert_eq!(report.stats.inserted, report.records, "{source}: fresh database");
        inserted += report.stats.inserted;
    }
    let pypi = &first.iter().find(|(s, _)| s.contains("/PyPI/")).unwrap().1.as_ref().unwrap();
    let skipped: Vec<&str> = pypi.skipped.iter().map(|s| s.record.as_str()).collect();
    assert_eq!(skipped, ["PYSEC-0000-BROKEN"], "the unusable record is named and skipped");
    assert_eq!(bucket.full_responses(), 3);

    let second = app.sync_advisories(&limits).unwrap();
    for (source, result) in &second {
        let report = result.as_ref().unwrap_or_else(|e| panic!("{source}: {e}"));
        assert!(report.not_modified, "{source}: the server answered 304");
        assert_eq!(report.stats.written(), 0, "{source}");
    }
    assert_eq!(bucket.not_modified_responses(), 3);
    assert_eq!(bucket.full_responses(), 3, "nothing downloaded again");

    let info = app.advisory_db_info().unwrap();
    assert_eq!(info.total, inserted);
    assert_eq!(info.sources.len(), 3);
    for source in &info.sources {
        assert_eq!(source.last_result, Some(SyncResult::NotModified), "{}", source.location);
        assert!(source.etag.is_some() && source.last_modified.is_some());
        assert!(source.record_count > 0, "a 304 keeps the counts of the last import");
    }
}

#[test]
fn a_changed_export_rewrites_only_what_changed_and_drops_what_vanished() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("crates.io.zip");
    std::fs::copy(fixture("osv/crates.io.zip"), &zip).unwrap();
    let first = app.import_advisories(zip.to_str().unwrap()).unwrap();
    assert!(first.records > 100);

    // Rebuild the export without one record and with another one changed.
    let (mut raws, _) = depwatch_advisories::read_zip(&std::fs::read(&zip).unwrap(), "x").unwrap();
    let removed = raws.remove(0);
    let changed = raws.get_mut(0).unwrap();
    let mut value: serde_json::Value = serde_json::from_slice(&changed.json).unwrap();
    value["modified"] = serde_json::json!("2030-01-01T00:00:00Z");
    changed.json = serde_json::to_vec(&value).unwrap();
    bucket::write_zip(&zip, &raws);

    let second = app.import_advisories(zip.to_str().unwrap()).unwrap();
    assert_eq!(second.stats.inserted, 0);
    assert_eq!(second.stats.updated, 1);
    assert_eq!(second.stats.deleted, 1, "{} vanished from the export", removed.file);
    assert_eq!(second.stats.unchanged, first.records - 2);
}

#[test]
fn unreachable_and_failing_sources_are_reported_per_source() {
    let bucket = Bucket::start(&[("crates.io", fixture("osv/crates.io.zip"))]);
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    app.add_advisory_source(&bucket.url("crates.io")).unwrap();
    app.add_advisory_source(&bucket.url("npm")).unwrap(); // the bucket answers 404
    let results = app.sync_advisories(&DownloadLimits::default()).unwrap();
    let npm = results.iter().find(|(s, _)| s.contains("/npm/")).unwrap();
    let error = npm.1.as_ref().unwrap_err().to_string();
    assert!(error.contains("404") && error.contains("/npm/all.zip"), "{error}");
    assert!(results.iter().any(|(s, r)| s.contains("/crates.io/") && r.is_ok()));

    // A fresh database has no validators to send, so the whole export comes back: too big.
    let other = tempfile::tempdir().unwrap();
    let fresh = open(&other);
    let tiny = DownloadLimits { max_bytes: 1000, ..DownloadLimits::default() };
    let capped = fresh.import_advisories_with(&bucket.url("crates.io"), &tiny);
    let error = capped.unwrap_err().to_string();
    assert!(error.contains("1000-byte limit"), "{error}");
    let info = app.advisory_db_info().unwrap();
    let failed = info.sources.iter().find(|s| s.location.contains("/npm/")).unwrap();
    assert_eq!(failed.last_result, Some(SyncResult::Failed));
    assert!(failed.last_error.as_deref().unwrap_or("").contains("404"));
}

#[test]
fn json_files_and_directories_import_and_scan() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let work = tempfile::tempdir().unwrap();
    let records = work.path().join("records");
    std::fs::create_dir_all(records.join("nested")).unwrap();
    std::fs::write(
        records.join("nested/GHSA-test.json"),
        r#"{"id":"GHSA-test-0001","modified":"2024-01-01T00:00:00Z","summary":"bad left-pad",
            "affected":[{"package":{"ecosystem":"npm","name":"left-pad"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(records.join("broken.json"), "{").unwrap();
    let report = app.import_advisories(records.to_str().unwrap()).unwrap();
    assert_eq!(report.records, 1);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].record, "broken.json");

    let project = work.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("package-lock.json"),
        r#"{"name":"p","version":"1.0.0","lockfileVersion":3,"packages":{
            "":{"name":"p","version":"1.0.0","dependencies":{"left-pad":"^1.0.0"}},
            "node_modules/left-pad":{"version":"1.1.0"}}}"#,
    )
    .unwrap();
    let scan = app.scan_path(&project).unwrap();
    assert_eq!(scan.manifests, ["package-lock.json"]);
    assert!(
        scan.packages.iter().any(|p| p.name == "left-pad" && p.version == "1.1.0"),
        "{:?}",
        scan.packages
    );
    let ids: Vec<&str> = scan.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-test-0001"]);
    // The project itself is a workspace package: said, not matched.
    let levels: Vec<_> = scan.diagnostics.iter().map(|d| d.level).collect();
    assert_eq!(levels, [depwatch_core::DiagnosticLevel::Info], "{:?}", scan.diagnostics);
}

/// `scan <dir>` reads every format depwatch knows: one scenario fixture of each (from the
/// lockfiles crate's fixtures) in its own project folder yields packages under its own path.
#[test]
fn a_directory_scan_reads_every_format() {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../depwatch-lockfiles/tests/fixtures");
    let layout = [
        ("bun_lock/local-and-tarball.lock", "bun/bun.lock"),
        ("cargo_lock/one-package.lock", "cargo/Cargo.lock"),
        ("cargo_toml/crate-with-dev-deps.toml", "crate/Cargo.toml"),
        ("composer_lock/one-package.lock", "php/composer.lock"),
        ("gemfile_lock/one-package.lock", "ruby/Gemfile.lock"),
        ("go_mod/one-package.mod", "gomod/go.mod"),
        ("go_sum/small.sum", "gosum/go.sum"),
        ("gradle_lockfile/configurations.lockfile", "gradle/gradle.lockfile"),
        ("nuget_lock/multi-target.json", "dotnet/packages.lock.json"),
        ("package_json/all-sections.json", "node/package.json"),
        ("package_lock/v2-both-sections.json", "npm/package-lock.json"),
        ("pipfile_lock/one-package.json", "pipenv/Pipfile.lock"),
        ("pnpm_lock/v6-workspace.yaml", "pnpm/pnpm-lock.yaml"),
        ("poetry_lock/v1.1.lock", "poetry/poetry.lock"),
        ("pom_xml/simple.xml", "maven/pom.xml"),
        ("pylock_toml/full.toml", "pylock/pylock.toml"),
        ("requirements/one-package.txt", "pip/requirements.txt"),
        ("uv_lock/project.lock", "uv/uv.lock"),
        ("yarn_lock/v1-dev-and-aliases.lock", "yarn/yarn.lock"),
    ];
    let repo = tempfile::tempdir().unwrap();
    for (from, to) in layout {
        let to = repo.path().join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixtures.join(from), &to).unwrap_or_else(|e| panic!("{from}: {e}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let report = open(&dir).scan_path(repo.path()).unwrap();
    let mut expected: Vec<&str> = layout.iter().map(|(_, to)| *to).collect();
    expected.sort_unstable();
    assert_eq!(report.manifests, expected);
    for manifest in expected {
        assert!(
            report.packages.iter().any(|p| p.manifest == manifest),
            "no package from {manifest}: {:?}",
            report.diagnostics
        );
    }
}
