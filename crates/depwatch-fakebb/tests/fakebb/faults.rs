//! Injected faults, the token bucket, latency and the HTTP control API.

use axum::http::StatusCode;
use depwatch_fakebb::{Config, Fault, RateLimit};
use serde_json::json;

use crate::common::seeded;

#[tokio::test]
async fn injected_429_then_500_then_success() {
    let env = seeded(Config::default()).await;
    env.fake.inject_fault(Fault {
        path_prefix: "/rest/api/1.0/projects".to_owned(),
        status: 429,
        count: 2,
        retry_after: Some(3),
    });
    for _ in 0..2 {
        let (s, h, body) = env.get("/projects").await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(h["retry-after"], "3");
        assert!(body["errors"].is_array());
    }
    // Other paths are untouched.
    let (s, _, _) = env.get("/repos").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = env.get("/projects").await;
    assert_eq!(s, StatusCode::OK);

    // The same through the control API over HTTP.
    let resp = env
        .http
        .post(format!("{}/_control/faults", env.fake.base_url()))
        .header("Content-Type", "application/json")
        .body(json!({"pathPrefix": "/rest/api/1.0/repos", "status": 500, "count": 1}).to_string())
        .send()
        .await
        .expect("control");
    assert_eq!(resp.status().as_u16(), 200);
    let (s, _, _) = env.get("/repos").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    let (s, _, _) = env.get("/repos").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn token_bucket_answers_429_with_retry_after() {
    let env = seeded(Config {
        rate_limit: Some(RateLimit { capacity: 3, refill_per_sec: 0.01 }),
        ..Config::default()
    })
    .await;
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..4 {
        let (s, h, _) = env.get("/projects").await;
        statuses.push(s.as_u16());
        if s == StatusCode::TOO_MANY_REQUESTS {
            retry = h.get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    let secs: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!(secs >= 1);
    // application-properties without credentials is not rate limited.
    let resp = env.http.get(env.api("/application-properties")).send().await.expect("send");
    assert_eq!(resp.status().as_u16(), 200);
    env.fake.set_rate_limit(None);
    let (s, _, _) = env.get("/projects").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn control_api_seeds_and_records() {
    let env = seeded(Config::default()).await;
    let base = env.fake.base_url().to_owned();
    let post = |path: &'static str, body: serde_json::Value| {
        let http = env.http.clone();
        let url = format!("{base}/_control/{path}");
        async move {
            let r = http
                .post(url)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .expect("control");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
    };
    assert_eq!(post("projects", json!({"key": "NEW", "name": "New"})).await.0, 200);
    let (s, body) =
        post("repos", json!({"project": "NEW", "slug": "svc", "files": {"go.mod": "module x\n"}}))
            .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = post("projects", json!({"key": "1BAD", "name": "x"})).await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("project key"));
    let (s, _, files) = env.get("/projects/NEW/repos/svc/files").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(files["values"], json!(["go.mod"]));
    let resp = env
        .http
        .put(format!("{base}/_control/latency"))
        .body(json!({"ms": 5}).to_string())
        .send()
        .await
        .expect("latency");
    assert_eq!(resp.status().as_u16(), 200);
    let requests = env.fake.requests();
    assert!(requests
        .iter()
        .any(|r| r.path.ends_with("/projects/NEW/repos/svc/files") && r.status == 200));
    assert!(requests.iter().all(|r| !r.path.contains("/_control/")));
}
