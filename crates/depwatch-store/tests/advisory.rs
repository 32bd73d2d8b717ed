//! The advisory tables: change detection, full-snapshot deletion, lookups, counts, sources.

use depwatch_store::{
    ImportMode, ImportStats, NewAdvisory, SourceKind, Store, SyncOutcome, SyncResult,
};

fn record(id: &str, ecosystem: &str, name: &str, modified: &str) -> NewAdvisory {
    NewAdvisory {
        id: id.to_owned(),
        ecosystem: ecosystem.to_owned(),
        modified: modified.to_owned(),
        withdrawn: false,
        raw_json: format!(
            r#"{{"id":"{id}","modified":"{modified}","affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"{name}"}}}}]}}"#
        ),
        packages: vec![(ecosystem.to_owned(), name.to_owned())],
    }
}

fn ids(store: &Store, keys: &[(&str, &str)]) -> Vec<String> {
    store.advisories_for_packages(keys).unwrap().into_iter().map(|a| a.id).collect()
}

#[test]
fn only_changed_records_are_rewritten() {
    let store = Store::open_in_memory().unwrap();
    let source = store.ensure_advisory_source("/tmp/a.zip", SourceKind::Zip, false).unwrap();
    let batch = vec![
        record("RUSTSEC-1", "crates.io", "smallvec", "2024-01-01T00:00:00Z"),
        record("RUSTSEC-2", "crates.io", "time", "2024-01-01T00:00:00Z"),
    ];
    let first = store.import_advisories(source.id, &batch, ImportMode::FullSnapshot).unwrap();
    assert_eq!(first, ImportStats { inserted: 2, updated: 0, unchanged: 0, deleted: 0 });

    let again = store.import_advisories(source.id, &batch, ImportMode::FullSnapshot).unwrap();
    assert_eq!(again, ImportStats { inserted: 0, updated: 0, unchanged: 2, deleted: 0 });
    assert_eq!(again.written(), 0);

    // RUSTSEC-2 moves to another package: the index follows the rewrite.
    let changed = vec![
        record("RUSTSEC-1", "crates.io", "smallvec", "2024-01-01T00:00:00Z"),
        record("RUSTSEC-2", "crates.io", "chrono", "2024-02-01T00:00:00Z"),
    ];
    let third = store.import_advisories(source.id, &changed, ImportMode::FullSnapshot).unwrap();
    assert_eq!(third, ImportStats { inserted: 0, updated: 1, unchanged: 1, deleted: 0 });
    assert_eq!(ids(&store, &[("crates.io", "time")]), Vec::<String>::new());
    assert_eq!(
        ids(&store, &[("crates.io", "chrono"), ("crates.io", "smallvec")]),
        ["RUSTSEC-1", "RUSTSEC-2"]
    );
    let stored = store.advisory("RUSTSEC-2").unwrap().unwrap();
    assert!(stored.raw_json.contains("chrono"));
}

#[test]
fn records_that_vanish_from_a_full_snapshot_are_deleted_unless_another_source_holds_them() {
    let store = Store::open_in_memory().unwrap();
    let npm = store.ensure_advisory_source("https://x/npm/all.zip", SourceKind::Url, true).unwrap();
    let pypi =
        store.ensure_advisory_source("https://x/PyPI/all.zip", SourceKind::Url, true).unwrap();
    let shared = record("GHSA-aaaa", "npm", "left-pad", "2024-01-01T00:00:00Z");
    store
        .import_advisories(
            npm.id,
            &[shared.clone(), record("GHSA-bbbb", "npm", "lodash", "2024-01-01T00:00:00Z")],
            ImportMode::FullSnapshot,
        )
        .unwrap();
    store
        .import_advisories(pypi.id, std::slice::from_ref(&shared), ImportMode::FullSnapshot)
        .unwrap();

    // The npm export no longer has either record.
    let stats = store.import_advisories(npm.id, &[], ImportMode::FullSnapshot).unwrap();
    assert_eq!(stats.deleted, 1, "GHSA-bbbb is gone; GHSA-aaaa is still in the PyPI export");
    assert!(store.advisory("GHSA-bbbb").unwrap().is_none());
    assert!(store.advisory("GHSA-aaaa").unwrap().is_some());
    assert_eq!(ids(&store, &[("npm", "lodash")]), Vec::<String>::new());

    // A partial import never deletes.
    let partial = store.import_advisories(pypi.id, &[], ImportMode::Partial).unwrap();
    assert_eq!(partial.deleted, 0);
    assert!(store.advisory("GHSA-aaaa").unwrap().is_some());
}

#[test]
fn counts_per_ecosystem_and_withdrawn_records_stay_out_of_lookups() {
    let store = Store::open_in_memory().unwrap();
    let source = store.ensure_advisory_source("/tmp/d", SourceKind::Dir, false).unwrap();
    let mut withdrawn = record("PYSEC-2", "PyPI", "jinja2", "2024-01-01T00:00:00Z");
    withdrawn.withdrawn = true;
    store
        .import_advisories(
            source.id,
            &[
                record("PYSEC-1", "PyPI", "jinja2", "2024-01-01T00:00:00Z"),
                withdrawn,
                record("GO-1", "Go", "golang.org/x/net", "2024-01-01T00:00:00Z"),
            ],
            ImportMode::Partial,
        )
        .unwrap();
    let counts = store.advisory_counts().unwrap();
    let summary: Vec<(&str, u64, u64)> =
        counts.iter().map(|c| (c.ecosystem.as_str(), c.records, c.withdrawn)).collect();
    assert_eq!(summary, [("Go", 1, 0), ("PyPI", 2, 1)]);
    assert_eq!(ids(&store, &[("PyPI", "jinja2")]), ["PYSEC-1"]);
    assert_eq!(store.all_advisories(true).unwrap().len(), 3);
    assert_eq!(store.all_advisories(false).unwrap().len(), 2);
    assert_eq!(store.advisory_ecosystems().unwrap(), ["Go", "PyPI"]);
}

