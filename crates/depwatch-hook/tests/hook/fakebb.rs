//! End to end with the fake Bitbucket Server: it registers our URLs through its REST API and
//! delivers real pushes (native webhook and Web Post Hooks plugin), built by an independent
//! implementation of the payloads.

use crate::harness::{request, Listener, Response};
use depwatch_bitbucket::webhook::{ChangeKind, HookEvent, PayloadFormat, PushEvent, RefKind};
use depwatch_fakebb::{
    CommitSpec, Config, FakeBitbucket, PayloadOptions, Permission, Push, RepoSpec, TimestampStyle,
    PLUGIN_HOOK_KEY,
};
use depwatch_hook::{
    EventKind, EveryRepository, HookConfig, InstanceConfig, InstanceId, MemoryInbox, Secret,
};
use serde_json::json;
use std::sync::Arc;

const SECRET: &str = "e2e-secret-5d0c9a";
const TOKEN: &str = "e2e-plugin-token";

struct Env {
    fake: FakeBitbucket,
    token: String,
    listener: Listener,
    inbox: Arc<MemoryInbox>,
}

impl Env {
    async fn start() -> Env {
        let fake = FakeBitbucket::start(Config::default()).await.unwrap();
        fake.add_user("admin", Some("admin-pw"), true).unwrap();
        let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
        fake.add_project("SHOP", "Shop").unwrap();
        fake.add_repo(RepoSpec::new("SHOP", "web").file("Cargo.lock", "version = 3\n")).unwrap();

        let mut inst = InstanceConfig::new(InstanceId::new("corp").unwrap());
        inst.webhook_secret = Some(Secret::new(SECRET));
        inst.plugin_token = Some(Secret::new(TOKEN));
        let inbox = Arc::new(MemoryInbox::new());
        let config = HookConfig { instances: vec![inst], ..HookConfig::default() };
        let listener = Listener::start_with(config, inbox.clone(), Arc::new(EveryRepository)).await;
        Env { fake, token, listener, inbox }
    }

