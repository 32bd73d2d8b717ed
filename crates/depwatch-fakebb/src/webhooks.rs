//! Webhook REST (repository and project level) and the Web Post Hooks plugin settings.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::auth::{project_permission, Principal};
use crate::config::Resource;
use crate::delivery::PLUGIN_HOOK_KEY;
use crate::paging::paginate;
use crate::request::{empty, error, method_not_allowed, not_permitted, ok, Req};
use crate::rest::{find_repo, Routed};
use crate::state::{DeliveryKind, Permission, PluginHook, Scope, Store, Webhook};

/// Event keys known to Bitbucket DC 9.x; anything else is a 400.
pub const KNOWN_EVENTS: &[&str] = &[
    "repo:refs_changed",
    "repo:modified",
    "repo:forked",
    "repo:comment:added",
    "repo:comment:edited",
    "repo:comment:deleted",
    "mirror:repo_synchronized",
    "repo:secret_detected",
    "project:modified",
    "pr:opened",
    "pr:from_ref_updated",
    "pr:modified",
    "pr:reviewer:updated",
    "pr:reviewer:approved",
    "pr:reviewer:unapproved",
    "pr:reviewer:changes_requested",
    "pr:merged",
    "pr:declined",
    "pr:deleted",
    "pr:comment:added",
    "pr:comment:edited",
    "pr:comment:deleted",
];

fn validation(context: &str, message: &str) -> Response {
    crate::request::json(
        StatusCode::BAD_REQUEST,
        &json!({ "errors": [{ "context": context, "message": message,
            "exceptionName": "com.atlassian.bitbucket.validation.ArgumentValidationException" }] }),
    )
}

fn webhook_json(h: &Webhook) -> Value {
    json!({
        "id": h.id,
        "name": h.name,
        "createdDate": h.created,
        "updatedDate": h.updated,
        "events": h.events,
        "configuration": h.configuration,
        "url": h.url,
        "active": h.active,
        "scopeType": match h.scope { Scope::Repo(_) => "repository", Scope::Project(_) => "project" },
        "sslVerificationRequired": h.ssl_verification_required,
    })
}

fn no_such_webhook(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("No webhook with id {id} exists."),
        "com.atlassian.webhooks.NoSuchWebhookException",
    )
}

/// Fields of a create/update body, validated.
struct WebhookBody {
    name: Option<String>,
    url: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
    configuration: Option<Map<String, Value>>,
    credentials: Option<(String, String)>,
    ssl: Option<bool>,
}

fn parse_body(req: &Req) -> Result<WebhookBody, Response> {
    let v = req.json_body()?;
    let Some(obj) = v.as_object() else {
        return Err(validation("", "The request body must be a JSON object"));
    };
    let url = match obj.get("url") {
        Some(Value::String(u)) => {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(validation("url", "The URL must be a valid http or https URL"));
            }
            Some(u.clone())
        }
        Some(_) => return Err(validation("url", "url must be a string")),
        None => None,
    };
    let events = match obj.get("events") {
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for e in items {
                let Some(s) = e.as_str() else {
                    return Err(validation("events", "events must be strings"));
                };
                if !KNOWN_EVENTS.contains(&s) {
                    return Err(validation("events", &format!("Invalid event id(s): {s}")));
                }
                out.push(s.to_owned());
            }
            Some(out)
        }
        Some(_) => return Err(validation("events", "events must be an array")),
        None => None,
    };
    let credentials = obj.get("credentials").and_then(|c| {
        Some((c.get("username")?.as_str()?.to_owned(), c.get("password")?.as_str()?.to_owned()))
    });
    Ok(WebhookBody {
        name: obj.get("name").and_then(Value::as_str).map(str::to_owned),
        url,
        events,
        active: obj.get("active").and_then(Value::as_bool),
        configuration: obj.get("configuration").and_then(Value::as_object).cloned(),
        credentials,
        ssl: obj.get("sslVerificationRequired").and_then(Value::as_bool),
    })
}

