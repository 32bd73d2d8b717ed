//! REST API 1.0 read endpoints: properties, users, projects, repositories, refs, files,
//! commits and changes.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::auth::{can_view_project, project_permission, repo_permission, Principal};
use crate::config::Resource;
use crate::history::{diff, FileChange, Tree};
use crate::paging::paginate;
use crate::request::{empty, error, method_not_allowed, not_permitted, ok, with_body, Req};
use crate::shapes;
use crate::state::{Permission, Repo, Store};

/// What the REST router decided.
pub(crate) enum Routed {
    /// Answer now.
    Done(Response),
    /// `POST …/webhooks/test?url=`: needs an outgoing call outside the lock.
    TestWebhook { url: String },
}

fn no_such_project(key: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Project {key} does not exist."),
        "com.atlassian.bitbucket.project.NoSuchProjectException",
    )
}

fn no_such_repo(key: &str, slug: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Repository {key}/{slug} does not exist."),
        "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
    )
}

fn no_such_commit(rev: &str, slug: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Commit '{rev}' does not exist in repository '{slug}'."),
        "com.atlassian.bitbucket.commit.NoSuchCommitException",
    )
}

fn no_such_path(path: &str, rev: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("The path \"{path}\" does not exist at revision \"{rev}\""),
        "com.atlassian.bitbucket.content.NoSuchPathException",
    )
}

fn bad_request(message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        message,
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
    )
}

/// Finds a repository the caller may use at `need` level.
pub(crate) fn find_repo<'a>(
    store: &'a Store,
    who: &Principal,
    key: &str,
    slug: &str,
    need: Permission,
) -> Result<&'a Repo, Response> {
    if store.project(key).is_none() {
        return Err(no_such_project(key));
    }
    let repo = store
        .repo_id(key, slug)
        .and_then(|id| store.repos.get(&id))
        .ok_or_else(|| no_such_repo(key, slug))?;
    match repo_permission(store, who, repo) {
        Some(p) if p >= need => Ok(repo),
        _ => Err(not_permitted()),
    }
}

/// Dispatches `{ctx}/rest/api/1.0/<seg…>`.
pub(crate) fn route(store: &mut Store, req: &Req, who: &Principal, s: &[&str]) -> Routed {
    let get = req.method == Method::GET;
    let resp = match s {
        ["application-properties"] if get => application_properties(store),
        ["users"] if get => users(store, req, who),
        ["users", slug] if get => user(store, who, slug),
        ["projects"] if get => projects(store, req, who),
        ["projects", key] if get => project(store, who, key),
        ["projects", key, "repos"] if get => project_repos(store, req, who, key),
        ["repos"] if get => repos(store, req, who),
        ["projects", key, "webhooks", rest @ ..] => {
            return crate::webhooks::project_webhooks(store, req, who, key, rest)
        }
        ["projects", key, "settings", "hooks", hook, rest @ ..] => {
            crate::webhooks::project_plugin_hook(store, req, who, key, hook, rest)
        }
        ["projects", key, "repos", slug, rest @ ..] => {
            return repo_routes(store, req, who, key, slug, rest)
        }
        _ if s.is_empty() => crate::request::html_not_found(&req.raw_path),
        _ => error(
            StatusCode::NOT_FOUND,
            &format!("No resource at {}", req.raw_path),
            "com.sun.jersey.api.NotFoundException",
        ),
    };
    Routed::Done(resp)
}

fn require_user(who: &Principal) -> Result<(), Response> {
    match who {
        Principal::Anonymous => Err(error(
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "com.atlassian.bitbucket.AuthorisationException",
        )),
        _ => Ok(()),
    }
}