    /// A mutating REST call to the fake, with the admin token and the XSRF header.
    async fn rest(&self, method: &str, path: &str, body: serde_json::Value) -> Response {
        let auth = format!("Bearer {}", self.token);
        let path = format!("{}/rest/api/1.0{path}", self.fake.context_path());
        let body = body.to_string();
        request(
            self.fake.addr(),
            method,
            &path,
            &[
                ("Authorization", &auth),
                ("X-Atlassian-Token", "no-check"),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
        .await
    }

    async fn register_webhook(&self) -> u64 {
        let url = format!("http://{}/webhook", self.listener.addr);
        let r = self
            .rest(
                "POST",
                "/projects/SHOP/repos/web/webhooks",
                json!({"name": "depwatch", "url": url, "active": true,
                       "events": ["repo:refs_changed", "repo:modified"],
                       "configuration": {"secret": SECRET}}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        r.json["id"].as_u64().unwrap()
    }

    async fn push(&self, push: Push) -> PushEvent {
        let before = self.inbox.len();
        let report = self.fake.push("SHOP", "web", push).await.unwrap();
        for d in &report.deliveries {
            assert_eq!(d.status, Some(200), "delivery {} to {} failed: {:?}", d.id, d.url, d.error);
        }
        let entries = self.inbox.entries();
        assert_eq!(entries.len(), before + report.deliveries.len());
        let last = entries.last().unwrap();
        let Some(HookEvent::Push(event)) = &last.event else { panic!("not a push: {last:?}") };
        event.clone()
    }
}

fn native_only(options: PayloadOptions) -> PayloadOptions {
    PayloadOptions { plugin: false, ..options }
}

#[tokio::test]
async fn native_webhook_pushes_from_the_fake_are_accepted() {
    let env = Env::start().await;
    let hook_id = env.register_webhook().await;

    // Ping from the server's "Test connection": 200, nothing stored.
    let ping = env.fake.ping_webhook(hook_id).await.unwrap();
    assert_eq!(ping.status, Some(200));
    assert!(env.inbox.is_empty());

    let update = env
        .push(Push::new().commit(CommitSpec::on("main").file("Cargo.lock", "version = 4\n")))
        .await;
    assert_eq!(update.format, PayloadFormat::NativeWebhook);
    assert_eq!((update.project_key.as_str(), update.repo_slug.as_str()), ("SHOP", "web"));
    let change = &update.ref_changes[0];
    assert_eq!((change.ref_id.as_str(), change.change), ("refs/heads/main", ChangeKind::Update));
    assert!(change.from.is_some() && change.to.is_some());
    assert!(update.commits.iter().any(|c| Some(&c.id) == change.to.as_ref()));

    // Branch creation: zero fromHash; DC 10.3 ISO timestamps and a +0100 date.
    let add = env
        .push(Push::new().create_branch("feature/x", None).payload(native_only(PayloadOptions {
            timestamps: TimestampStyle::Iso,
            date_offset_minutes: 60,
            ..PayloadOptions::default()
        })))
        .await;
    assert_eq!(add.ref_changes[0].change, ChangeKind::Add);
    assert!(add.ref_changes[0].from.is_none());
    assert!(add.occurred_at.is_some());

    // Annotated tag: the pushed hash is the tag object, flagged for peeling.
    let tag = env.push(Push::new().create_tag("v1.0.0", None, Some("release 1.0.0"))).await;
    let t = &tag.ref_changes[0];
    assert_eq!((t.kind, t.peel_required), (RefKind::Tag, true), "{tag:?}");

    // Delete: zero toHash.
    let del = env.push(Push::new().delete_branch("feature/x")).await;
    assert_eq!(del.ref_changes[0].change, ChangeKind::Delete);
    assert!(del.ref_changes[0].to.is_none());

    // Empty changes are accepted.
    let empty = env
        .push(Push::new().commit(CommitSpec::on("main").file("b.txt", "b")).payload(native_only(
            PayloadOptions { empty_changes: true, ..PayloadOptions::default() },
        )))
        .await;
    assert!(empty.ref_changes.is_empty());

    // Every stored delivery is keyed by the fake's X-Request-Id.
    let ids: Vec<_> = env.fake.deliveries().into_iter().filter_map(|d| d.request_id).collect();
    let stored: Vec<_> = env.inbox.entries().into_iter().map(|e| e.delivery_id).collect();
    for id in &stored {
        assert!(ids.contains(id), "{id} was not sent by the fake");
    }
}

#[tokio::test]
async fn a_webhook_registered_with_another_secret_is_refused() {
    let env = Env::start().await;
    let url = format!("http://{}/webhook", env.listener.addr);
    let r = env
        .rest(
            "POST",
            "/projects/SHOP/repos/web/webhooks",
            json!({"name": "stale", "url": url, "active": true, "events": ["repo:refs_changed"],
                   "configuration": {"secret": "an-old-secret"}}),
        )
        .await;
    assert_eq!(r.status, 200);
    let report = env
        .fake
        .push("SHOP", "web", Push::new().commit(CommitSpec::on("main").file("c.txt", "c")))
        .await
        .unwrap();
    assert_eq!(report.deliveries.len(), 1);
    assert_eq!(report.deliveries[0].status, Some(401));
    assert!(env.inbox.is_empty());
}

#[tokio::test]
async fn plugin_deliveries_from_the_fake_are_accepted() {
    let env = Env::start().await;
    env.fake.set_plugin_installed(true);
    let url = format!(
        "http://{}/repo-syncer/repos/git.corp.example/SHOP/web?token={TOKEN}",
        env.listener.addr
    );
    let r = env
        .rest(
            "PUT",
            &format!("/projects/SHOP/repos/web/settings/hooks/{PLUGIN_HOOK_KEY}/enabled"),
            json!({"hook-url-0": url}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let event = env
        .push(
            Push::new()
                .commit(CommitSpec::on("main").file("Cargo.lock", "version = 4\n"))
                .create_branch("release/1.x", None),
        )
        .await;
    assert_eq!(event.format, PayloadFormat::PostReceivePlugin);
    assert_eq!(env.inbox.entries()[0].kind, EventKind::PostReceive);
    let refs: Vec<_> = event.ref_changes.iter().map(|c| (c.ref_id.as_str(), c.change)).collect();
    assert!(refs.contains(&("refs/heads/main", ChangeKind::Update)), "{refs:?}");
    assert!(refs.contains(&("refs/heads/release/1.x", ChangeKind::Add)), "{refs:?}");
}
