//! Outgoing deliveries: native `repo:refs_changed` webhooks (HMAC-signed), the Web Post Hooks
//! plugin payload, and the unsigned `diagnostics:ping`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::push::{new_commits, PayloadOptions, RefChange, RefChangeKind};
use crate::shapes::{self, TimestampStyle};
use crate::state::{wall_ms, Delivery, DeliveryKind, Scope, Store};

/// The plugin's repository hook key.
pub const PLUGIN_HOOK_KEY: &str =
    "com.atlassian.stash.plugin.stash-web-post-receive-hooks-plugin:postReceiveHook";

/// A delivery ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub kind: DeliveryKind,
    pub repository_id: Option<u64>,
    pub url: String,
    pub event_key: Option<String>,
    pub request_id: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn user_agent(store: &Store) -> String {
    format!("Atlassian HttpClient 4.2.0 / Bitbucket-{} / Default", store.cfg.version)
}

/// HMAC-SHA256 of `body` with `secret`, as `sha256=<hex>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // Any key length is valid for HMAC, so this cannot fail; fall back to an impossible value.
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => "sha256=".to_owned(),
    }
}

fn actor_json(store: &Store, actor: Option<&str>) -> Value {
    match actor.and_then(|a| store.users.get(a)) {
        Some(u) => shapes::user(store, u),
        None => json!({ "name": "admin", "emailAddress": "admin@example.com", "id": 1,
                        "displayName": "Administrator", "active": true, "slug": "admin",
                        "type": "NORMAL" }),
    }
}

fn ref_change_json(c: &RefChange) -> Value {
    json!({
        "ref": { "id": c.ref_id, "displayId": c.display_id, "type": c.ref_type },
        "refId": c.ref_id,
        "fromHash": c.from_hash,
        "toHash": c.to_hash,
        "type": c.kind,
    })
}

/// Native `repo:refs_changed` body.
pub(crate) fn refs_changed_body(
    store: &Store,
    repo_id: u64,
    changes: &[RefChange],
    opts: &PayloadOptions,
    actor: Option<&str>,
) -> Option<Vec<u8>> {
    let repo = store.repos.get(&repo_id)?;
    let mut body = json!({
        "eventKey": "repo:refs_changed",
        "date": crate::clock::webhook_date(store.now_ms(), opts.date_offset_minutes),
        "actor": actor_json(store, actor),
        "repository": shapes::repository(store, repo, false),
        "changes": if opts.empty_changes { Vec::new() } else { changes.iter().map(ref_change_json).collect() },
    });
    // toCommit/commits describe the first non-delete change (absent when all refs were deleted).
    let lead = changes.iter().find(|c| c.kind != RefChangeKind::Delete);
    if let (Some(lead), Some(obj)) = (lead, body.as_object_mut()) {
        let commits = new_commits(store, repo_id, lead);
        let target = lead.to_commit.as_ref().and_then(|id| repo.history.commit(id));
        if opts.include_to_commit {
            if let Some(c) = target {
                obj.insert("toCommit".into(), shapes::commit(c, opts.timestamps));
            }
        }
        if opts.include_commits {
            let list: Vec<Value> =
                commits.iter().take(5).map(|c| shapes::commit(c, opts.timestamps)).collect();
            obj.insert("commits".into(), Value::Array(list));
        }
    }
    serde_json::to_vec(&body).ok()
}

