//! Native webhooks: signatures, event keys, every payload variant, durability rules.

use crate::harness::{
    config, fixture, fixture_dir, instance, request, KnownRepos, Listener, REFS_CHANGED, SECRET,
};
use depwatch_bitbucket::webhook::HookEvent;
use depwatch_hook::signature::{body_digest, sign};
use depwatch_hook::{
    AcceptOutcome, Disposition, EventKind, EveryRepository, Inbox, InboxEntry, InboxError,
    MemoryInbox, StoreInbox,
};
use depwatch_store::{InboxState, Store};
use std::sync::Arc;

async fn signed_listener() -> (Listener, Arc<MemoryInbox>) {
    let inbox = Arc::new(MemoryInbox::new());
    let listener =
        Listener::start(config(vec![instance("corp", Some(SECRET))]), inbox.clone()).await;
    (listener, inbox)
}

#[tokio::test]
async fn healthz_answers() {
    let (listener, _) = signed_listener().await;
    let r = request(listener.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ok")));
    let r = request(listener.addr, "GET", "/nope", &[], b"").await;
    assert_eq!(r.status, 404);
    assert!(r.message().contains("/webhook"), "404 says where to post: {}", r.message());
}

#[tokio::test]
async fn every_native_fixture_is_accepted_and_normalized() {
    let (listener, inbox) = signed_listener().await;
    let mut names: Vec<_> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("native-"))
        .collect();
    names.sort();
    assert!(names.len() >= 9, "fixtures: {names:?}");
    for (i, name) in names.iter().enumerate() {
        let body = fixture(name);
        let r = listener.deliver(REFS_CHANGED, &format!("req-{i}"), Some(SECRET), &body).await;
        assert_eq!(r.status, 200, "{name}: {:?}", r.json);
        assert_eq!(r.json["status"], "accepted", "{name}");
    }
    let entries = inbox.entries();
    assert_eq!(entries.len(), names.len());
    for (entry, name) in entries.iter().zip(&names) {
        assert_eq!(entry.kind, EventKind::RefsChanged);
        assert_eq!(entry.disposition, Disposition::Pending, "{name}");
        assert_eq!(entry.body, fixture(name), "raw bytes are kept exactly");
        let Some(HookEvent::Push(push)) = &entry.event else { panic!("{name}: no push event") };
        let expected = depwatch_bitbucket::webhook::normalize_refs_changed(&fixture(name)).unwrap();
        assert_eq!(push, &expected, "{name}: the stored event is the normalized payload");
    }
}

#[tokio::test]
async fn bad_missing_and_foreign_signatures_are_401_and_store_nothing() {
    let (listener, inbox) = signed_listener().await;
    let body = fixture("native-9x-update.json");
    let wrong = listener.deliver(REFS_CHANGED, "r1", Some("another-secret"), &body).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.message().contains("does not match"), "{}", wrong.message());
    let missing = listener.deliver(REFS_CHANGED, "r2", None, &body).await;
    assert_eq!(missing.status, 401);
    assert!(missing.message().contains("missing"), "{}", missing.message());

    // A signature over other bytes (one byte changed) fails: verification is on the raw body.
    let mut tampered = body.clone();
    tampered.push(b'\n');
    let sig = sign(SECRET.as_bytes(), &body);
    let r = listener
        .post(
            "/webhook",
            &[("X-Event-Key", REFS_CHANGED), ("X-Request-Id", "r3"), ("X-Hub-Signature", &sig)],
            &tampered,
        )
        .await;
    assert_eq!(r.status, 401);

    // sha1 is refused even when correct for its algorithm family.
    let r = listener
        .post(
            "/webhook",
            &[
                ("X-Event-Key", REFS_CHANGED),
                ("X-Request-Id", "r4"),
                ("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567"),
            ],
            &body,
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.message().contains("only sha256"), "{}", r.message());
    assert!(inbox.is_empty(), "nothing may be stored without a valid signature");
}

