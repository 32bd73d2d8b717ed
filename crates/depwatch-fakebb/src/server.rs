//! The HTTP pipeline: context path, latency, injected faults, XSRF, auth, rate limiting,
//! routing, identity headers and the request log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::auth::{authenticate, rate_limit, Principal};
use crate::request::{error, html, html_not_found, json, text, Req};
use crate::rest::Routed;
use crate::state::{RecordedRequest, Store};

/// Largest request body accepted.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// State shared by the server task and the test handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: Arc<Mutex<Store>>,
    pub client: reqwest::Client,
    pub context: String,
    request_seq: AtomicU64,
}

impl Shared {
    pub(crate) fn new(store: Store, client: reqwest::Client) -> Self {
        let context = store.context.clone();
        Shared {
            store: Arc::new(Mutex::new(store)),
            client,
            context,
            request_seq: AtomicU64::new(1),
        }
    }

    /// Locks the store; a panic elsewhere must not wedge the fake, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        match self.store.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Keeps the scheme of Basic/Bearer credentials and drops the secret; OAuth headers carry no
/// secret (RSA-SHA1 signatures are public) and are kept whole for signature debugging.
fn redact(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _))
            if scheme.eq_ignore_ascii_case("basic") || scheme.eq_ignore_ascii_case("bearer") =>
        {
            format!("{scheme} <redacted>")
        }
        _ => value.to_owned(),
    }
}

/// Axum fallback handler: every request comes through here.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large",
                "com.atlassian.bitbucket.validation.ArgumentValidationException",
            )
        }
    };
    let raw_path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().map(str::to_owned);
    let query: Vec<(String, String)> = raw_query
        .as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let headers_log: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let value = if k == axum::http::header::AUTHORIZATION { redact(&value) } else { value };
            (k.as_str().to_owned(), value)
        })
        .collect();
    let ctx = shared.context.clone();
    let in_context = raw_path == ctx || raw_path.starts_with(&format!("{ctx}/"));
    let rel = raw_path.get(ctx.len()..).unwrap_or("").to_owned();
    let req = Req {
        method: parts.method.clone(),
        segments: rel.split('/').filter(|s| !s.is_empty()).map(decode_segment).collect(),
        raw_path: raw_path.clone(),
        query,
        headers: parts.headers,
        body,
    };
    let is_control = req.segments.first().is_some_and(|s| s == "_control");
    // Latency models a slow server; the test harness's own control calls are not slowed.
    let latency = shared.lock().latency;
    if !latency.is_zero() && !is_control {
        tokio::time::sleep(latency).await;
    }
    let (mut resp, user) = if in_context {
        dispatch(&shared, &req, &rel).await
    } else {
        (html_not_found(&raw_path), None)
    };
    let seq = shared.request_seq.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("@FAKEBB{seq}x{}x0", (crate::state::wall_ms() / 60_000) % 1440);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("X-AREQUESTID", v);
    }
    if let Some(u) = &user {
        let id = shared.lock().users.get(u).map(|x| x.id);
        if let Ok(v) = HeaderValue::from_str(u) {
            resp.headers_mut().insert("X-AUSERNAME", v);
        }
        if let Some(id) = id.and_then(|i| HeaderValue::from_str(&i.to_string()).ok()) {
            resp.headers_mut().insert("X-AUSERID", id);
        }
        resp.headers_mut().insert("X-ASEN", HeaderValue::from_static("SEN-FAKEBB"));
    }
    // Control traffic is not part of what the product sent; keep the log about the product.
    if !is_control {
        shared.lock().record_request(RecordedRequest {
            method: req.method.to_string(),
            path: raw_path,
            query: raw_query,
            headers: headers_log,
            status: resp.status().as_u16(),
            user,
        });
    }
    resp
}