fn application_properties(store: &Store) -> Response {
    let v = &store.cfg.version;
    let build: String = {
        let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (a, b, c) =
            (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        format!("{}", a * 1_000_000 + b * 1000 + c)
    };
    ok(&json!({
        "version": v,
        "buildNumber": build,
        "buildDate": "1735689600000",
        "displayName": "Bitbucket",
    }))
}

fn users(store: &Store, req: &Req, who: &Principal) -> Response {
    if let Err(r) = require_user(who) {
        return r;
    }
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let filter = req.q("filter").map(str::to_lowercase);
    let list: Vec<&crate::state::User> = store
        .users
        .values()
        .filter(|u| {
            filter.as_ref().is_none_or(|f| {
                u.name.to_lowercase().contains(f)
                    || u.display_name.to_lowercase().contains(f)
                    || u.email.to_lowercase().contains(f)
            })
        })
        .collect();
    let p = paginate(&store.cfg, Resource::Users, page, &list, true);
    let values = p.values.iter().map(|u| shapes::user(store, u)).collect();
    ok(&p.envelope(values))
}

fn user(store: &Store, who: &Principal, slug: &str) -> Response {
    if let Err(r) = require_user(who) {
        return r;
    }
    match store.users.get(slug) {
        Some(u) => ok(&shapes::user(store, u)),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("User {slug} does not exist."),
            "com.atlassian.bitbucket.user.NoSuchUserException",
        ),
    }
}

fn projects(store: &Store, req: &Req, who: &Principal) -> Response {
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let name = req.q("name").map(str::to_lowercase);
    let need = match req.q("permission") {
        Some(p) => match Permission::parse(p) {
            Some(x) => Some(x),
            None => return bad_request(&format!("permission: unknown value {p:?}")),
        },
        None => None,
    };
    let mut list: Vec<&crate::state::Project> = store
        .projects
        .values()
        .filter(|p| name.as_ref().is_none_or(|n| p.name.to_lowercase().contains(n)))
        .filter(|p| match need {
            Some(level) => project_permission(store, who, p).is_some_and(|x| x >= level),
            None => can_view_project(store, who, p),
        })
        .collect();
    list.sort_by_key(|p| (p.name.to_lowercase(), p.id));
    let p = paginate(&store.cfg, Resource::Projects, page, &list, true);
    let values = p.values.iter().map(|x| shapes::project(store, x)).collect();
    ok(&p.envelope(values))
}

fn project(store: &Store, who: &Principal, key: &str) -> Response {
    match store.project(key) {
        None => no_such_project(key),
        Some(p) if can_view_project(store, who, p) => ok(&shapes::project(store, p)),
        Some(_) => not_permitted(),
    }
}

fn project_repos(store: &Store, req: &Req, who: &Principal, key: &str) -> Response {
    let Some(project) = store.project(key) else {
        return no_such_project(key);
    };
    if !can_view_project(store, who, project) {
        return not_permitted();
    }
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut list: Vec<&Repo> = store
        .repos
        .values()
        .filter(|r| r.project_key == project.key)
        .filter(|r| repo_permission(store, who, r).is_some())
        .collect();
    list.sort_by_key(|r| (r.name.to_lowercase(), r.id));
    let p = paginate(&store.cfg, Resource::Repos, page, &list, true);
    let values = p.values.iter().map(|r| shapes::repository(store, r, true)).collect();
    ok(&p.envelope(values))
}

