//! Webhook CRUD, signed delivery, payload variants, test ping, and the post-receive plugin.

use axum::http::StatusCode;
use base64::Engine;
use depwatch_fakebb::{
    CommitSpec, Config, PayloadOptions, Push, TimestampStyle, PLUGIN_HOOK_KEY, ZERO_HASH,
};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::{header, receiver, seeded};

fn verify_hmac(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[tokio::test]
async fn webhook_crud() {
    let env = seeded(Config::default()).await;
    let hooks = "/projects/SHOP/repos/web/webhooks";
    let (s, created) = env
        .send(
            Method::POST,
            hooks,
            Some(json!({"name": "depwatch", "url": "http://127.0.0.1:9/hook", "active": true,
                        "events": ["repo:refs_changed", "repo:modified"],
                        "configuration": {"secret": "s3cret"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "create answers 200: {created}");
    let id = created["id"].as_u64().expect("id");
    assert_eq!(created["events"], json!(["repo:refs_changed", "repo:modified"]));
    assert!(created["createdDate"].is_i64());

    let (s, bad) = env
        .send(
            Method::POST,
            hooks,
            Some(json!({"name": "x", "url": "http://127.0.0.1:9/", "events": ["repo:push"]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(bad["errors"][0]["context"], "events");

    // jdoe has only write access: creating a hook needs REPO_ADMIN.
    env.fake.grant_project("jdoe", "SHOP", depwatch_fakebb::Permission::Write).expect("grant");
    let basic = base64::engine::general_purpose::STANDARD.encode("jdoe:jdoe-pw");
    let resp = env
        .http
        .post(env.api(hooks))
        .header("Authorization", format!("Basic {basic}"))
        .header("X-Atlassian-Token", "no-check")
        .header("Content-Type", "application/json")
        .body(
            json!({"name": "x", "url": "http://127.0.0.1:9/", "events": ["repo:refs_changed"]})
                .to_string(),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 401);

    let (s, updated) = env
        .send(
            Method::PUT,
            &format!("{hooks}/{id}"),
            Some(json!({"active": false, "name": "renamed"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(updated["active"], false);
    assert_eq!(updated["name"], "renamed");
    let (_, _, one) = env.get(&format!("{hooks}/{id}")).await;
    assert_eq!(one["name"], "renamed");
    for i in 0..3 {
        env.send(
            Method::POST,
            hooks,
            Some(json!({"name": format!("h{i}"), "url": "http://127.0.0.1:9/", "events": ["repo:refs_changed"]})),
        )
        .await;
    }
    let (_, _, page) = env.get(&format!("{hooks}?limit=2")).await;
    assert_eq!(page["size"], 2);
    assert_eq!(page["isLastPage"], false);
    let (s, _) = env.send(Method::DELETE, &format!("{hooks}/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = env.get(&format!("{hooks}/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn push_delivers_signed_refs_changed_to_repo_and_project_hooks() {
    let env = seeded(Config::default()).await;
    let recv = receiver(StatusCode::OK).await;
    let (_, repo_hook) = env
        .send(
            Method::POST,
            "/projects/SHOP/repos/web/webhooks",
            Some(
                json!({"name": "r", "url": format!("{}/hook/native/abc", recv.base),
                        "events": ["repo:refs_changed"], "configuration": {"secret": "topsecret"}}),
            ),
        )
        .await;
    let (s, _) = env
        .send(
            Method::POST,
            "/projects/SHOP/webhooks",
            Some(json!({"name": "p", "url": format!("{}/hook/project", recv.base),
                        "events": ["repo:refs_changed"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let before = env.fake.branch_head("SHOP", "web", "main").expect("head");
    let report = env
        .fake
        .push(
            "SHOP",
            "web",
            Push::new().actor("admin").commit(
                CommitSpec::on("main")
                    .author("jdoe")
                    .message("Pin time")
                    .file("Cargo.lock", "version = 3\n# changed\n"),
            ),
        )
        .await
        .expect("push");
    assert_eq!(report.deliveries.len(), 2);
    let hits = recv.hits();
    assert_eq!(hits.len(), 2);
    let native = hits.iter().find(|h| h.path == "/hook/native/abc").expect("repo hook hit");
    assert_eq!(header(&native.headers, "x-event-key"), Some("repo:refs_changed"));
    let rid = header(&native.headers, "x-request-id").expect("request id");
    assert!(uuid::Uuid::parse_str(rid).is_ok(), "{rid}");
    let sig = header(&native.headers, "x-hub-signature").expect("signature");
    assert!(verify_hmac("topsecret", &native.body, sig));
    assert!(!verify_hmac("wrong", &native.body, sig));
    let body: Value = serde_json::from_slice(&native.body).expect("json");
    assert_eq!(body["eventKey"], "repo:refs_changed");
    assert!(body["date"].as_str().is_some_and(|d| d.ends_with("+0000")));
    assert_eq!(body["changes"][0]["refId"], "refs/heads/main");
    assert_eq!(body["changes"][0]["type"], "UPDATE");
    assert_eq!(body["changes"][0]["fromHash"], before.as_str());
    assert_eq!(body["toCommit"]["message"], "Pin time");
    assert!(body["toCommit"]["authorTimestamp"].is_i64());
    assert_eq!(body["commits"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["repository"]["slug"], "web");
    assert!(body["repository"].get("defaultBranch").is_none());
    let project_hit = hits.iter().find(|h| h.path == "/hook/project").expect("project hook hit");
    assert!(project_hit.headers.get("x-hub-signature").is_none(), "no secret, no signature");
    assert_ne!(header(&project_hit.headers, "x-request-id"), Some(rid), "fresh id per delivery");

    // latest invocation is recorded.
    let id = repo_hook["id"].as_u64().expect("id");
    let (s, _, latest) = env.get(&format!("/projects/SHOP/repos/web/webhooks/{id}/latest")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(latest["result"]["outcome"], "SUCCESS");
    assert_eq!(latest["event"], "repo:refs_changed");
}

#[tokio::test]
async fn payload_variants_zero_hashes_tags_iso_and_empty_changes() {
    let env = seeded(Config::default()).await;
    let recv = receiver(StatusCode::OK).await;
    env.send(
        Method::POST,
        "/projects/SHOP/repos/web/webhooks",
        Some(json!({"name": "r", "url": format!("{}/h", recv.base), "events": ["repo:refs_changed"]})),
    )
    .await;
    let last_body = |recv: &crate::common::Receiver| -> Value {
        let hits = recv.hits();
        serde_json::from_slice(&hits.last().expect("hit").body).expect("json")
    };
    // Multi-ref push: new branch (ADD) + annotated tag, ISO timestamps, offset +0100.
    env.fake
        .push(
            "SHOP",
            "web",
            Push::new()
                .create_branch("feature/x", Some("main"))
                .create_tag("v2", Some("main"), Some("annotated"))
                .payload(PayloadOptions {
                    timestamps: TimestampStyle::Iso,
                    date_offset_minutes: 60,
                    ..PayloadOptions::default()
                }),
        )
        .await
        .expect("push");
    let body = last_body(&recv);
    let changes = body["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|c| c["type"] == "ADD" && c["fromHash"] == ZERO_HASH));
    let tag = changes.iter().find(|c| c["ref"]["type"] == "TAG").expect("tag change");
    let head = env.fake.branch_head("SHOP", "web", "main").expect("head");
    assert_ne!(tag["toHash"], head.as_str(), "annotated tag: toHash is the tag object");
    assert!(body["date"].as_str().is_some_and(|d| d.ends_with("+0100")));
    assert!(body["toCommit"]["authorTimestamp"].as_str().is_some_and(|t| t.ends_with('Z')));

    // DELETE: zero toHash, no toCommit/commits.
    env.fake.push("SHOP", "web", Push::new().delete_branch("feature/x")).await.expect("push");
    let body = last_body(&recv);
    assert_eq!(body["changes"][0]["type"], "DELETE");
    assert_eq!(body["changes"][0]["toHash"], ZERO_HASH);
    assert!(body.get("toCommit").is_none());

    // Without toCommit/commits and with `changes: []`.
    env.fake
        .push(
            "SHOP",
            "web",
            Push::new().commit(CommitSpec::on("main").file("x.txt", "x")).payload(PayloadOptions {
                include_to_commit: false,
                include_commits: false,
                empty_changes: true,
                ..PayloadOptions::default()
            }),
        )
        .await
        .expect("push");
    let body = last_body(&recv);
    assert_eq!(body["changes"], json!([]));
    assert!(body.get("toCommit").is_none() && body.get("commits").is_none());
}

#[tokio::test]
async fn webhook_test_endpoint_sends_unsigned_ping() {
    let env = seeded(Config::default()).await;
    let recv = receiver(StatusCode::OK).await;
    let url = format!("{}/ping-me", recv.base);
    let (s, result) = env
        .send(
            Method::POST,
            &format!(
                "/projects/SHOP/repos/web/webhooks/test?url={}",
                depwatch_fakebb::oauth_percent_encode(&url)
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(result["response"]["status"], 200);
    let hits = recv.hits();
    assert_eq!(hits.len(), 1);
    let hit = hits.first().expect("hit");
    assert_eq!(header(&hit.headers, "x-event-key"), Some("diagnostics:ping"));
    assert!(hit.headers.get("x-hub-signature").is_none());
    assert_eq!(&hit.body[..], br#"{"test":true}"#);
    // An unreachable URL reports the failure instead of a status.
    let (s, result) = env
        .send(
            Method::POST,
            "/projects/SHOP/repos/web/webhooks/test?url=http%3A%2F%2F127.0.0.1%3A9%2Fnothing",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(result["response"].is_null());
    assert!(result["exception"]["message"].is_string());
}

#[tokio::test]
async fn plugin_hook_settings_and_delivery() {
    let env = seeded(Config::default()).await;
    let recv = receiver(StatusCode::OK).await;
    let base = format!("/projects/SHOP/repos/web/settings/hooks/{PLUGIN_HOOK_KEY}");
    let (s, _, hook) = env.get(&base).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(hook["enabled"], false);
    assert_eq!(hook["details"]["type"], "POST_RECEIVE");
    let (s, _, _) = env.get(&format!("{base}/settings")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, enabled) = env
        .send(
            Method::PUT,
            &format!("{base}/enabled"),
            Some(json!({"hook-url-0": format!("{}/hook/prh/tok0", recv.base), "hook-url-3": format!("{}/hook/prh/tok3", recv.base)})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["configured"], true);
    let (_, _, settings) = env.get(&format!("{base}/settings")).await;
    assert!(settings["hook-url-0"].as_str().is_some_and(|u| u.ends_with("/tok0")));

    let report = env
        .fake
        .push(
            "SHOP",
            "web",
            Push::new().commit(CommitSpec::on("main").file("a.txt", "a\n").message("add a")),
        )
        .await
        .expect("push");
    assert_eq!(report.deliveries.len(), 2);
    let hits = recv.hits();
    assert_eq!(hits.len(), 2);
    for hit in &hits {
        assert_eq!(header(&hit.headers, "x-atlassian-token"), Some("no-check"));
        assert!(hit.headers.get("x-event-key").is_none());
        assert!(hit.headers.get("x-hub-signature").is_none());
        let body: Value = serde_json::from_slice(&hit.body).expect("json");
        assert_eq!(body["refChanges"][0]["refId"], "refs/heads/main");
        assert!(body["refChanges"][0].get("ref").is_none());
        assert_eq!(body["changesets"]["values"][0]["toCommit"]["message"], "add a");
        assert_eq!(
            body["changesets"]["values"][0]["changes"]["values"][0]["path"]["toString"],
            "a.txt"
        );
    }

    // Disable: no more deliveries.
    let (s, disabled) = env.send(Method::DELETE, &format!("{base}/enabled"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(disabled["enabled"], false);
    env.fake
        .push("SHOP", "web", Push::new().commit(CommitSpec::on("main").file("b.txt", "b")))
        .await
        .expect("push");
    assert_eq!(recv.hits().len(), 2);

    // Not installed → 404; unknown hook key → 404.
    let (s, _, _) = env.get("/projects/SHOP/repos/web/settings/hooks/com.example:other").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    env.fake.set_plugin_installed(false);
    let (s, _, err) = env.get(&base).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(err["errors"][0]["exceptionName"].is_string());
}

#[tokio::test]
async fn rename_delivers_repo_modified_and_ping_via_control() {
    let env = seeded(Config::default()).await;
    let recv = receiver(StatusCode::OK).await;
    let (_, hook) = env
        .send(
            Method::POST,
            "/projects/SHOP/repos/web/webhooks",
            Some(json!({"name": "r", "url": format!("{}/h", recv.base),
                        "events": ["repo:refs_changed", "repo:modified"],
                        "configuration": {"secret": "k"}})),
        )
        .await;
    let id_before = env.get("/projects/SHOP/repos/web").await.2["id"].clone();
    let deliveries =
        env.fake.rename_repo("SHOP", "web", "web-shop", Some("Web Shop 2")).await.expect("rename");
    assert_eq!(deliveries.len(), 1);
    let hit = recv.hits().pop().expect("hit");
    assert_eq!(header(&hit.headers, "x-event-key"), Some("repo:modified"));
    assert!(verify_hmac("k", &hit.body, header(&hit.headers, "x-hub-signature").expect("sig")));
    let body: Value = serde_json::from_slice(&hit.body).expect("json");
    assert_eq!(body["old"]["slug"], "web");
    assert_eq!(body["new"]["slug"], "web-shop");
    assert_eq!(body["new"]["id"], id_before);
    let (s, _, renamed) = env.get("/projects/SHOP/repos/web-shop").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(renamed["name"], "Web Shop 2");
    let (s, _, _) = env.get("/projects/SHOP/repos/web").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Ping over the control API: unsigned even though the hook has a secret.
    let hook_id = hook["id"].as_u64().expect("id");
    let resp = env
        .http
        .post(format!("{}/_control/webhooks/{hook_id}/ping", env.fake.base_url()))
        .send()
        .await
        .expect("ping");
    assert_eq!(resp.status().as_u16(), 200);
    let hit = recv.hits().pop().expect("hit");
    assert_eq!(header(&hit.headers, "x-event-key"), Some("diagnostics:ping"));
    assert!(hit.headers.get("x-hub-signature").is_none());

    // The request log never keeps Bearer/Basic secrets.
    let logged = env.fake.requests();
    let auth: Vec<&str> = logged
        .iter()
        .flat_map(|r| r.headers.iter())
        .filter(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(!auth.is_empty());
    assert!(auth.iter().all(|v| *v == "Bearer <redacted>"), "{auth:?}");
}

#[tokio::test]
async fn circuit_breaker_mutes_a_failing_hook_until_backoff_passes() {
    let env = seeded(Config { circuit_breaker: true, ..Config::default() }).await;
    let failing = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    env.send(
        Method::POST,
        "/projects/SHOP/repos/web/webhooks",
        Some(json!({"name": "f", "url": format!("{}/f", failing.base), "events": ["repo:refs_changed"]})),
    )
    .await;
    let push = |n: usize| Push::new().commit(CommitSpec::on("main").file("n.txt", format!("{n}")));
    for n in 0..5 {
        let report = env.fake.push("SHOP", "web", push(n)).await.expect("push");
        assert_eq!(report.deliveries.len(), 1);
        assert_eq!(report.deliveries[0].status, Some(500));
    }
    let report = env.fake.push("SHOP", "web", push(5)).await.expect("push");
    assert!(report.deliveries.is_empty(), "breaker open after 5 consecutive failures");
    env.fake.set_clock_skew(11);
    let report = env.fake.push("SHOP", "web", push(6)).await.expect("push");
    assert_eq!(report.deliveries.len(), 1, "delivered again once the 10 s backoff passed");
    assert_eq!(failing.hits().len(), 6);
}

#[tokio::test]
async fn webhooks_seeded_from_rust_api() {
    let env = seeded(Config::default()).await;
    let recv = receiver(StatusCode::OK).await;
    let repo_hook = env
        .fake
        .add_repo_webhook("OPS", "tools", &format!("{}/r", recv.base), Some("s"))
        .expect("hook");
    env.fake.add_project_webhook("ops", &format!("{}/p", recv.base), None).expect("hook");
    assert!(env.fake.add_project_webhook("OPS", "ftp://x", None).is_err());
    let (_, _, listed) = env.get("/projects/OPS/repos/tools/webhooks").await;
    assert_eq!(listed["values"][0]["id"], repo_hook);
    let report = env
        .fake
        .push("OPS", "tools", Push::new().commit(CommitSpec::on("main").file("x", "y")))
        .await
        .expect("push");
    assert_eq!(report.deliveries.len(), 2);
    let signed = recv.hits().into_iter().find(|h| h.path == "/r").expect("repo hook hit");
    assert!(verify_hmac(
        "s",
        &signed.body,
        header(&signed.headers, "x-hub-signature").expect("sig")
    ));
}