/// Routes a request inside the context path; returns the response and the user, if any.
async fn dispatch(shared: &Arc<Shared>, req: &Req, rel: &str) -> (Response, Option<String>) {
    // Injected faults come first, like a proxy or an overloaded node would answer; the control
    // API stays reachable so a test can always clear them.
    if !rel.starts_with("/_control") {
        if let Some(resp) = injected_fault(shared, rel) {
            return (resp, None);
        }
    }
    let seg: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match seg.as_slice() {
        ["_control", rest @ ..] => (crate::control::handle(shared, req, rest).await, None),
        ["plugins", "servlet", "oauth", which] => {
            let mut store = shared.lock();
            let resp = match *which {
                "request-token" => crate::oauth::request_token(&mut store, req),
                "authorize" => crate::oauth::authorize(&mut store, req),
                "access-token" => crate::oauth::access_token(&mut store, req),
                _ => html_not_found(&req.raw_path),
            };
            (resp, None)
        }
        ["plugins", "servlet", "applinks", "whoami"] => {
            let mut store = shared.lock();
            match authenticate(&mut store, req) {
                Ok((Principal::User { name, .. }, _)) => {
                    (text(StatusCode::OK, name.clone()), Some(name))
                }
                Ok(_) => (text(StatusCode::UNAUTHORIZED, String::new()), None),
                Err(resp) => (resp, None),
            }
        }
        ["rest", "api", "1.0" | "latest", rest @ ..] => rest_call(shared, req, rest).await,
        _ => (html_not_found(&req.raw_path), None),
    }
}

fn injected_fault(shared: &Shared, rel: &str) -> Option<Response> {
    let mut store = shared.lock();
    let fault = store.faults.iter_mut().find(|f| f.count > 0 && rel.starts_with(&f.path_prefix))?;
    fault.count -= 1;
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let retry_after = fault.retry_after.or((status == StatusCode::TOO_MANY_REQUESTS).then_some(1));
    store.faults.retain(|f| f.count > 0);
    let mut resp = if status == StatusCode::TOO_MANY_REQUESTS {
        error(
            status,
            "You have been rate limited. Please wait before retrying.",
            "com.atlassian.bitbucket.throttle.RateLimitedException",
        )
    } else {
        error(
            status,
            &format!("Injected failure ({})", status.as_u16()),
            "com.atlassian.bitbucket.ServiceException",
        )
    };
    if let Some(secs) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        resp.headers_mut().insert("Retry-After", secs);
    }
    Some(resp)
}

async fn rest_call(shared: &Arc<Shared>, req: &Req, rest: &[&str]) -> (Response, Option<String>) {
    let mutating =
        matches!(req.method, Method::POST | Method::PUT | Method::DELETE | Method::PATCH);
    if mutating && req.header("x-atlassian-token") != Some("no-check") {
        return (
            html(
                StatusCode::FORBIDDEN,
                "<!DOCTYPE html>\n<html><head><title>XSRF check failed</title></head><body><h1>XSRF check failed</h1></body></html>\n".to_owned(),
            ),
            None,
        );
    }
    let routed = {
        let mut store = shared.lock();
        let (who, scheme) = match authenticate(&mut store, req) {
            Ok(x) => x,
            Err(resp) => return (resp, None),
        };
        if let Err(resp) = rate_limit(&mut store, &who, scheme) {
            return (resp, who.user().map(str::to_owned));
        }
        (crate::rest::route(&mut store, req, &who, rest), who)
    };
    let (routed, who) = routed;
    let user = who.user().map(str::to_owned);
    match routed {
        Routed::Done(resp) => (resp, user),
        Routed::TestWebhook { url } => {
            let outgoing = crate::delivery::ping(&shared.lock(), &url, None);
            let sent_headers = outgoing.headers.clone();
            let records =
                crate::delivery::send_all(&shared.store, &shared.client, vec![outgoing]).await;
            let headers: serde_json::Map<String, serde_json::Value> =
                sent_headers.into_iter().map(|(k, v)| (k, json!(v))).collect();
            let record = records.first();
            let response = match record.and_then(|r| r.status) {
                Some(status) => json!({ "status": status, "headers": {}, "body": "" }),
                None => serde_json::Value::Null,
            };
            let mut v = json!({
                "request": { "url": url, "method": "POST", "headers": headers, "body": "{\"test\":true}" },
                "response": response,
            });
            if let (Some(err), Some(obj)) =
                (record.and_then(|r| r.error.clone()), v.as_object_mut())
            {
                obj.insert("exception".into(), json!({ "message": err }));
            }
            (json(StatusCode::OK, &v), user)
        }
    }
}