/// Web Post Hooks plugin body (`refChanges` + `changesets`).
pub(crate) fn plugin_body(store: &Store, repo_id: u64, changes: &[RefChange]) -> Option<Vec<u8>> {
    let repo = store.repos.get(&repo_id)?;
    let mut repository = shapes::repository(store, repo, false);
    if let Some(obj) = repository.as_object_mut() {
        obj.remove("links");
        obj.remove("archived");
        obj.remove("hierarchyId");
        // The plugin's older serialisation also flags personal projects.
        if let Some(project) = obj.get_mut("project").and_then(Value::as_object_mut) {
            let personal = project.get("type").and_then(Value::as_str) == Some("PERSONAL");
            project.insert("isPersonal".into(), json!(personal));
        }
    }
    let ref_changes: Vec<Value> = changes
        .iter()
        .map(|c| json!({ "refId": c.ref_id, "fromHash": c.from_hash, "toHash": c.to_hash, "type": c.kind }))
        .collect();
    let all_deleted = changes.iter().all(|c| c.kind == RefChangeKind::Delete);
    let mut values = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for change in changes.iter().filter(|c| c.kind != RefChangeKind::Delete) {
        for c in new_commits(store, repo_id, change) {
            if values.len() >= 100 || !seen.insert(c.id.clone()) {
                continue;
            }
            let parent_tree = c
                .parents
                .first()
                .and_then(|p| repo.history.commit(p))
                .map(|p| p.tree.clone())
                .unwrap_or_default();
            let file_changes: Vec<Value> =
                crate::history::diff(&parent_tree, &c.tree).iter().map(shapes::change).collect();
            let project_path = format!("/projects/{}/repos/{}", repo.project_key, repo.slug);
            values.push(json!({
                "fromCommit": c.parents.first().map(|p| shapes::minimal_commit(p)).unwrap_or(Value::Null),
                "toCommit": shapes::commit(&c, TimestampStyle::EpochMs),
                "changes": {
                    "size": file_changes.len(), "limit": 100, "isLastPage": true, "start": 0,
                    "filter": null, "values": file_changes,
                },
                "link": { "url": format!("{project_path}/commits/{}#{}", c.id, change.ref_id), "rel": "self" },
                "links": { "self": [{ "href": format!("{}{project_path}/commits/{}#{}", store.base_url, c.id, change.ref_id) }] },
            }));
        }
    }
    let limit = if all_deleted { 500 } else { 100 };
    let body = json!({
        "repository": repository,
        "refChanges": ref_changes,
        "changesets": {
            "size": values.len(), "limit": limit, "isLastPage": values.len() < limit,
            "start": 0, "filter": null, "values": values,
        },
    });
    serde_json::to_vec(&body).ok()
}

fn native_headers(store: &Store, event: &str, request_id: &str) -> Vec<(String, String)> {
    vec![
        ("Content-Type".to_owned(), "application/json; charset=utf-8".to_owned()),
        ("User-Agent".to_owned(), user_agent(store)),
        ("X-Event-Key".to_owned(), event.to_owned()),
        ("X-Request-Id".to_owned(), request_id.to_owned()),
    ]
}

fn native_targets<'a>(
    store: &'a Store,
    repo_id: u64,
    event: &'a str,
) -> impl Iterator<Item = &'a crate::state::Webhook> + 'a {
    let project_key = store.repos.get(&repo_id).map(|r| r.project_key.clone());
    let now = store.now_ms();
    let breaker_on = store.cfg.circuit_breaker;
    store
        .webhooks
        .values()
        .filter(move |h| h.active && h.events.iter().any(|e| e == event))
        .filter(move |h| match &h.scope {
            Scope::Repo(id) => *id == repo_id,
            Scope::Project(key) => Some(key) == project_key.as_ref(),
        })
        .filter(move |h| {
            let open = breaker_on && store.breakers.get(&h.id).is_some_and(|b| b.open_until > now);
            if open {
                tracing::info!(
                    hook = h.id,
                    "DispatchFailedException: Webhook failed too many times. Skipping this webhook"
                );
            }
            !open
        })
}

fn has_native_targets(store: &Store, repo_id: u64, event: &str) -> bool {
    native_targets(store, repo_id, event).next().is_some()
}

/// One delivery per active webhook of the repository or its project subscribed to `event`,
/// each with a fresh `X-Request-Id` and, when a secret is set, an HMAC over `body`.
pub(crate) fn native_event(store: &Store, repo_id: u64, event: &str, body: &[u8]) -> Vec<Outgoing> {
    native_targets(store, repo_id, event)
        .map(|h| {
            let request_id = uuid::Uuid::new_v4().to_string();
            let mut headers = native_headers(store, event, &request_id);
            if let Some(secret) = h.secret() {
                headers.push(("X-Hub-Signature".to_owned(), signature(secret, body)));
            }
            if let Some((u, p)) = &h.credentials {
                let enc = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                headers.push(("Authorization".to_owned(), format!("Basic {enc}")));
            }
            Outgoing {
                kind: DeliveryKind::Webhook { hook_id: h.id },
                repository_id: Some(repo_id),
                url: h.url.clone(),
                event_key: Some(event.to_owned()),
                request_id: Some(request_id),
                headers,
                body: body.to_vec(),
            }
        })
        .collect()
}

/// `repo:modified` body for a rename or move.
pub(crate) fn repo_modified_body(
    store: &Store,
    old: Value,
    new: Value,
    actor: Option<&str>,
) -> Option<Vec<u8>> {
    let body = json!({
        "eventKey": "repo:modified",
        "date": crate::clock::webhook_date(store.now_ms(), 0),
        "actor": actor_json(store, actor),
        "old": old,
        "new": new,
    });
    serde_json::to_vec(&body).ok()
}