/// Shared handling once the scope is known and REPO_ADMIN/PROJECT_ADMIN is checked.
fn webhooks_in_scope(store: &mut Store, req: &Req, scope: Scope, tail: &[&str]) -> Routed {
    let resp = match (tail, &req.method) {
        ([], &Method::GET) => {
            let page = match req.page() {
                Ok(p) => p,
                Err(r) => return Routed::Done(r),
            };
            let event = req.q("event");
            let list: Vec<Value> = store
                .webhooks
                .values()
                .filter(|h| h.scope == scope)
                .filter(|h| event.is_none_or(|e| h.events.iter().any(|x| x == e)))
                .map(webhook_json)
                .collect();
            let p = paginate(&store.cfg, Resource::Webhooks, page, &list, true);
            ok(&p.envelope(p.values.clone()))
        }
        ([], &Method::POST) => {
            let body = match parse_body(req) {
                Ok(b) => b,
                Err(r) => return Routed::Done(r),
            };
            let Some(name) = body.name.filter(|n| !n.trim().is_empty()) else {
                return Routed::Done(validation("name", "A name is required"));
            };
            let Some(url) = body.url else {
                return Routed::Done(validation("url", "A URL is required"));
            };
            let events = body.events.unwrap_or_default();
            if events.is_empty() {
                return Routed::Done(validation("events", "At least one event is required"));
            }
            let id = store.next_id();
            let now = store.now_ms();
            let hook = Webhook {
                id,
                scope,
                name,
                url,
                events,
                active: body.active.unwrap_or(true),
                configuration: body.configuration.unwrap_or_default(),
                credentials: body.credentials,
                ssl_verification_required: body.ssl.unwrap_or(true),
                created: now,
                updated: now,
            };
            let v = webhook_json(&hook);
            store.webhooks.insert(id, hook);
            // Bitbucket answers 200 (not 201) for a created webhook.
            ok(&v)
        }
        (["test"], &Method::POST) | (["test"], &Method::GET) => {
            return match req.q("url") {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    Routed::TestWebhook { url: url.to_owned() }
                }
                _ => Routed::Done(validation("url", "A valid http or https url is required")),
            };
        }
        ([id], method) => {
            let hook = id
                .parse::<u64>()
                .ok()
                .and_then(|n| store.webhooks.get(&n))
                .filter(|h| h.scope == scope)
                .cloned();
            let Some(mut hook) = hook else {
                return Routed::Done(no_such_webhook(id));
            };
            match method.clone() {
                m if m == Method::GET => ok(&webhook_json(&hook)),
                m if m == Method::DELETE => {
                    store.webhooks.remove(&hook.id);
                    empty(StatusCode::NO_CONTENT)
                }
                m if m == Method::PUT => {
                    let body = match parse_body(req) {
                        Ok(b) => b,
                        Err(r) => return Routed::Done(r),
                    };
                    if let Some(n) = body.name {
                        hook.name = n;
                    }
                    if let Some(u) = body.url {
                        hook.url = u;
                    }
                    if let Some(e) = body.events {
                        if e.is_empty() {
                            return Routed::Done(validation(
                                "events",
                                "At least one event is required",
                            ));
                        }
                        hook.events = e;
                    }
                    if let Some(a) = body.active {
                        hook.active = a;
                    }
                    if let Some(c) = body.configuration {
                        hook.configuration = c;
                    }
                    if body.credentials.is_some() {
                        hook.credentials = body.credentials;
                    }
                    if let Some(s) = body.ssl {
                        hook.ssl_verification_required = s;
                    }
                    hook.updated = store.now_ms();
                    let v = webhook_json(&hook);
                    store.webhooks.insert(hook.id, hook);
                    ok(&v)
                }
                m => method_not_allowed(&m),
            }
        }
        ([id, "latest"], &Method::GET) => {
            let Some(hook_id) = id
                .parse::<u64>()
                .ok()
                .filter(|n| store.webhooks.get(n).is_some_and(|h| h.scope == scope))
            else {
                return Routed::Done(no_such_webhook(id));
            };
            latest(store, req, hook_id)
        }
        _ => method_not_allowed(&req.method),
    };
    Routed::Done(resp)
}