#[tokio::test]
async fn signature_is_checked_before_parsing() {
    let (listener, inbox) = signed_listener().await;
    // Garbage with a bad signature is 401 (not 400): the body is never parsed.
    let r = listener.deliver(REFS_CHANGED, "g1", Some("nope"), b"{not json").await;
    assert_eq!(r.status, 401);
    // Garbage correctly signed is 400 with the parse error.
    let r = listener.deliver(REFS_CHANGED, "g2", Some(SECRET), b"{not json").await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("not valid JSON"), "{}", r.message());
    let r = listener.deliver(REFS_CHANGED, "g3", Some(SECRET), br#"{"repository":{}}"#).await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("repository"), "names the field: {}", r.message());
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn ping_is_unsigned_and_changes_nothing() {
    let (listener, inbox) = signed_listener().await;
    let r = listener.deliver("diagnostics:ping", "p1", None, &fixture("ping.json")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "ok");
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn other_event_keys_are_recorded_as_ignored() {
    let (listener, inbox) = signed_listener().await;
    let body = br#"{"eventKey":"pr:opened","pullRequest":{"id":1}}"#;
    let r = listener.deliver("pr:opened", "o1", Some(SECRET), body).await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ignored")));
    let entries = inbox.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind, EventKind::Unsubscribed("pr:opened".into()));
    assert!(
        matches!(&entries[0].disposition, Disposition::Ignored { reason } if reason.contains("pr:opened"))
    );
    // Still authenticated: an unsigned one is refused.
    assert_eq!(listener.deliver("pr:opened", "o2", None, body).await.status, 401);
}

#[tokio::test]
async fn repo_modified_is_recorded() {
    let (listener, inbox) = signed_listener().await;
    let r = listener
        .deliver("repo:modified", "m1", Some(SECRET), &fixture("repo-modified-move.json"))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let entries = inbox.entries();
    let Some(HookEvent::RepoModified(m)) = &entries[0].event else { panic!("not a rename") };
    assert_eq!((m.old.slug.as_str(), m.new.slug.as_str()), ("web-shop", "storefront"));
}

#[tokio::test]
async fn unknown_repository_is_202_and_recorded_as_ignored() {
    let inbox = Arc::new(MemoryInbox::new());
    let listener = Listener::start_with(
        config(vec![instance("corp", Some(SECRET))]),
        inbox.clone(),
        Arc::new(KnownRepos(vec![1])),
    )
    .await;
    let r =
        listener.deliver(REFS_CHANGED, "u1", Some(SECRET), &fixture("native-9x-update.json")).await;
    assert_eq!(r.status, 202);
    assert_eq!(r.json["status"], "ignored");
    assert!(r.message().contains("SHOP/web-shop"), "{}", r.message());
    let entries = inbox.entries();
    assert!(
        matches!(&entries[0].disposition, Disposition::Ignored { reason } if reason.contains("not monitored"))
    );
}

#[tokio::test]
async fn duplicate_delivery_is_acknowledged_and_stored_once() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let listener = Listener::start(
        config(vec![instance("corp", Some(SECRET))]),
        Arc::new(StoreInbox::new(store.clone())),
    )
    .await;
    let body = fixture("native-multi-ref.json");
    let first = listener.deliver(REFS_CHANGED, "dup-1", Some(SECRET), &body).await;
    let second = listener.deliver(REFS_CHANGED, "dup-1", Some(SECRET), &body).await;
    assert_eq!((first.status, first.json["status"].as_str()), (200, Some("accepted")));
    assert_eq!((second.status, second.json["status"].as_str()), (200, Some("duplicate")));
    let rows = store.inbox_list(None, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].delivery_id, "dup-1");
    assert_eq!(rows[0].state, InboxState::Pending);
    assert_eq!(rows[0].event_kind, "repo:refs_changed");
    let event: HookEvent = serde_json::from_str(rows[0].event_json.as_deref().unwrap()).unwrap();
    let HookEvent::Push(push) = event else { panic!("push expected") };
    assert_eq!(push.ref_changes.len(), 4, "every ref of a multi-ref push is kept");
    let claimed = store.inbox_claim_next(0).unwrap().unwrap();
    assert_eq!(claimed.body, body);
}

