//! Golden JSON shapes (insta) for what clients parse: repository, paged envelope, errors,
//! `repo:refs_changed`, the plugin payload and an OAuth problem. Volatile values (hashes,
//! timestamps, the port) are normalised so the snapshots only change when a shape does.

use axum::http::StatusCode;
use depwatch_fakebb::{CommitSpec, Config, Push, PLUGIN_HOOK_KEY};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{receiver, seeded};

const TIME_KEYS: &[&str] =
    &["authorTimestamp", "committerTimestamp", "createdDate", "updatedDate", "date"];

/// Replaces every run of exactly 40 hex digits inside a longer string (commit links).
fn mask_hashes(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if run == 40 {
            out.push_str("<sha>");
            i += run;
        } else if run > 0 {
            out.push_str(&s[i..i + run]);
            i += run;
        } else {
            let ch = s[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn normalize(v: &mut Value, port: u16) {
    match v {
        Value::String(s) => {
            if s.len() == 40
                && s.bytes().all(|b| b.is_ascii_hexdigit())
                && s != depwatch_fakebb::ZERO_HASH
            {
                *s = "<sha>".to_owned();
            } else if s.len() == 11 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                *s = "<short-sha>".to_owned();
            } else {
                *s = mask_hashes(&s.replace(&format!("127.0.0.1:{port}"), "127.0.0.1:<port>"));
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| normalize(x, port)),
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if TIME_KEYS.contains(&k.as_str()) && !x.is_null() {
                    *x = json!("<time>");
                } else {
                    normalize(x, port);
                }
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn golden_shapes() {
    let env = seeded(Config::default()).await;
    let port = env.fake.addr().port();
    let norm = |mut v: Value| {
        normalize(&mut v, port);
        v
    };
    let (_, _, repo) = env.get("/projects/SHOP/repos/web").await;
    insta::assert_json_snapshot!("repository", norm(repo));
    let (_, _, page) = env.get("/projects/SHOP/repos/web/files?limit=2").await;
    insta::assert_json_snapshot!("files_page", norm(page));
    let (_, _, err) = env.get("/projects/SHOP/repos/nope").await;
    insta::assert_json_snapshot!("no_such_repo", norm(err));

    let recv = receiver(StatusCode::OK).await;
    env.send(
        Method::POST,
        "/projects/SHOP/repos/web/webhooks",
        Some(json!({"name": "n", "url": format!("{}/n", recv.base), "events": ["repo:refs_changed"]})),
    )
    .await;
    env.send(
        Method::PUT,
        &format!("/projects/SHOP/repos/web/settings/hooks/{PLUGIN_HOOK_KEY}/enabled"),
        Some(json!({"hook-url-0": format!("{}/p", recv.base)})),
    )
    .await;
    env.fake
        .push(
            "SHOP",
            "web",
            Push::new().actor("admin").commit(
                CommitSpec::on("main")
                    .author("jdoe")
                    .message("Bump time")
                    .at(1_741_940_813_000)
                    .file("Cargo.lock", "version = 3\n"),
            ),
        )
        .await
        .expect("push");
    let hits = recv.hits();
    let body = |path: &str| -> Value {
        let hit = hits.iter().find(|h| h.path == path).expect("delivery");
        serde_json::from_slice(&hit.body).expect("json")
    };
    insta::assert_json_snapshot!("refs_changed", norm(body("/n")));
    insta::assert_json_snapshot!("plugin_payload", norm(body("/p")));

    let resp = env
        .http
        .post(format!("{}/plugins/servlet/oauth/request-token", env.fake.base_url()))
        .header("Authorization", "OAuth oauth_consumer_key=\"nobody\"")
        .send()
        .await
        .expect("send");
    let www = resp.headers()["www-authenticate"].to_str().expect("header").to_owned();
    let text = resp.text().await.expect("text");
    insta::assert_json_snapshot!(
        "oauth_parameter_absent",
        norm(json!({ "www-authenticate": www, "body": text }))
    );
}
