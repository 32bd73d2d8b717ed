//! Shared helpers: a seeded instance, plain-reqwest calls, and a webhook receiver.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use depwatch_fakebb::{Config, FakeBitbucket, Permission, RepoSpec};
use serde_json::Value;

/// A seeded fake plus an HTTP client and the admin token.
pub struct Env {
    pub fake: FakeBitbucket,
    pub http: reqwest::Client,
    pub token: String,
}

impl Env {
    /// `{base}/rest/api/1.0{path}`
    pub fn api(&self, path: &str) -> String {
        format!("{}/rest/api/1.0{}", self.fake.base_url(), path)
    }

    /// GET with the admin Bearer token; returns status, headers and JSON (Null when not JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        self.get_as(path, &format!("Bearer {}", self.token)).await
    }

    /// GET with an explicit `Authorization` value.
    pub async fn get_as(
        &self,
        path: &str,
        auth: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let resp = self
            .http
            .get(self.api(path))
            .header("Authorization", auth)
            .send()
            .await
            .expect("request to the fake");
        let status = StatusCode::from_u16(resp.status().as_u16()).expect("status");
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, headers, json)
    }

    /// Sends a mutating request with `X-Atlassian-Token: no-check` and the admin token.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self
            .http
            .request(method, self.api(path))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("X-Atlassian-Token", "no-check");
        if let Some(b) = body {
            rb = rb
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(&b).expect("json"));
        }
        let resp = rb.send().await.expect("request to the fake");
        let status = StatusCode::from_u16(resp.status().as_u16()).expect("status");
        let bytes = resp.bytes().await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Starts a fake with `config` and seeds: admin (sysadmin), jdoe (no grants), project SHOP
/// with repo `web` (lockfiles, CRLF file), project OPS with repo `tools`.
pub async fn seeded(config: Config) -> Env {
    let fake = FakeBitbucket::start(config).await.expect("start fake");
    fake.add_user("admin", Some("admin-pw"), true).expect("admin");
    fake.add_user("jdoe", Some("jdoe-pw"), false).expect("jdoe");
    let token = fake.add_personal_token("admin", Permission::Admin).expect("token");
    fake.add_project("SHOP", "Shop").expect("project");
    fake.add_project("OPS", "Operations").expect("project");
    fake.add_repo(
        RepoSpec::new("SHOP", "web")
            .name("Web Shop")
            .file(
                "Cargo.lock",
                "version = 3\n\n[[package]]\nname = \"time\"\nversion = \"0.1.43\"\n",
            )
            .file("web/package.json", "{}\n")
            .file("web/package-lock.json", "{\"lockfileVersion\": 3}\n")
            .file("docs/crlf.txt", "line one\r\nline two\r\n"),
    )
    .expect("repo");
    fake.add_repo(RepoSpec::new("OPS", "tools").file("requirements.txt", "jinja2==2.4.1\n"))
        .expect("repo");
    Env {
        fake,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        token,
    }
}

/// One request received by [`Receiver`].
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A tiny HTTP receiver on 127.0.0.1:0 that records every request and answers `status`.
pub struct Receiver {
    pub base: String,
    pub hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("lock").clone()
    }
}

#[derive(Clone)]
struct RecvState {
    hits: Arc<Mutex<Vec<Hit>>>,
    status: StatusCode,
}

async fn record(
    State(st): State<RecvState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    st.hits.lock().expect("lock").push(Hit { path: uri.path().to_owned(), headers, body });
    st.status
}

pub async fn receiver(status: StatusCode) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(Mutex::new(Vec::new()));
    let app =
        axum::Router::new().fallback(record).with_state(RecvState { hits: hits.clone(), status });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { base: format!("http://{addr}"), hits }
}

/// Header value as text.
pub fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}
