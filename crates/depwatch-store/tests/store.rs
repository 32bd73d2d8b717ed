//! Opening, migrating and refusing databases, on real files.

use depwatch_store::{latest_schema_version, Store, StoreError};
use rusqlite::Connection;

#[test]
fn migrations_apply_to_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/depwatch.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_schema_version());
    let info = store.info().unwrap();
    assert_eq!(info.journal_mode, "wal", "the app relies on WAL for concurrent UI reads");
    assert!(info.tables.iter().any(|t| t.name == "setting"));
    assert!(info.file_bytes > 0);
}

#[test]
fn reopening_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("depwatch.db");
    let first = Store::open(&path).unwrap();
    first.set_setting("monitoring.paused", &true).unwrap();
    drop(first);
    let second = Store::open(&path).unwrap();
    assert_eq!(second.migrate().unwrap(), 0, "nothing left to apply on reopen");
    assert_eq!(second.schema_version().unwrap(), latest_schema_version());
    assert_eq!(second.setting::<bool>("monitoring.paused").unwrap(), Some(true));
}

#[test]
fn a_newer_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("depwatch.db");
    let future = latest_schema_version() + 7;
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE from_the_future (x INTEGER);").unwrap();
        conn.pragma_update(None, "user_version", future).unwrap();
    }
    let before = std::fs::read(&path).unwrap();

    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::TooNew { found, supported, .. } => {
            assert_eq!(*found, future);
            assert_eq!(*supported, latest_schema_version());
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("newer depwatch"), "message should say why: {message}");
    assert!(
        message.contains(&path.display().to_string()),
        "message should name the file: {message}"
    );

    assert_eq!(std::fs::read(&path).unwrap(), before, "the file must not change");
    assert!(!dir.path().join("depwatch.db-wal").exists(), "no WAL may be created");
    assert!(matches!(Store::open_unmigrated(&path), Err(StoreError::TooNew { .. })));
}

#[test]
fn an_unmigrated_open_reports_pending_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("depwatch.db");
    let store = Store::open_unmigrated(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 0);
    assert_eq!(store.info().unwrap().latest_schema_version, latest_schema_version());
    assert_eq!(store.migrate().unwrap(), latest_schema_version());
}

#[test]
fn a_file_that_is_not_sqlite_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("depwatch.db");
    std::fs::write(&path, b"this is not a database, just some text that is long enough").unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(err.to_string().contains("not a depwatch database"), "{err}");
}

#[test]
fn settings_round_trip_structured_values() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.setting::<Vec<String>>("refs").unwrap(), None);
    store.set_setting("refs", &vec!["release/*".to_owned()]).unwrap();
    store.set_setting("refs", &vec!["release/*".to_owned(), "main".to_owned()]).unwrap();
    assert_eq!(
        store.setting::<Vec<String>>("refs").unwrap(),
        Some(vec!["release/*".to_owned(), "main".to_owned()])
    );
    let err = store.setting::<u32>("refs").unwrap_err();
    assert!(matches!(err, StoreError::BadSetting { .. }));
}

#[test]
fn migration_7_gives_records_imported_before_it_their_matching_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("depwatch.db");
    {
        // A database as depwatch left it at schema 6, with one imported record.
        let conn = Connection::open(&path).unwrap();
        for (i, m) in depwatch_store::MIGRATIONS.iter().take(6).enumerate() {
            conn.execute_batch(m.sql).unwrap();
            conn.pragma_update(None, "user_version", i as i64 + 1).unwrap();
        }
        conn.execute(
            "INSERT INTO advisory (id, ecosystem, modified, withdrawn, content_hash, raw_json)
             VALUES ('RUSTSEC-1', 'crates.io', 'm', 0, x'00', ?1)",
            [r#"{"id": "RUSTSEC-1", "details": "long", "references": [],
                 "affected": [{"package": {"ecosystem": "crates.io", "name": "smallvec"}}]}"#],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO advisory_package (ecosystem, name, advisory_id)
             VALUES ('crates.io', 'smallvec', 'RUSTSEC-1')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_schema_version());
    let found = store.advisories_for_packages(&[("crates.io", "smallvec")]).unwrap();
    assert_eq!(found.len(), 1);
    assert!(!found[0].json.contains("details"), "backfilled: {}", found[0].json);
    assert!(found[0].json.contains("smallvec"));
    assert!(store.advisory("RUSTSEC-1").unwrap().unwrap().raw_json.contains("long"));
}
