//! Who is calling (Basic, Bearer, OAuth 1.0a), what they may do, and the rate-limit bucket.

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;

use crate::request::{error, Req};
use crate::state::{Bucket, Permission, Project, Repo, Store, TokenOwner};

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// No credentials.
    Anonymous,
    /// A user, optionally capped by the permission of the token used.
    User { name: String, cap: Option<Permission> },
    /// A project access token.
    ProjectToken { key: String, cap: Permission },
    /// A repository access token.
    RepoToken { repo: u64, cap: Permission },
}

impl Principal {
    /// User name behind the principal, if any.
    pub fn user(&self) -> Option<&str> {
        match self {
            Principal::User { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// Scheme the credentials came with (rate limiting applies to Basic and Bearer only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    None,
    Basic,
    Bearer,
    OAuth,
}

fn auth_failed(message: &str) -> Response {
    let mut resp = error(
        StatusCode::UNAUTHORIZED,
        message,
        "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
    );
    resp.headers_mut()
        .insert("WWW-Authenticate", HeaderValue::from_static("Basic realm=\"Bitbucket\""));
    resp
}

fn token_principal(store: &Store, secret: &str, scheme: Scheme) -> Result<Principal, Response> {
    let Some(tok) = store.tokens.get(secret) else {
        return Err(auth_failed(
            "Authentication failed. Please check your credentials and try again.",
        ));
    };
    if tok.expires_at.is_some_and(|exp| store.now_ms() >= exp) {
        return Err(auth_failed("Authentication failed. The access token has expired."));
    }
    Ok(match &tok.owner {
        TokenOwner::User(name) => Principal::User {
            name: name.clone(),
            cap: Some(tok.permission),
        },
        TokenOwner::Project(key) if scheme == Scheme::Bearer => Principal::ProjectToken {
            key: key.clone(),
            cap: tok.permission,
        },
        TokenOwner::Repo(id) if scheme == Scheme::Bearer => Principal::RepoToken {
            repo: *id,
            cap: tok.permission,
        },
        _ => {
            return Err(auth_failed(
                "Authentication failed. Project and repository access tokens must be sent as Bearer tokens.",
            ))
        }
    })
}

/// Resolves the caller from the `Authorization` header.
pub(crate) fn authenticate(store: &mut Store, req: &Req) -> Result<(Principal, Scheme), Response> {
    let Some(value) = req.header("authorization") else {
        return Ok((Principal::Anonymous, Scheme::None));
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" => token_principal(store, rest, Scheme::Bearer).map(|p| (p, Scheme::Bearer)),
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let Some((user, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                return Err(auth_failed("Authentication failed: malformed Basic credentials."));
            };
            let Some(u) = store.users.get(user) else {
                return Err(auth_failed(
                    "Authentication failed. Please check your credentials and try again.",
                ));
            };
            if u.password.as_deref() == Some(secret) {
                return Ok((Principal::User { name: u.name.clone(), cap: None }, Scheme::Basic));
            }
            let p = token_principal(store, secret, Scheme::Basic)?;
            match &p {
                Principal::User { name, .. } if name == user => Ok((p, Scheme::Basic)),
                _ => Err(auth_failed(
                    "Authentication failed. Please check your credentials and try again.",
                )),
            }
        }
        "oauth" => crate::oauth::authenticate_rest(store, req)
            .map(|name| (Principal::User { name, cap: None }, Scheme::OAuth)),
        _ => Err(auth_failed(&format!("Authentication scheme {scheme:?} is not supported"))),
    }
}

fn cap(p: Option<Permission>, c: Option<Permission>) -> Option<Permission> {
    match (p, c) {
        (Some(p), Some(c)) => Some(p.min(c)),
        (p, None) => p,
        (None, _) => None,
    }
}

/// Effective permission of `principal` on `repo`.
pub(crate) fn repo_permission(
    store: &Store,
    principal: &Principal,
    repo: &Repo,
) -> Option<Permission> {
    let project = store.project(&repo.project_key);
    let public = repo.public || project.is_some_and(|p| p.public);
    let public_read = public.then_some(Permission::Read);
    match principal {
        Principal::Anonymous => public_read,
        Principal::User { name, cap: c } => {
            let u = store.users.get(name)?;
            let owner = project.and_then(|p| p.owner.as_deref()) == Some(name.as_str());
            let granted = if u.sysadmin || owner {
                Some(Permission::Admin)
            } else {
                [
                    u.project_perms.get(&repo.project_key).copied(),
                    u.repo_perms.get(&repo.id).copied(),
                    public_read,
                ]
                .into_iter()
                .flatten()
                .max()
            };
            cap(granted, *c)
        }
        Principal::ProjectToken { key, cap } => (key == &repo.project_key).then_some(*cap),
        Principal::RepoToken { repo: id, cap } => (*id == repo.id).then_some(*cap),
    }
}

/// Effective permission of `principal` on `project` itself (project admin operations).
pub(crate) fn project_permission(
    store: &Store,
    principal: &Principal,
    project: &Project,
) -> Option<Permission> {
    match principal {
        Principal::Anonymous => project.public.then_some(Permission::Read),
        Principal::User { name, cap: c } => {
            let u = store.users.get(name)?;
            let granted = if u.sysadmin || project.owner.as_deref() == Some(name.as_str()) {
                Some(Permission::Admin)
            } else {
                [
                    u.project_perms.get(&project.key).copied(),
                    project.public.then_some(Permission::Read),
                ]
                .into_iter()
                .flatten()
                .max()
            };
            cap(granted, *c)
        }
        Principal::ProjectToken { key, cap } => (key == &project.key).then_some(*cap),
        Principal::RepoToken { .. } => None,
    }
}

/// PROJECT_VIEW: a project permission, or read access to any of its repositories.
pub(crate) fn can_view_project(store: &Store, principal: &Principal, project: &Project) -> bool {
    project_permission(store, principal, project).is_some()
        || store
            .repos
            .values()
            .filter(|r| r.project_key == project.key)
            .any(|r| repo_permission(store, principal, r).is_some())
}

/// Takes one token from the caller's bucket, or answers 429 with `Retry-After`.
pub(crate) fn rate_limit(
    store: &mut Store,
    principal: &Principal,
    scheme: Scheme,
) -> Result<(), Response> {
    let Some(limit) = store.rate_limit else {
        return Ok(());
    };
    if !matches!(scheme, Scheme::Basic | Scheme::Bearer) {
        return Ok(());
    }
    let key = format!("{principal:?}");
    let now = std::time::Instant::now();
    let capacity = f64::from(limit.capacity.max(1));
    let bucket = store.buckets.entry(key).or_insert(Bucket { tokens: capacity, last: now });
    let elapsed = now.duration_since(bucket.last).as_secs_f64();
    bucket.tokens = (bucket.tokens + elapsed * limit.refill_per_sec).min(capacity);
    bucket.last = now;
    if bucket.tokens >= 1.0 {
        bucket.tokens -= 1.0;
        return Ok(());
    }
    let wait = if limit.refill_per_sec > 0.0 {
        ((1.0 - bucket.tokens) / limit.refill_per_sec).ceil().max(1.0)
    } else {
        60.0
    };
    let mut resp = error(
        StatusCode::TOO_MANY_REQUESTS,
        "You have been rate limited. Please wait before retrying.",
        "com.atlassian.bitbucket.throttle.RateLimitedException",
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{wait:.0}")) {
        resp.headers_mut().insert("Retry-After", v);
    }
    Err(resp)
}
