//! `depwatch inbox list` over a database with deliveries in every final state.

use assert_cmd::Command;
use depwatch_store::{NewInboxEntry, Store};
use predicates::prelude::*;

fn seed(path: &std::path::Path) {
    let store = Store::open(path).unwrap();
    let entry = |id: &'static str, reason: Option<&'static str>| NewInboxEntry {
        instance: "corp",
        delivery_id: id,
        event_kind: "repo:refs_changed",
        received_at_ms: 1_741_940_813_000,
        body: b"{}",
        event_json: None,
        ignored_reason: reason,
    };
    store.inbox_insert(&entry("d-ok", None)).unwrap();
    store.inbox_insert(&entry("d-ignored", Some("repository not monitored"))).unwrap();
    store.inbox_insert(&entry("d-failed", None)).unwrap();
    let first = store.inbox_claim_next(1).unwrap().unwrap();
    store.inbox_mark_processed(first.record.id, 2).unwrap();
    let failed = store.inbox_claim_next(3).unwrap().unwrap();
    store.inbox_mark_failed(failed.record.id, "bitbucket answered 500", 4).unwrap();
}

#[test]
fn lists_states_reasons_and_errors_as_json_and_table() {
    let dir = tempfile::tempdir().unwrap();
    seed(&dir.path().join("depwatch.db"));
    let data = dir.path().to_str().unwrap();
    let out = Command::cargo_bin("depwatch")
        .unwrap()
        .args(["--data-dir", data, "inbox", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, Option<String>)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["delivery_id"].as_str().unwrap().to_owned(),
                r["state"].as_str().unwrap().to_owned(),
                r["reason"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("d-failed".into(), "failed".into(), Some("bitbucket answered 500".into())),
            ("d-ignored".into(), "ignored".into(), Some("repository not monitored".into())),
            ("d-ok".into(), "processed".into(), None),
        ]
    );
    Command::cargo_bin("depwatch")
        .unwrap()
        .args(["--data-dir", data, "inbox", "list", "--state", "ignored"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("repository not monitored")
                .and(predicate::str::contains("2025-03-14 08:26:53.000"))
                .and(predicate::str::contains("d-failed").not()),
        );
}
