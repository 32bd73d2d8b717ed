//! The Atlassian Labs Web Post Hooks plugin route.

use crate::harness::{config, fixture, instance, Listener, SECRET, TOKEN};
use depwatch_bitbucket::webhook::{HookEvent, PayloadFormat};
use depwatch_hook::signature::body_digest;
use depwatch_hook::{EventKind, MemoryInbox};
use std::sync::Arc;

const NO_CHECK: (&str, &str) = ("X-Atlassian-Token", "no-check");

async fn listener() -> (Listener, Arc<MemoryInbox>) {
    let inbox = Arc::new(MemoryInbox::new());
    let listener =
        Listener::start(config(vec![instance("corp", Some(SECRET))]), inbox.clone()).await;
    (listener, inbox)
}

fn url(token: &str) -> String {
    format!("/repo-syncer/repos/git.corp.example/SHOP/web-shop?token={token}")
}

#[tokio::test]
async fn every_plugin_fixture_is_accepted_with_the_token() {
    let (listener, inbox) = listener().await;
    let names = [
        "plugin-update-legacy-link.json",
        "plugin-branch-create-capped.json",
        "plugin-branch-delete.json",
        "plugin-multi-ref.json",
        "plugin-annotated-tag.json",
        "plugin-empty-ref-changes.json",
    ];
    for name in names {
        let body = fixture(name);
        let r = listener.post(&url(TOKEN), &[NO_CHECK], &body).await;
        assert_eq!(r.status, 200, "{name}: {:?}", r.json);
    }
    let entries = inbox.entries();
    assert_eq!(entries.len(), names.len());
    for (entry, name) in entries.iter().zip(names) {
        assert_eq!(entry.kind, EventKind::PostReceive);
        assert_eq!(
            entry.delivery_id,
            body_digest(&fixture(name)),
            "plugin deliveries key on the body hash"
        );
        let Some(HookEvent::Push(push)) = &entry.event else { panic!("{name}: no push") };
        assert_eq!(push.format, PayloadFormat::PostReceivePlugin);
    }
    // The same body again is the same delivery.
    let r = listener.post(&url(TOKEN), &[NO_CHECK], &fixture(names[0])).await;
    assert_eq!(r.json["status"], "duplicate");
    assert_eq!(inbox.len(), names.len());
}

#[tokio::test]
async fn wrong_missing_or_misplaced_tokens_are_401() {
    let (listener, inbox) = listener().await;
    let body = fixture("plugin-multi-ref.json");
    assert_eq!(listener.post(&url("guess"), &[NO_CHECK], &body).await.status, 401);
    assert_eq!(
        listener
            .post("/repo-syncer/repos/git.corp.example/SHOP/web-shop", &[NO_CHECK], &body)
            .await
            .status,
        401
    );
    assert_eq!(listener.post(&url(""), &[NO_CHECK], &body).await.status, 401);
    // The right token for another Bitbucket host is refused.
    let r = listener
        .post(
            &format!("/repo-syncer/repos/other.example/SHOP/web-shop?token={TOKEN}"),
            &[NO_CHECK],
            &body,
        )
        .await;
    assert_eq!(r.status, 401);
    // The webhook secret is not a plugin token.
    assert_eq!(listener.post(&url(SECRET), &[NO_CHECK], &body).await.status, 401);
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn stale_url_after_rename_still_records_the_payload_repository() {
    let (listener, inbox) = listener().await;
    let r = listener
        .post(
            &format!("/repo-syncer/repos/git.corp.example/OLD/old-name?token={TOKEN}"),
            &[NO_CHECK],
            &fixture("plugin-update-legacy-link.json"),
        )
        .await;
    assert_eq!(r.status, 200);
    let Some(HookEvent::Push(push)) = &inbox.entries()[0].event else { panic!("push") };
    assert_eq!((push.repository_id, push.repo_slug.as_str()), (412, "web-shop"));
}

#[tokio::test]
async fn cloud_style_body_on_the_plugin_route_is_400() {
    let (listener, inbox) = listener().await;
    let r =
        listener.post(&url(TOKEN), &[], &fixture("unsupported-moveworkforward-push.json")).await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("does not support"), "{}", r.message());
    assert!(inbox.is_empty());
}
