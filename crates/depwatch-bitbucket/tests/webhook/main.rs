//! Webhook payload fixtures (written from the protocol reference) normalized and snapshotted.

use depwatch_bitbucket::webhook::{
    normalize_post_receive, normalize_refs_changed, normalize_repo_modified, parse_ping,
    ChangeKind, RefKind, UnsupportedSource, WebhookError,
};
use std::path::Path;

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn fixture(name: &str) -> Vec<u8> {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhook").join(name))
}

#[test]
fn native_pushes_normalize() {
    insta::glob!("../fixtures/webhook", "native-*.json", |path| {
        let event = normalize_refs_changed(&read(path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        insta::assert_json_snapshot!(event);
    });
}

#[test]
fn plugin_pushes_normalize() {
    insta::glob!("../fixtures/webhook", "plugin-*.json", |path| {
        let event = normalize_post_receive(&read(path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        insta::assert_json_snapshot!(event);
    });
}

#[test]
fn repo_modified_normalizes() {
    let event = normalize_repo_modified(&fixture("repo-modified-move.json")).unwrap();
    assert_eq!(event.repository_id, 412);
    insta::assert_json_snapshot!(event);
}

#[test]
fn ping_parses() {
    assert!(parse_ping(&fixture("ping.json")).unwrap().test);
}

#[test]
fn unsupported_bodies_are_named() {
    insta::glob!("../fixtures/webhook", "unsupported-*.json", |path| {
        let body = read(path);
        let native = normalize_refs_changed(&body).unwrap_err();
        let plugin = normalize_post_receive(&body).unwrap_err();
        assert!(matches!(native, WebhookError::Unsupported(UnsupportedSource::CloudStylePayload)));
        assert!(matches!(plugin, WebhookError::Unsupported(_)));
        insta::assert_snapshot!(native.to_string());
    });
}

#[test]
fn zero_hashes_become_none() {
    let add = normalize_refs_changed(&fixture("native-branch-add.json")).unwrap();
    let c = &add.ref_changes[0];
    assert_eq!((c.change, c.from.is_none(), c.to.is_some()), (ChangeKind::Add, true, true));
    let del = normalize_refs_changed(&fixture("native-branch-delete.json")).unwrap();
    let c = &del.ref_changes[0];
    assert_eq!((c.change, c.from.is_some(), c.to.is_none()), (ChangeKind::Delete, true, true));
    assert!(del.commits.is_empty(), "DELETE carries no toCommit");
}

#[test]
fn multi_ref_keeps_every_ref_and_flags_only_unpeeled_tags() {
    let e = normalize_refs_changed(&fixture("native-multi-ref.json")).unwrap();
    let summary: Vec<_> = e
        .ref_changes
        .iter()
        .map(|c| (c.display_id.as_str(), c.kind, c.change, c.peel_required))
        .collect();
    assert_eq!(
        summary,
        [
            ("main", RefKind::Branch, ChangeKind::Update, false),
            // Points at a commit the payload carries: a lightweight tag.
            ("v2.0.0", RefKind::Tag, ChangeKind::Add, false),
            // Points at an object the payload never mentions: maybe an annotated tag object.
            ("v2.0.0-signed", RefKind::Tag, ChangeKind::Add, true),
            ("old-release", RefKind::Branch, ChangeKind::Delete, false),
        ]
    );
}

#[test]
fn epoch_ms_and_iso_timestamps_agree_on_the_instant() {
    let iso = normalize_refs_changed(&fixture("native-10.3-iso-timestamps.json")).unwrap();
    let t = iso.commits[0].author_time.unwrap();
    assert_eq!(t.timestamp_millis(), 1_762_157_742_000);
    let ms = normalize_refs_changed(&fixture("native-9x-update.json")).unwrap();
    assert_eq!(ms.commits[0].author_time.unwrap().timestamp_millis(), 1_741_940_815_000);
    // `+0100` without a colon.
    assert_eq!(ms.occurred_at.unwrap().to_rfc3339(), "2025-03-14T08:26:53+00:00");
}

#[test]
fn plugin_cap_is_reported_as_incomplete() {
    let e = normalize_post_receive(&fixture("plugin-branch-create-capped.json")).unwrap();
    assert_eq!(e.commits.len(), 100);
    assert!(!e.commits_complete);
    assert!(e.diagnostics.iter().any(|d| d.message.contains("truncated")));
}

#[test]
fn empty_changes_are_accepted_with_a_diagnostic() {
    let e = normalize_refs_changed(&fixture("native-empty-changes.json")).unwrap();
    assert!(e.ref_changes.is_empty());
    assert!(e.diagnostics.iter().any(|d| d.message.contains("reconcile")));
}

#[test]
fn missing_changes_field_is_an_error_not_an_empty_push() {
    let body = br#"{"eventKey":"repo:refs_changed","repository":{"id":1,"slug":"a","project":{"key":"P"}}}"#;
    let e = normalize_refs_changed(body).unwrap_err();
    assert!(e.to_string().contains("changes"), "{e}");
}