fn repos(store: &Store, req: &Req, who: &Principal) -> Response {
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let need = match req.q("permission") {
        Some(p) => match Permission::parse(p) {
            Some(x) => x,
            None => return bad_request(&format!("permission: unknown value {p:?}")),
        },
        None => Permission::Read,
    };
    let archived = req.q("archived").unwrap_or("ACTIVE");
    if !matches!(archived, "ACTIVE" | "ARCHIVED" | "ALL") {
        return bad_request(&format!("archived: {archived:?} is not one of ACTIVE, ARCHIVED, ALL"));
    }
    let name = req.q("name").map(str::to_lowercase);
    let project_key = req.q("projectkey").map(str::to_uppercase);
    let project_name = req.q("projectname").map(str::to_lowercase);
    let visibility = req.q("visibility");
    let state_ok = req.q("state").is_none_or(|s| s == "AVAILABLE");
    let mut list: Vec<&Repo> = store
        .repos
        .values()
        .filter(|_| state_ok)
        .filter(|r| match archived {
            "ACTIVE" => !r.archived,
            "ARCHIVED" => r.archived,
            _ => true,
        })
        .filter(|r| name.as_ref().is_none_or(|n| r.name.to_lowercase().contains(n)))
        .filter(|r| project_key.as_ref().is_none_or(|k| *k == r.project_key))
        .filter(|r| {
            project_name.as_ref().is_none_or(|n| {
                store.project(&r.project_key).is_some_and(|p| p.name.to_lowercase().contains(n))
            })
        })
        .filter(|r| match visibility {
            Some("public") => r.public,
            Some("private") => !r.public,
            _ => true,
        })
        .filter(|r| repo_permission(store, who, r).is_some_and(|p| p >= need))
        .collect();
    list.sort_by(|a, b| {
        (a.project_key.as_str(), a.name.to_lowercase(), a.id).cmp(&(
            b.project_key.as_str(),
            b.name.to_lowercase(),
            b.id,
        ))
    });
    let p = paginate(&store.cfg, Resource::Repos, page, &list, true);
    let values = p.values.iter().map(|r| shapes::repository(store, r, true)).collect();
    ok(&p.envelope(values))
}

/// Resolves `at` (default branch head when absent).
fn resolve_at<'a>(repo: &'a Repo, at: Option<&str>) -> Result<(String, &'a Tree), Response> {
    let rev = at.unwrap_or(&repo.default_branch);
    let resolved = repo.history.resolve(rev).ok_or_else(|| no_such_commit(rev, &repo.slug))?;
    let commit =
        repo.history.commit(&resolved.commit).ok_or_else(|| no_such_commit(rev, &repo.slug))?;
    Ok((resolved.commit, &commit.tree))
}

fn repo_routes(
    store: &mut Store,
    req: &Req,
    who: &Principal,
    key: &str,
    slug: &str,
    r: &[&str],
) -> Routed {
    match r {
        ["webhooks", tail @ ..] => {
            return crate::webhooks::repo_webhooks(store, req, who, key, slug, tail)
        }
        ["settings", "hooks", hook, tail @ ..] => {
            return Routed::Done(crate::webhooks::repo_plugin_hook(
                store, req, who, key, slug, hook, tail,
            ))
        }
        _ => {}
    }
    if req.method != Method::GET {
        return Routed::Done(method_not_allowed(&req.method));
    }
    let repo = match find_repo(store, who, key, slug, Permission::Read) {
        Ok(r) => r,
        Err(resp) => return Routed::Done(resp),
    };
    let resp = match r {
        [] => ok(&shapes::repository(store, repo, true)),
        ["default-branch"] => {
            let display =
                repo.default_branch.strip_prefix("refs/heads/").unwrap_or(&repo.default_branch);
            ok(&json!({ "id": repo.default_branch, "displayId": display, "type": "BRANCH" }))
        }
        ["branches", "default"] => {
            let name =
                repo.default_branch.strip_prefix("refs/heads/").unwrap_or(&repo.default_branch);
            if repo.history.commits.is_empty() {
                empty(StatusCode::NO_CONTENT)
            } else {
                match repo.history.branches.get(name) {
                    Some(head) => ok(&shapes::branch(name, head, true)),
                    None => error(
                        StatusCode::NOT_FOUND,
                        &format!(
                            "The default branch '{}' does not exist in repository '{}'.",
                            repo.default_branch, repo.slug
                        ),
                        "com.atlassian.bitbucket.repository.NoSuchBranchException",
                    ),
                }
            }
        }
        ["branches"] => branches(store, req, repo),
        ["tags"] => tags(store, req, repo),
        ["tags", name @ ..] if !name.is_empty() => {
            let name = name.join("/");
            match repo.history.tags.get(&name) {
                Some(t) => ok(&shapes::tag(&name, t)),
                None => error(
                    StatusCode::NOT_FOUND,
                    &format!("Tag '{name}' does not exist in repository '{}'.", repo.slug),
                    "com.atlassian.bitbucket.repository.NoSuchTagException",
                ),
            }
        }
        ["files", path @ ..] => files(store, req, repo, &path.join("/")),
        ["browse", path @ ..] => browse(store, req, repo, &path.join("/")),
        ["raw", path @ ..] if !path.is_empty() => raw(req, repo, &path.join("/")),
        ["commits"] => commits(store, req, repo),
        ["commits", id] => match repo.history.resolve(id) {
            Some(res) => match repo.history.commit(&res.commit) {
                Some(c) => ok(&shapes::commit(c, shapes::TimestampStyle::EpochMs)),
                None => no_such_commit(id, &repo.slug),
            },
            None => no_such_commit(id, &repo.slug),
        },
        ["commits", id, "changes"] => commit_changes(store, req, repo, id),
        ["compare", "changes"] => compare_changes(store, req, repo),
        ["compare", "commits"] => compare_commits(store, req, repo),
        _ => error(
            StatusCode::NOT_FOUND,
            &format!("No resource at {}", req.raw_path),
            "com.sun.jersey.api.NotFoundException",
        ),
    };
    Routed::Done(resp)
}