fn outcome(d: &crate::state::Delivery) -> &'static str {
    match d.status {
        Some(s) if (200..300).contains(&s) => "SUCCESS",
        Some(_) => "FAILURE",
        None => "ERROR",
    }
}

fn latest(store: &Store, req: &Req, hook_id: u64) -> Response {
    let event = req.q("event");
    let want = req.q("outcome");
    let found = store.deliveries.iter().rev().find(|d| {
        d.kind == DeliveryKind::Webhook { hook_id }
            && event.is_none_or(|e| d.event_key.as_deref() == Some(e))
            && want.is_none_or(|o| o == outcome(d))
    });
    let Some(d) = found else {
        return empty(StatusCode::NO_CONTENT);
    };
    let duration = i64::try_from(d.duration_ms).unwrap_or(i64::MAX);
    ok(&json!({
        "id": d.id,
        "event": d.event_key,
        "eventScope": { "type": "repository", "id": d.repository_id.map(|i| i.to_string()) },
        "start": d.start,
        "finish": d.start.saturating_add(duration),
        "duration": duration,
        "request": { "url": d.url, "method": "POST" },
        "result": {
            "outcome": outcome(d),
            "description": match (&d.status, &d.error) {
                (Some(s), _) => s.to_string(),
                (None, Some(e)) => e.clone(),
                (None, None) => String::new(),
            },
        },
    }))
}

/// `{ctx}/rest/api/1.0/projects/{key}/repos/{slug}/webhooks/…`
pub(crate) fn repo_webhooks(
    store: &mut Store,
    req: &Req,
    who: &Principal,
    key: &str,
    slug: &str,
    tail: &[&str],
) -> Routed {
    let id = match find_repo(store, who, key, slug, Permission::Admin) {
        Ok(r) => r.id,
        Err(resp) => return Routed::Done(resp),
    };
    webhooks_in_scope(store, req, Scope::Repo(id), tail)
}

fn project_admin(store: &Store, who: &Principal, key: &str) -> Result<String, Response> {
    let Some(p) = store.project(key) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            &format!("Project {key} does not exist."),
            "com.atlassian.bitbucket.project.NoSuchProjectException",
        ));
    };
    match project_permission(store, who, p) {
        Some(Permission::Admin) => Ok(p.key.clone()),
        _ => Err(not_permitted()),
    }
}

/// `{ctx}/rest/api/1.0/projects/{key}/webhooks/…`
pub(crate) fn project_webhooks(
    store: &mut Store,
    req: &Req,
    who: &Principal,
    key: &str,
    tail: &[&str],
) -> Routed {
    let key = match project_admin(store, who, key) {
        Ok(k) => k,
        Err(r) => return Routed::Done(r),
    };
    webhooks_in_scope(store, req, Scope::Project(key), tail)
}

fn no_such_hook(hook: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Repository hook {hook} does not exist."),
        "com.atlassian.bitbucket.hook.repository.NoSuchRepositoryHookException",
    )
}

fn hook_json(state: Option<&PluginHook>, scope_type: &str, resource_id: u64) -> Value {
    json!({
        "details": {
            "key": PLUGIN_HOOK_KEY,
            "name": "Http Request Post Receive Hook",
            "type": "POST_RECEIVE",
            "description": "Http Request Post Receive Hook",
            "version": "3.0.1",
            "configFormKey": "com.atlassian.stash.plugin.stash-web-post-receive-hooks-plugin:postReceiveHook-config",
            "supportedScopes": ["PROJECT", "REPOSITORY"],
        },
        "enabled": state.is_some_and(|s| s.enabled),
        "configured": state.is_some_and(|s| s.settings.is_some()),
        "scope": { "type": scope_type, "resourceId": resource_id },
    })
}

fn settings_from_body(req: &Req) -> Result<Option<Map<String, Value>>, Response> {
    if req.body.is_empty() {
        return Ok(None);
    }
    if req.body.len() > 32 * 1024 {
        return Err(validation("", "Hook settings are limited to 32 KB"));
    }
    match req.json_body()? {
        Value::Object(m) => Ok(Some(m)),
        _ => Err(validation("", "Hook settings must be a JSON object")),
    }
}