#[tokio::test]
async fn missing_request_id_falls_back_to_the_body_digest() {
    let (listener, inbox) = signed_listener().await;
    let body = fixture("native-branch-delete.json");
    let sig = sign(SECRET.as_bytes(), &body);
    let r = listener
        .post("/webhook", &[("X-Event-Key", REFS_CHANGED), ("X-Hub-Signature", &sig)], &body)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(inbox.entries()[0].delivery_id, body_digest(&body));
}

#[tokio::test]
async fn the_verifying_secret_identifies_the_instance() {
    let inbox = Arc::new(MemoryInbox::new());
    let listener = Listener::start(
        config(vec![instance("corp", Some(SECRET)), instance("lab", Some("lab-secret"))]),
        inbox.clone(),
    )
    .await;
    let body = fixture("native-branch-add.json");
    assert_eq!(listener.deliver(REFS_CHANGED, "a", Some("lab-secret"), &body).await.status, 200);
    assert_eq!(listener.deliver(REFS_CHANGED, "b", Some(SECRET), &body).await.status, 200);
    let ids: Vec<_> = inbox.entries().iter().map(|e| e.instance.to_string()).collect();
    assert_eq!(ids, ["lab", "corp"]);

    // On /webhook/{instance} only that instance's secret counts.
    let sig = sign(SECRET.as_bytes(), &body);
    let headers =
        [("X-Event-Key", REFS_CHANGED), ("X-Request-Id", "c"), ("X-Hub-Signature", sig.as_str())];
    assert_eq!(listener.post("/webhook/lab", &headers, &body).await.status, 401);
    assert_eq!(listener.post("/webhook/corp", &headers, &body).await.status, 200);
    let r = listener.post("/webhook/nobody", &headers, &body).await;
    assert_eq!(r.status, 404);
    assert_eq!(inbox.len(), 3);
}

#[tokio::test]
async fn an_instance_without_secret_accepts_unsigned_deliveries() {
    let inbox = Arc::new(MemoryInbox::new());
    let listener = Listener::start(config(vec![instance("corp", None)]), inbox.clone()).await;
    let r = listener.deliver(REFS_CHANGED, "n1", None, &fixture("native-5x-minimal.json")).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(inbox.len(), 1);
}

#[tokio::test]
async fn cloud_and_moveworkforward_are_400_with_a_clear_message() {
    let (listener, inbox) = signed_listener().await;
    let cloud = fixture("unsupported-cloud-repo-push.json");
    let r = listener
        .post("/webhook", &[("X-Event-Key", "repo:push"), ("X-Hook-UUID", "d3f2c1")], &cloud)
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.message().contains("Bitbucket Cloud") && r.message().contains("supports"),
        "{}",
        r.message()
    );

    let mwf = fixture("unsupported-moveworkforward-push.json");
    let r = listener
        .post("/webhook", &[("X-Event-Key", "repo:push"), ("X-Bitbucket-Type", "server")], &mwf)
        .await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("Moveworkforward"), "{}", r.message());

    // A Cloud-style body under a native key (signed, so it is parsed) is named too.
    let r = listener.deliver(REFS_CHANGED, "cs", Some(SECRET), &mwf).await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("push.changes"), "{}", r.message());
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn missing_event_key_is_400() {
    let (listener, _) = signed_listener().await;
    let r = listener
        .post("/webhook", &[("X-Atlassian-Token", "no-check")], &fixture("plugin-multi-ref.json"))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("/repo-syncer/repos/"), "{}", r.message());
}

struct BrokenInbox;

impl Inbox for BrokenInbox {
    fn accept(&self, _entry: InboxEntry) -> Result<AcceptOutcome, InboxError> {
        Err(InboxError::msg("disk full"))
    }
}

#[tokio::test]
async fn inbox_failure_is_503() {
    let listener = Listener::start_with(
        config(vec![instance("corp", Some(SECRET))]),
        Arc::new(BrokenInbox),
        Arc::new(EveryRepository),
    )
    .await;
    let r =
        listener.deliver(REFS_CHANGED, "f1", Some(SECRET), &fixture("native-9x-update.json")).await;
    assert_eq!(r.status, 503);
    assert!(!r.message().contains("disk full"), "internal errors stay in the log");
}

#[tokio::test]
async fn shutdown_stops_serve() {
    let (listener, _) = signed_listener().await;
    let addr = listener.addr;
    listener.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the port is released");
}
