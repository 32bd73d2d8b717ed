//! JSON shapes, field names checked against the Bitbucket DC 9.2 OpenAPI
//! (`RestProject`, `RestRepository`, `RestCommit`, `RestBranch`, `RestTag`, `RestChange`, …).

use serde_json::{json, Value};

use crate::history::{Commit, FileChange};
use crate::state::{Project, Repo, Store, User};

/// How commit timestamps are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TimestampStyle {
    /// Epoch milliseconds (REST, and webhooks before DC 10.3).
    #[default]
    EpochMs,
    /// ISO-8601 strings (webhooks since DC 10.3).
    Iso,
}

fn ts(ms: i64, style: TimestampStyle) -> Value {
    match style {
        TimestampStyle::EpochMs => json!(ms),
        TimestampStyle::Iso => json!(crate::clock::iso_utc(ms)),
    }
}

/// `{"href": …}` list.
fn links(hrefs: &[String]) -> Value {
    Value::Array(hrefs.iter().map(|h| json!({ "href": h })).collect())
}

/// `RestApplicationUser`.
pub fn user(store: &Store, u: &User) -> Value {
    json!({
        "name": u.name,
        "emailAddress": u.email,
        "active": true,
        "displayName": u.display_name,
        "id": u.id,
        "slug": u.name,
        "type": "NORMAL",
        "links": { "self": links(&[format!("{}/users/{}", store.base_url, u.name)]) },
    })
}

/// Self link of a project (personal projects live under `/users/{slug}`).
fn project_href(store: &Store, p: &Project) -> String {
    match &p.owner {
        Some(owner) => format!("{}/users/{}", store.base_url, owner),
        None => format!("{}/projects/{}", store.base_url, p.key),
    }
}

/// `RestProject`.
pub fn project(store: &Store, p: &Project) -> Value {
    let mut v = json!({
        "key": p.key,
        "id": p.id,
        "name": p.name,
        "public": p.public,
        "type": if p.owner.is_some() { "PERSONAL" } else { "NORMAL" },
        "links": { "self": links(&[project_href(store, p)]) },
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(d) = &p.description {
            obj.insert("description".into(), json!(d));
        }
        if let Some(owner) = p.owner.as_ref().and_then(|o| store.users.get(o)) {
            obj.insert("owner".into(), user(store, owner));
        }
    }
    v
}

/// `RestRepository`; `with_default_branch` adds the 8.x+ `defaultBranch` field.
pub fn repository(store: &Store, r: &Repo, with_default_branch: bool) -> Value {
    let proj = store.project(&r.project_key);
    let browse = match proj.and_then(|p| p.owner.as_ref()) {
        Some(owner) => format!("{}/users/{}/repos/{}/browse", store.base_url, owner, r.slug),
        None => format!("{}/projects/{}/repos/{}/browse", store.base_url, r.project_key, r.slug),
    };
    let host = store
        .base_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|hp| hp.split(':').next())
        .unwrap_or("localhost");
    let key_lower = r.project_key.to_lowercase();
    let mut v = json!({
        "slug": r.slug,
        "id": r.id,
        "name": r.name,
        "hierarchyId": r.hierarchy_id,
        "scmId": "git",
        "state": "AVAILABLE",
        "statusMessage": "Available",
        "forkable": true,
        "archived": r.archived,
        "public": r.public,
        "project": proj.map(|p| project(store, p)).unwrap_or(Value::Null),
        "links": {
            "clone": [
                { "href": format!("{}/scm/{}/{}.git", store.base_url, key_lower, r.slug), "name": "http" },
                { "href": format!("ssh://git@{host}:7999/{key_lower}/{}.git", r.slug), "name": "ssh" },
            ],
            "self": links(&[browse]),
        },
    });
    if let Some(obj) = v.as_object_mut() {
        if with_default_branch {
            obj.insert("defaultBranch".into(), json!(r.default_branch));
        }
        if let Some(d) = &r.description {
            obj.insert("description".into(), json!(d));
        }
    }
    v
}

/// Abbreviated id as Bitbucket shows it (11 characters).
pub fn display_id(id: &str) -> &str {
    id.get(..11).unwrap_or(id)
}

/// `RestCommit`.
pub fn commit(c: &Commit, style: TimestampStyle) -> Value {
    json!({
        "id": c.id,
        "displayId": display_id(&c.id),
        "author": { "name": c.author.name, "emailAddress": c.author.email },
        "authorTimestamp": ts(c.author_ts, style),
        "committer": { "name": c.committer.name, "emailAddress": c.committer.email },
        "committerTimestamp": ts(c.committer_ts, style),
        "message": c.message,
        "parents": c.parents.iter().map(|p| json!({ "id": p, "displayId": display_id(p) })).collect::<Vec<_>>(),
    })
}

/// `RestMinimalCommit`.
pub fn minimal_commit(id: &str) -> Value {
    json!({ "id": id, "displayId": display_id(id) })
}

/// `RestBranch`.
pub fn branch(name: &str, head: &str, is_default: bool) -> Value {
    json!({
        "id": format!("refs/heads/{name}"),
        "displayId": name,
        "type": "BRANCH",
        "latestCommit": head,
        "latestChangeset": head,
        "isDefault": is_default,
    })
}

/// `RestTag`: `latestCommit` is the peeled commit, `hash` the tag object (annotated) or commit.
pub fn tag(name: &str, t: &crate::history::Tag) -> Value {
    json!({
        "id": format!("refs/tags/{name}"),
        "displayId": name,
        "type": "TAG",
        "latestCommit": t.commit,
        "latestChangeset": t.commit,
        "hash": t.annotated.as_ref().map(|o| o.hash.clone()),
    })
}

/// `RestPath` for `a/b/c.ext`.
pub fn path(p: &str) -> Value {
    let components: Vec<&str> = p.split('/').collect();
    let name = components.last().copied().unwrap_or("");
    let parent = components
        .get(..components.len().saturating_sub(1))
        .map(|c| c.join("/"))
        .unwrap_or_default();
    let mut v = json!({
        "components": components,
        "parent": parent,
        "name": name,
        "toString": p,
    });
    if let (Some((_, ext)), Some(obj)) = (name.rsplit_once('.'), v.as_object_mut()) {
        if !ext.is_empty() && !name.starts_with('.') {
            obj.insert("extension".into(), json!(ext));
        }
    }
    v
}

/// `RestChange`.
pub fn change(c: &FileChange) -> Value {
    let mut v = json!({
        "path": path(&c.path),
        "executable": false,
        "percentUnchanged": -1,
        "type": c.kind.as_str(),
        "nodeType": "FILE",
        "properties": { "gitChangeType": c.kind.as_str() },
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(id) = &c.content_id {
            obj.insert("contentId".into(), json!(id));
        }
        if let Some(id) = &c.from_content_id {
            obj.insert("fromContentId".into(), json!(id));
        }
    }
    v
}

/// `{"errors":[{context,message,exceptionName}]}`.
pub fn errors(message: &str, exception: &str) -> Value {
    json!({ "errors": [{ "context": null, "message": message, "exceptionName": exception }] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_shape() {
        let v = path("web/package-lock.json");
        assert_eq!(v["name"], "package-lock.json");
        assert_eq!(v["parent"], "web");
        assert_eq!(v["extension"], "json");
        assert_eq!(v["components"], json!(["web", "package-lock.json"]));
        assert!(path("Makefile").get("extension").is_none());
    }
}