#[test]
fn source_bookkeeping_keeps_validators_and_last_good_counts() {
    let store = Store::open_in_memory().unwrap();
    let url = "https://osv.example/crates.io/all.zip";
    let source = store.ensure_advisory_source(url, SourceKind::Url, true).unwrap();
    assert!(source.configured);
    assert_eq!(source.last_result, None);
    let ok = SyncOutcome {
        result: SyncResult::Imported,
        etag: Some("\"v1\"".into()),
        last_modified: Some("Sat, 21 Nov 2026 10:00:00 GMT".into()),
        error: None,
        record_count: 1206,
        skipped_count: 1,
    };
    store.record_advisory_sync(source.id, &ok, 1_000).unwrap();
    let failed = SyncOutcome {
        result: SyncResult::Failed,
        etag: None,
        last_modified: None,
        error: Some("connection refused".into()),
        record_count: 0,
        skipped_count: 0,
    };
    store.record_advisory_sync(source.id, &failed, 2_000).unwrap();
    // Registering again (an ad hoc import of the same URL) does not unconfigure it.
    store.ensure_advisory_source(url, SourceKind::Url, false).unwrap();
    let sources = store.advisory_sources().unwrap();
    assert_eq!(sources.len(), 1);
    let s = &sources[0];
    assert!(s.configured);
    assert_eq!(s.etag.as_deref(), Some("\"v1\""));
    assert_eq!(s.last_modified.as_deref(), Some("Sat, 21 Nov 2026 10:00:00 GMT"));
    assert_eq!(s.last_sync_at, Some(2_000));
    assert_eq!(s.last_result, Some(SyncResult::Failed));
    assert_eq!(s.last_error.as_deref(), Some("connection refused"));
    assert_eq!((s.record_count, s.skipped_count), (1206, 1));

    assert!(store.set_advisory_source_configured(url, false).unwrap());
    assert!(!store.advisory_sources().unwrap()[0].configured);
    assert!(!store.set_advisory_source_configured("https://nowhere/all.zip", true).unwrap());
}

fn displayed_record(id: &str, details: &str) -> NewAdvisory {
    let mut r = record(id, "crates.io", "smallvec", "2024-01-01T00:00:00Z");
    r.raw_json = format!(
        r#"{{
  "id": "{id}",
  "modified": "2024-01-01T00:00:00Z",
  "summary": "Buffer overflow",
  "details": "{details}",
  "references": [{{"type": "WEB", "url": "https://example.org/{id}"}}],
  "related": ["CVE-2024-0001"],
  "affected": [{{"package": {{"ecosystem": "crates.io", "name": "smallvec"}},
    "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "1.0.0"}}]}}]}}]
}}"#
    );
    r
}

#[test]
fn matching_reads_the_record_without_its_display_fields_and_display_reads_it_whole() {
    let store = Store::open_in_memory().unwrap();
    let source = store.ensure_advisory_source("/tmp/a.zip", SourceKind::Zip, false).unwrap();
    let batch = [displayed_record("RUSTSEC-1", "Long Markdown story")];
    store.import_advisories(source.id, &batch, ImportMode::FullSnapshot).unwrap();

    let matchable = store.advisories_for_packages(&[("crates.io", "smallvec")]).unwrap();
    let [m] = matchable.as_slice() else { panic!("one record expected: {matchable:?}") };
    let json: serde_json::Value = serde_json::from_str(&m.json).unwrap();
    for gone in ["details", "references", "related"] {
        assert!(json.get(gone).is_none(), "{gone} must not be in the matching form: {json}");
    }
    assert_eq!(json["summary"], "Buffer overflow");
    assert_eq!(json["affected"][0]["ranges"][0]["events"][1]["fixed"], "1.0.0");

    let whole = store.advisory("RUSTSEC-1").unwrap().unwrap();
    assert_eq!(whole.raw_json, batch[0].raw_json, "the record is kept exactly as imported");

    // A rewritten record gets a fresh matching form.
    let mut changed = displayed_record("RUSTSEC-1", "Revised story");
    changed.raw_json = changed.raw_json.replace("\"1.0.0\"", "\"1.0.1\"");
    store.import_advisories(source.id, &[changed], ImportMode::FullSnapshot).unwrap();
    let again = store.advisories_for_packages(&[("crates.io", "smallvec")]).unwrap();
    assert!(again[0].json.contains("1.0.1") && !again[0].json.contains("Revised"));

    // Withdrawn: no matching form, the record itself stays for display.
    let mut withdrawn = displayed_record("RUSTSEC-1", "Withdrawn story");
    withdrawn.withdrawn = true;
    store.import_advisories(source.id, &[withdrawn], ImportMode::FullSnapshot).unwrap();
    assert_eq!(ids(&store, &[("crates.io", "smallvec")]), Vec::<String>::new());
    assert!(store.advisory("RUSTSEC-1").unwrap().is_some());

    // Un-withdrawn, then gone from the snapshot: matchable again, then not at all.
    store
        .import_advisories(
            source.id,
            &[displayed_record("RUSTSEC-1", "Back")],
            ImportMode::FullSnapshot,
        )
        .unwrap();
    assert_eq!(ids(&store, &[("crates.io", "smallvec")]), ["RUSTSEC-1"]);
    store.import_advisories(source.id, &[], ImportMode::FullSnapshot).unwrap();
    assert_eq!(ids(&store, &[("crates.io", "smallvec")]), Vec::<String>::new());
    assert!(store.advisory("RUSTSEC-1").unwrap().is_none());
}