fn branches(store: &Store, req: &Req, repo: &Repo) -> Response {
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let filter = req.q("filterText").map(str::to_lowercase);
    let default = repo.default_branch.strip_prefix("refs/heads/").unwrap_or("");
    let mut names: Vec<String> = match req.q("orderBy") {
        Some("MODIFICATION") => repo.history.branch_touch.iter().rev().cloned().collect(),
        _ => repo.history.branches.keys().cloned().collect(),
    };
    names.retain(|n| filter.as_ref().is_none_or(|f| n.to_lowercase().contains(f)));
    // Bitbucket lists the default branch first.
    if let Some(pos) = names.iter().position(|n| n == default) {
        let d = names.remove(pos);
        names.insert(0, d);
    }
    let p = paginate(&store.cfg, Resource::Branches, page, &names, true);
    let values = p
        .values
        .iter()
        .filter_map(|n| {
            repo.history.branches.get(n).map(|head| shapes::branch(n, head, n == default))
        })
        .collect();
    ok(&p.envelope(values))
}

fn tags(store: &Store, req: &Req, repo: &Repo) -> Response {
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let filter = req.q("filterText").map(str::to_lowercase);
    let names: Vec<&String> = repo
        .history
        .tags
        .keys()
        .filter(|n| filter.as_ref().is_none_or(|f| n.to_lowercase().contains(f)))
        .collect();
    let p = paginate(&store.cfg, Resource::Tags, page, &names, true);
    let values = p
        .values
        .iter()
        .filter_map(|n| repo.history.tags.get(*n).map(|t| shapes::tag(n, t)))
        .collect();
    ok(&p.envelope(values))
}

fn files(store: &Store, req: &Req, repo: &Repo, dir: &str) -> Response {
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (commit, tree) = match resolve_at(repo, req.q("at")) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
    let list: Vec<String> =
        tree.keys().filter_map(|p| p.strip_prefix(prefix.as_str()).map(str::to_owned)).collect();
    if list.is_empty() && !dir.is_empty() {
        return no_such_path(dir, &commit);
    }
    let p = paginate(&store.cfg, Resource::Files, page, &list, true);
    let values = p.values.iter().map(|s| json!(s)).collect();
    ok(&p.envelope(values))
}

