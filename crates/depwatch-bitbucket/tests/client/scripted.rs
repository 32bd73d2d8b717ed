//! A tiny scripted HTTP server on 127.0.0.1:0: each test supplies a handler closure and reads
//! back every request it received.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::Response;
use depwatch_bitbucket::{Auth, Client, InstanceConfig, RetryPolicy};

/// One received request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Raw path as received (percent-encoding intact).
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Decoded query pairs.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn query_value(&self, key: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

type Handler = dyn Fn(&Seen, usize) -> Response + Send + Sync;

#[derive(Clone)]
struct Shared {
    handler: Arc<Handler>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A running scripted server.
pub struct Scripted {
    pub addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    /// Starts a server; `handler(request, index)` gets the request and its 0-based number.
    pub async fn start(handler: impl Fn(&Seen, usize) -> Response + Send + Sync + 'static) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { handler: Arc::new(handler), seen: seen.clone() };
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Scripted { addr, seen, _task: task }
    }

    /// `http://127.0.0.1:PORT{ctx}`.
    pub fn base(&self, ctx: &str) -> String {
        format!("http://{}{}", self.addr, ctx)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// A client for `{base}{ctx}` with fast retries and no client-side pacing.
    pub fn client(&self, ctx: &str, auth: Auth) -> Client {
        Client::new(config(&self.base(ctx), auth)).unwrap()
    }
}

/// Test configuration: fast retries, no pacing.
pub fn config(base: &str, auth: Auth) -> InstanceConfig {
    let mut cfg = InstanceConfig::new(base, auth).unwrap();
    cfg.retry = RetryPolicy::fast_for_tests();
    cfg.max_requests_per_second = None;
    cfg.timeouts.request = std::time::Duration::from_secs(10);
    cfg
}

async fn handle(State(shared): State<Shared>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    let index = {
        let mut all = shared.seen.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    (shared.handler)(&seen, index)
}

/// A response with a status, content type, body and extra headers.
pub fn reply(
    status: u16,
    content_type: &str,
    body: impl Into<Body>,
    headers: &[(&str, &str)],
) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap();
    if !content_type.is_empty() {
        resp.headers_mut().insert("content-type", HeaderValue::from_str(content_type).unwrap());
    }
    for (k, v) in headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    resp
}

pub fn json(status: u16, value: serde_json::Value) -> Response {
    reply(status, "application/json;charset=UTF-8", value.to_string(), &[])
}

pub fn errors(status: u16, message: &str, exception: &str) -> Response {
    json(
        status,
        serde_json::json!({"errors":[{"context":null,"message":message,"exceptionName":exception}]}),
    )
}

pub fn html(status: u16, title: &str) -> Response {
    reply(
        status,
        "text/html",
        format!(
            "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{}</p></body></html>",
            "proxy noise ".repeat(200)
        ),
        &[],
    )
}

pub fn app_props() -> Response {
    json(
        200,
        serde_json::json!({"version":"9.4.2","buildNumber":"9004002","buildDate":"1700000000000","displayName":"Bitbucket"}),
    )
}

pub fn repo_json(id: u64, project: &str, slug: &str) -> serde_json::Value {
    serde_json::json!({
        "slug": slug, "id": id, "name": slug, "scmId": "git", "state": "AVAILABLE",
        "statusMessage": "Available", "forkable": true, "archived": false, "public": false,
        "project": {"key": project, "id": 1, "name": project, "public": false, "type": "NORMAL"},
        "links": {"clone": [], "self": []}
    })
}
