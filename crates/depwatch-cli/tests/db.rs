//! The `depwatch db` commands, run as a user would run them.

use assert_cmd::Command;
use predicates::prelude::*;

fn depwatch() -> Command {
    let mut cmd = Command::cargo_bin("depwatch").unwrap();
    cmd.env_remove("DEPWATCH_DATA_DIR");
    cmd
}

#[test]
fn version_prints_the_crate_version() {
    depwatch()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn migrate_then_info_reports_path_and_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    depwatch()
        .args(["--data-dir", data, "db", "migrate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("migrated from schema version 0"));
    depwatch()
        .args(["--data-dir", data, "db", "migrate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already up to date"));
    let latest = depwatch_store::latest_schema_version();
    depwatch()
        .args(["db", "info", "--data-dir", data])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("schema version:  {latest} of {latest}")))
        .stdout(predicate::str::contains(dir.path().join("depwatch.db").to_str().unwrap()));

    let out =
        depwatch().args(["--data-dir", data, "db", "info", "--format", "json"]).output().unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schemaVersion"], latest);
    assert_eq!(json["journalMode"], "wal");
}

#[test]
fn info_on_a_fresh_directory_shows_pending_migrations_without_applying_them() {
    let dir = tempfile::tempdir().unwrap();
    depwatch()
        .args(["--data-dir", dir.path().to_str().unwrap(), "db", "info"])
        .assert()
        .success()
        .stdout(predicate::str::contains("schema version:  0 of"))
        .stdout(predicate::str::contains("pending"));
}

#[test]
fn the_environment_variable_selects_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    depwatch().env("DEPWATCH_DATA_DIR", dir.path()).args(["db", "migrate"]).assert().success();
    assert!(dir.path().join("depwatch.db").exists());
}

#[test]
fn a_database_from_a_newer_depwatch_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("depwatch.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    for args in [&["db", "info"][..], &["db", "migrate"][..]] {
        depwatch()
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("schema version 999"))
            .stderr(predicate::str::contains("newer depwatch"));
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
}