fn browse(store: &Store, req: &Req, repo: &Repo, path: &str) -> Response {
    let at = req.q("at");
    let (commit, tree) = match resolve_at(repo, at) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let revision = at.unwrap_or(&repo.default_branch).to_owned();
    if let Some(bytes) = (!path.is_empty()).then(|| tree.get(path)).flatten() {
        if req.q_true("size") {
            return ok(&json!({ "size": bytes.len() }));
        }
        if req.q_true("type") {
            return ok(&json!({ "type": "FILE" }));
        }
        let page = match req.page() {
            Ok(p) => p,
            Err(r) => return r,
        };
        let text = String::from_utf8_lossy(bytes);
        let mut lines: Vec<&str> = text.split('\n').collect();
        if text.ends_with('\n') {
            lines.pop();
        }
        let lines: Vec<&str> =
            lines.into_iter().map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        let p = paginate(&store.cfg, Resource::BrowseLines, page, &lines, false);
        let mut v = json!({
            "lines": p.values.iter().map(|l| json!({ "text": l })).collect::<Vec<_>>(),
            "start": p.start,
            "size": p.values.len(),
            "limit": p.limit,
            "isLastPage": p.is_last,
        });
        if let (Some(n), Some(obj)) = (p.next_start, v.as_object_mut()) {
            obj.insert("nextPageStart".into(), json!(n));
        }
        return ok(&v);
    }
    let prefix = if path.is_empty() { String::new() } else { format!("{path}/") };
    // Immediate children: (name, is_dir, size, content id).
    let mut children: Vec<(String, bool, usize, Option<String>)> = Vec::new();
    for (p, bytes) in tree.range(prefix.clone()..) {
        let Some(rel) = p.strip_prefix(prefix.as_str()) else {
            break;
        };
        match rel.split_once('/') {
            Some((d, _)) => {
                if !children.iter().any(|(n, is_dir, _, _)| *is_dir && n == d) {
                    children.push((d.to_owned(), true, 0, None));
                }
            }
            None => children.push((
                rel.to_owned(),
                false,
                bytes.len(),
                Some(crate::history::blob_id(bytes)),
            )),
        }
    }
    if children.is_empty() && !path.is_empty() {
        return no_such_path(path, &revision);
    }
    if req.q_true("size") {
        return bad_request(&format!("\"{path}\" is a directory; size is only defined for files"));
    }
    if req.q_true("type") {
        return ok(&json!({ "type": "DIRECTORY" }));
    }
    children.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let p = paginate(&store.cfg, Resource::BrowseChildren, page, &children, true);
    let values = p
        .values
        .iter()
        .map(|(name, is_dir, size, content_id)| {
            let mut v = json!({
                "path": { "components": [name], "name": name, "toString": name },
                "type": if *is_dir { "DIRECTORY" } else { "FILE" },
            });
            if let Some(obj) = v.as_object_mut() {
                if !is_dir {
                    obj.insert("size".into(), json!(size));
                }
                if let Some(id) = content_id {
                    obj.insert("contentId".into(), json!(id));
                }
            }
            v
        })
        .collect();
    let _ = commit;
    ok(&json!({
        "path": shapes::path(path),
        "revision": revision,
        "children": p.envelope(values),
    }))
}

fn raw(req: &Req, repo: &Repo, path: &str) -> Response {
    let (commit, tree) = match resolve_at(repo, req.q("at")) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match tree.get(path) {
        Some(bytes) => {
            let ct = if std::str::from_utf8(bytes).is_ok() {
                "text/plain;charset=UTF-8"
            } else {
                "application/octet-stream"
            };
            with_body(StatusCode::OK, ct, bytes.as_ref().clone())
        }
        None => no_such_path(path, &commit),
    }
}

