//! Test-control API over HTTP at `{ctx}/_control/…` (outside `/rest`, no auth, no XSRF):
//! seeding, pushes, faults, latency, clock skew, OAuth revocation and inspection.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::push::Push;
use crate::request::{error, json as json_resp, ok, Req};
use crate::server::Shared;
use crate::state::{Fault, Permission, RepoSpec, TokenOwner};
use crate::FakeError;

fn bad(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message, "fakebb.ControlError")
}

fn fake_error(e: &FakeError) -> Response {
    let status = match e {
        FakeError::NotFound(_) => StatusCode::NOT_FOUND,
        FakeError::Duplicate(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    error(status, &e.to_string(), "fakebb.ControlError")
}

fn body<T: for<'de> Deserialize<'de>>(req: &Req) -> Result<T, Response> {
    serde_json::from_slice(&req.body)
        .map_err(|e| bad(&format!("{} {}: invalid JSON body: {e}", req.method, req.raw_path)))
}

#[derive(Deserialize)]
struct UserBody {
    name: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    admin: bool,
}

#[derive(Deserialize)]
struct ProjectBody {
    key: String,
    name: String,
    #[serde(default)]
    public: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RepoBody {
    #[serde(flatten)]
    spec: RepoSpec,
    #[serde(default)]
    files: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenBody {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    repo: Option<String>,
    permission: String,
    #[serde(default)]
    expires_in_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantBody {
    user: String,
    project: String,
    #[serde(default)]
    repo: Option<String>,
    permission: String,
}

/// Handles `{ctx}/_control/<rest…>`.
pub(crate) async fn handle(shared: &Arc<Shared>, req: &Req, rest: &[&str]) -> Response {
    let m = &req.method;
    match (rest, m) {
        (["state"], &Method::GET) => {
            let s = shared.lock();
            ok(&json!({
                "baseUrl": s.base_url,
                "users": s.users.len(),
                "projects": s.projects.len(),
                "repos": s.repos.len(),
                "webhooks": s.webhooks.len(),
                "deliveries": s.deliveries.len(),
                "requests": s.requests.len(),
                "clockSkewMs": s.clock_skew_ms,
                "latencyMs": s.latency.as_millis() as u64,
                "pluginInstalled": s.plugin_installed,
            }))
        }
        (["users"], &Method::POST) => {
            let b: UserBody = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            match shared.lock().add_user(&b.name, b.password.as_deref(), b.admin) {
                Ok(()) => ok(&json!({ "name": b.name })),
                Err(e) => fake_error(&e),
            }
        }
        (["projects"], &Method::POST) => {
            let b: ProjectBody = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            match shared.lock().add_project(&b.key, &b.name, b.public) {
                Ok(id) => ok(&json!({ "id": id, "key": b.key.to_uppercase() })),
                Err(e) => fake_error(&e),
            }
        }
        (["repos"], &Method::POST) => {
            let b: RepoBody = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let mut spec = b.spec;
            spec.files = b.files.into_iter().map(|(k, v)| (k, v.into_bytes())).collect();
            match shared.lock().add_repo(spec) {
                Ok(id) => ok(&json!({ "id": id })),
                Err(e) => fake_error(&e),
            }
        }
        (["tokens"], &Method::POST) => {
            let b: TokenBody = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(perm) = Permission::parse(&b.permission) else {
                return bad(&format!("permission: unknown value {:?}", b.permission));
            };
            let mut s = shared.lock();
            let owner = match (&b.user, &b.project, &b.repo) {
                (Some(u), None, None) => TokenOwner::User(u.clone()),
                (None, Some(p), None) => TokenOwner::Project(p.to_uppercase()),
                (None, Some(p), Some(r)) => match s.repo_id(p, r) {
                    Some(id) => TokenOwner::Repo(id),
                    None => return bad(&format!("repository {p}/{r} does not exist")),
                },
                _ => return bad("give exactly one of: user, project, or project+repo"),
            };
            match crate::add_token(
                &mut s,
                owner,
                perm,
                b.expires_in_seconds.map(Duration::from_secs),
            ) {
                Ok(token) => ok(&json!({ "token": token })),
                Err(e) => fake_error(&e),
            }
        }
        (["grants"], &Method::POST) => {
            let b: GrantBody = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(perm) = Permission::parse(&b.permission) else {
                return bad(&format!("permission: unknown value {:?}", b.permission));
            };
            let res =
                crate::grant(&mut shared.lock(), &b.user, &b.project, b.repo.as_deref(), perm);
            match res {
                Ok(()) => ok(&json!({ "granted": true })),
                Err(e) => fake_error(&e),
            }
        }
        (["projects", key, "repos", slug, "push"], &Method::POST) => {
            let push: Push = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            match crate::do_push(shared, key, slug, &push).await {
                Ok(report) => ok(&serde_json::to_value(&report).unwrap_or(Value::Null)),
                Err(e) => fake_error(&e),
            }
        }
        (["projects", key, "repos", slug, "rename"], &Method::POST) => {
            let v: Value = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(new_slug) = v.get("slug").and_then(Value::as_str) else {
                return bad("body must be {\"slug\": \"new-slug\"[, \"name\": \"New name\"]}");
            };
            let name = v.get("name").and_then(Value::as_str);
            match crate::do_rename(shared, key, slug, new_slug, name).await {
                Ok(d) => ok(&json!({ "deliveries": d })),
                Err(e) => fake_error(&e),
            }
        }
        (["projects", key, "repos", slug], &Method::DELETE) => {
            match shared.lock().delete_repo(key, slug) {
                Ok(id) => ok(&json!({ "deleted": id })),
                Err(e) => fake_error(&e),
            }
        }
        (["webhooks", id, "ping"], &Method::POST) => {
            let Ok(id) = id.parse::<u64>() else {
                return bad("webhook id must be a number");
            };
            match crate::do_ping(shared, id).await {
                Ok(d) => ok(&serde_json::to_value(&d).unwrap_or(Value::Null)),
                Err(e) => fake_error(&e),
            }
        }
        (["faults"], &Method::POST) => {
            let f: Fault = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            shared.lock().faults.push(f);
            ok(&json!({ "ok": true }))
        }
        (["faults"], &Method::DELETE) => {
            shared.lock().faults.clear();
            ok(&json!({ "ok": true }))
        }
        (["latency"], &Method::PUT) => {
            let v: Value = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(ms) = v.get("ms").and_then(Value::as_u64) else {
                return bad("body must be {\"ms\": <non-negative integer>}");
            };
            shared.lock().latency = Duration::from_millis(ms);
            ok(&json!({ "ms": ms }))
        }
        (["clock"], &Method::PUT) => {
            let v: Value = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(secs) = v.get("skewSeconds").and_then(Value::as_i64) else {
                return bad("body must be {\"skewSeconds\": <integer>}");
            };
            shared.lock().clock_skew_ms = secs.saturating_mul(1000);
            ok(&json!({ "skewSeconds": secs }))
        }
        (["plugin"], &Method::PUT) => {
            let v: Value = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(installed) = v.get("installed").and_then(Value::as_bool) else {
                return bad("body must be {\"installed\": true|false}");
            };
            shared.lock().plugin_installed = installed;
            ok(&json!({ "installed": installed }))
        }
        (["oauth", "revoke"], &Method::POST) => {
            let v: Value = match body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(token) = v.get("token").and_then(Value::as_str) else {
                return bad("body must be {\"token\": \"…\"}");
            };
            let revoked = shared.lock().oauth.revoke(token);
            if revoked {
                ok(&json!({ "revoked": true }))
            } else {
                error(StatusCode::NOT_FOUND, "unknown access token", "fakebb.ControlError")
            }
        }
        (["requests"], &Method::GET) => {
            let s = shared.lock();
            json_resp(StatusCode::OK, &serde_json::to_value(&s.requests).unwrap_or(Value::Null))
        }
        (["requests"], &Method::DELETE) => {
            shared.lock().requests.clear();
            ok(&json!({ "ok": true }))
        }
        (["deliveries"], &Method::GET) => {
            let s = shared.lock();
            json_resp(StatusCode::OK, &serde_json::to_value(&s.deliveries).unwrap_or(Value::Null))
        }
        (["deliveries"], &Method::DELETE) => {
            shared.lock().deliveries.clear();
            ok(&json!({ "ok": true }))
        }
        _ => error(
            StatusCode::NOT_FOUND,
            &format!("no control endpoint {} {}", req.method, req.raw_path),
            "fakebb.ControlError",
        ),
    }
}