/// Where a plugin-hook request applies.
struct HookTarget {
    /// The scope's own state key.
    own: Scope,
    /// The scope it inherits from (repository → project).
    inherited: Option<Scope>,
    /// `REPOSITORY` or `PROJECT`.
    scope_type: &'static str,
    /// Repository or project id.
    resource_id: u64,
}

/// Shared plugin-hook handling for a scope.
fn plugin_hook(
    store: &mut Store,
    req: &Req,
    hook: &str,
    tail: &[&str],
    target: HookTarget,
) -> Response {
    let HookTarget { own, inherited, scope_type, resource_id } = target;
    if !store.plugin_installed || hook != PLUGIN_HOOK_KEY {
        return no_such_hook(hook);
    }
    let effective = |store: &Store| {
        store
            .plugin_hooks
            .get(&own)
            .or_else(|| inherited.as_ref().and_then(|s| store.plugin_hooks.get(s)))
            .cloned()
    };
    match (tail, &req.method) {
        ([], &Method::GET) => ok(&hook_json(effective(store).as_ref(), scope_type, resource_id)),
        (["enabled"], &Method::PUT) => {
            let settings = match settings_from_body(req) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let base = effective(store).unwrap_or_default();
            let state = PluginHook { enabled: true, settings: settings.or(base.settings) };
            store.plugin_hooks.insert(own, state.clone());
            ok(&hook_json(Some(&state), scope_type, resource_id))
        }
        (["enabled"], &Method::DELETE) => {
            let base = effective(store).unwrap_or_default();
            let state = PluginHook { enabled: false, settings: base.settings };
            store.plugin_hooks.insert(own, state.clone());
            ok(&hook_json(Some(&state), scope_type, resource_id))
        }
        (["settings"], &Method::GET) => match effective(store).and_then(|s| s.settings) {
            Some(s) => ok(&Value::Object(s)),
            None => empty(StatusCode::NO_CONTENT),
        },
        (["settings"], &Method::PUT) => {
            let settings = match settings_from_body(req) {
                Ok(s) => s.unwrap_or_default(),
                Err(r) => return r,
            };
            let base = effective(store).unwrap_or_default();
            store.plugin_hooks.insert(
                own,
                PluginHook { enabled: base.enabled, settings: Some(settings.clone()) },
            );
            ok(&Value::Object(settings))
        }
        _ => method_not_allowed(&req.method),
    }
}

/// `{ctx}/rest/api/1.0/projects/{key}/repos/{slug}/settings/hooks/{hook}/…`
pub(crate) fn repo_plugin_hook(
    store: &mut Store,
    req: &Req,
    who: &Principal,
    key: &str,
    slug: &str,
    hook: &str,
    tail: &[&str],
) -> Response {
    let (id, project_key) = match find_repo(store, who, key, slug, Permission::Admin) {
        Ok(r) => (r.id, r.project_key.clone()),
        Err(resp) => return resp,
    };
    plugin_hook(
        store,
        req,
        hook,
        tail,
        HookTarget {
            own: Scope::Repo(id),
            inherited: Some(Scope::Project(project_key)),
            scope_type: "REPOSITORY",
            resource_id: id,
        },
    )
}

/// `{ctx}/rest/api/1.0/projects/{key}/settings/hooks/{hook}/…`
pub(crate) fn project_plugin_hook(
    store: &mut Store,
    req: &Req,
    who: &Principal,
    key: &str,
    hook: &str,
    tail: &[&str],
) -> Response {
    let key = match project_admin(store, who, key) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let project_id = store.project(&key).map(|p| p.id).unwrap_or(0);
    plugin_hook(
        store,
        req,
        hook,
        tail,
        HookTarget {
            own: Scope::Project(key),
            inherited: None,
            scope_type: "PROJECT",
            resource_id: project_id,
        },
    )
}