fn commits(store: &Store, req: &Req, repo: &Repo) -> Response {
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let until_rev = req.q("until").unwrap_or(&repo.default_branch);
    let Some(until) = repo.history.resolve(until_rev) else {
        return no_such_commit(until_rev, &repo.slug);
    };
    let since = match req.q("since") {
        Some(s) => match repo.history.resolve(s) {
            Some(r) => Some(r.commit),
            None => return no_such_commit(s, &repo.slug),
        },
        None => None,
    };
    let mut log = repo.history.log(&until.commit, since.as_deref());
    if let Some(path) = req.q("path").filter(|p| !p.is_empty()) {
        let path = path.trim_matches('/');
        log.retain(|c| {
            let parent_tree = c
                .parents
                .first()
                .and_then(|p| repo.history.commit(p))
                .map(|p| p.tree.clone())
                .unwrap_or_default();
            diff(&parent_tree, &c.tree)
                .iter()
                .any(|ch| ch.path == path || ch.path.starts_with(&format!("{path}/")))
        });
    }
    match req.q("merges") {
        Some("only") => log.retain(|c| c.parents.len() > 1),
        Some("exclude") => log.retain(|c| c.parents.len() <= 1),
        _ => {}
    }
    let p = paginate(&store.cfg, Resource::Commits, page, &log, true);
    let values =
        p.values.iter().map(|c| shapes::commit(c, shapes::TimestampStyle::EpochMs)).collect();
    ok(&p.envelope(values))
}

fn changes_page(
    store: &Store,
    req: &Req,
    mut changes: Vec<FileChange>,
    from: Option<&str>,
    to: &str,
) -> Response {
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    // page.max.changes: anything past the cap cannot be paged to.
    changes.truncate(store.cfg.max_changes);
    let p = paginate(&store.cfg, Resource::Changes, page, &changes, true);
    let values = p.values.iter().map(shapes::change).collect();
    let mut v = p.envelope(values);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("fromHash".into(), json!(from));
        obj.insert("toHash".into(), json!(to));
        obj.insert("properties".into(), json!({}));
    }
    ok(&v)
}

fn commit_changes(store: &Store, req: &Req, repo: &Repo, id: &str) -> Response {
    let Some(c) = repo.history.resolve(id).and_then(|r| repo.history.commit(&r.commit)) else {
        return no_such_commit(id, &repo.slug);
    };
    let since = match req.q("since") {
        Some(s) => match repo.history.resolve(s) {
            Some(r) => Some(r.commit),
            None => return no_such_commit(s, &repo.slug),
        },
        None => c.parents.first().cloned(),
    };
    let base_tree = since
        .as_deref()
        .and_then(|s| repo.history.commit(s))
        .map(|p| p.tree.clone())
        .unwrap_or_default();
    changes_page(store, req, diff(&base_tree, &c.tree), since.as_deref(), &c.id)
}

fn compare_revs(req: &Req, repo: &Repo) -> Result<(String, String), Response> {
    let (Some(from), Some(to)) = (req.q("from"), req.q("to")) else {
        return Err(bad_request("Both 'from' and 'to' are required"));
    };
    let f = repo.history.resolve(from).ok_or_else(|| no_such_commit(from, &repo.slug))?;
    let t = repo.history.resolve(to).ok_or_else(|| no_such_commit(to, &repo.slug))?;
    Ok((f.commit, t.commit))
}

fn compare_changes(store: &Store, req: &Req, repo: &Repo) -> Response {
    let (from, to) = match compare_revs(req, repo) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let base = repo.history.merge_base(&from, &to);
    let base_tree = base
        .as_deref()
        .and_then(|b| repo.history.commit(b))
        .map(|c| c.tree.clone())
        .unwrap_or_default();
    let from_tree = repo.history.commit(&from).map(|c| c.tree.clone()).unwrap_or_default();
    changes_page(store, req, diff(&base_tree, &from_tree), Some(&to), &from)
}

fn compare_commits(store: &Store, req: &Req, repo: &Repo) -> Response {
    let (from, to) = match compare_revs(req, repo) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let page = match req.page() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let log = repo.history.log(&from, Some(&to));
    let p = paginate(&store.cfg, Resource::Commits, page, &log, true);
    let values: Vec<Value> =
        p.values.iter().map(|c| shapes::commit(c, shapes::TimestampStyle::EpochMs)).collect();
    ok(&p.envelope(values))
}