/// Deliveries for one push: every active matching webhook and every plugin URL.
pub(crate) fn for_push(
    store: &Store,
    repo_id: u64,
    changes: &[RefChange],
    opts: &PayloadOptions,
    actor: Option<&str>,
) -> Vec<Outgoing> {
    let Some(repo) = store.repos.get(&repo_id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if opts.native && has_native_targets(store, repo_id, "repo:refs_changed") {
        if let Some(body) = refs_changed_body(store, repo_id, changes, opts, actor) {
            out.extend(native_event(store, repo_id, "repo:refs_changed", &body));
        }
    }
    if opts.plugin && store.plugin_installed {
        let state = store
            .plugin_hooks
            .get(&Scope::Repo(repo_id))
            .or_else(|| store.plugin_hooks.get(&Scope::Project(repo.project_key.clone())));
        if let Some(state) = state.filter(|s| s.enabled) {
            let mut urls: Vec<(u32, String, String)> = state
                .settings
                .iter()
                .flatten()
                .filter_map(|(k, v)| {
                    let n = k.strip_prefix("hook-url-")?.parse::<u32>().ok()?;
                    let url = v.as_str()?.trim();
                    (!url.is_empty()).then(|| (n, k.clone(), url.to_owned()))
                })
                .collect();
            urls.sort();
            if !urls.is_empty() {
                if let Some(body) = plugin_body(store, repo_id, changes) {
                    for (_, key, url) in urls {
                        out.push(Outgoing {
                            kind: DeliveryKind::Plugin { setting: key },
                            repository_id: Some(repo_id),
                            url,
                            event_key: None,
                            request_id: None,
                            headers: vec![
                                ("Content-Type".to_owned(), "application/json".to_owned()),
                                ("X-Atlassian-Token".to_owned(), "no-check".to_owned()),
                                ("User-Agent".to_owned(), user_agent(store)),
                            ],
                            body: body.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// An unsigned `diagnostics:ping` with body `{"test":true}`.
pub(crate) fn ping(store: &Store, url: &str, hook_id: Option<u64>) -> Outgoing {
    let request_id = uuid::Uuid::new_v4().to_string();
    Outgoing {
        kind: match hook_id {
            Some(id) => DeliveryKind::Webhook { hook_id: id },
            None => DeliveryKind::Test,
        },
        repository_id: None,
        url: url.to_owned(),
        event_key: Some("diagnostics:ping".to_owned()),
        request_id: Some(request_id.clone()),
        headers: native_headers(store, "diagnostics:ping", &request_id),
        body: br#"{"test":true}"#.to_vec(),
    }
}

/// Sends deliveries concurrently, records them, and returns the records in input order.
pub(crate) async fn send_all(
    store: &Arc<Mutex<Store>>,
    client: &reqwest::Client,
    outgoing: Vec<Outgoing>,
) -> Vec<Delivery> {
    let mut handles = Vec::new();
    for o in outgoing {
        let client = client.clone();
        handles.push(tokio::spawn(async move {
            let start = wall_ms();
            let t0 = Instant::now();
            let mut rb = client.post(&o.url).body(o.body.clone());
            for (k, v) in &o.headers {
                rb = rb.header(k.as_str(), v.as_str());
            }
            let (status, error) = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    // Drain the body so the connection completes like a real client.
                    let _ = resp.bytes().await;
                    (Some(status), None)
                }
                Err(e) => (None, Some(e.to_string())),
            };
            (o, status, error, start, t0.elapsed())
        }));
    }
    let mut records = Vec::new();
    for h in handles {
        let Ok((o, status, error, start, elapsed)) = h.await else {
            continue;
        };
        let mut guard = match store.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let id = guard.deliveries.len() as u64 + 1;
        let d = Delivery {
            id,
            kind: o.kind,
            repository_id: o.repository_id,
            url: o.url,
            event_key: o.event_key,
            request_id: o.request_id,
            headers: o.headers,
            body: String::from_utf8_lossy(&o.body).into_owned(),
            status,
            error,
            start,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        };
        if let (DeliveryKind::Webhook { hook_id }, true) = (&d.kind, guard.cfg.circuit_breaker) {
            let now = guard.now_ms();
            let ok = d.status.is_some_and(|s| (200..300).contains(&s));
            let b = guard.breakers.entry(*hook_id).or_default();
            if ok {
                *b = crate::state::Breaker::default();
            } else {
                b.failures += 1;
                if b.failures >= 5 {
                    b.failures = 0;
                    b.trips += 1;
                    // 10 s, doubling per trip, at most 10 h.
                    let backoff = 10_000i64
                        .saturating_mul(1i64 << (b.trips - 1).min(20))
                        .min(10 * 3600 * 1000);
                    b.open_until = now.saturating_add(backoff);
                }
            }
        }
        guard.deliveries.push(d.clone());
        records.push(d);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_known_value() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
