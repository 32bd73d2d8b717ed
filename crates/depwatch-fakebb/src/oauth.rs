//! OAuth 1.0a service provider (RSA-SHA1), as the Atlassian OAuth plugin behaves:
//! POST-only token servlets, an Approve/Deny page, RFC 5849 signature verification,
//! timestamp window, nonce cache, and net.oauth problem reporting.

use std::collections::HashMap;

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use rand::distributions::Alphanumeric;
use rand::Rng;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha1::{Digest, Sha1};

use crate::request::{empty, escape_html, html, text, Req};
use crate::state::Store;
use crate::FakeError;

/// A registered consumer (Application Link, incoming authentication).
#[derive(Debug, Clone)]
pub struct Consumer {
    /// Consumer name shown on the authorize page.
    pub name: String,
    /// Public key the signatures are checked with.
    pub public_key: RsaPublicKey,
    /// Consumer callback URL; when set it overrides `oob` and the token's callback.
    pub callback: Option<String>,
}

impl Consumer {
    /// Builds a consumer from a PEM public key (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(
        key: &str,
        name: &str,
        public_key_pem: &str,
        callback: Option<&str>,
    ) -> Result<Self, FakeError> {
        let public_key = RsaPublicKey::from_public_key_pem(public_key_pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(public_key_pem))
            .map_err(|e| FakeError::Invalid(format!("consumer {key}: public key PEM: {e}")))?;
        Ok(Consumer { name: name.to_owned(), public_key, callback: callback.map(str::to_owned) })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Approval {
    Pending,
    Approved { user: String, verifier: String },
    Denied,
}

#[derive(Debug, Clone)]
struct RequestToken {
    consumer: String,
    /// Callback URL; `None` for `oob` and for 1.0 tokens.
    callback: Option<String>,
    /// Created with `oauth_callback` (OAuth 1.0a): a verifier is required later.
    v1a: bool,
    created_ms: i64,
    approval: Approval,
    xsrf: Option<String>,
}

#[derive(Debug, Clone)]
struct AccessToken {
    consumer: String,
    user: String,
    expires_ms: i64,
    session_handle: String,
    session_expires_ms: i64,
    revoked: bool,
}

/// OAuth state of one instance.
#[derive(Debug, Default)]
pub struct OAuthState {
    pub(crate) consumers: HashMap<String, Consumer>,
    request_tokens: HashMap<String, RequestToken>,
    access_tokens: HashMap<String, AccessToken>,
    /// (consumer, nonce, timestamp) → server time seen (ms).
    nonces: HashMap<(String, String, String), i64>,
}

impl OAuthState {
    /// Marks an access token revoked (REST calls then get `token_rejected`).
    pub fn revoke(&mut self, token: &str) -> bool {
        match self.access_tokens.get_mut(token) {
            Some(t) => {
                t.revoked = true;
                true
            }
            None => false,
        }
    }

    /// Issues an access token for `user` directly (seeding, without the dance).
    pub(crate) fn issue_access(
        &mut self,
        consumer: &str,
        user: &str,
        now: i64,
        cfg: &crate::Config,
    ) -> (String, String) {
        let token = random_token(32);
        let handle = random_token(32);
        self.access_tokens.insert(
            token.clone(),
            AccessToken {
                consumer: consumer.to_owned(),
                user: user.to_owned(),
                expires_ms: now.saturating_add(ms(cfg.access_token_ttl)),
                session_handle: handle.clone(),
                session_expires_ms: now.saturating_add(ms(cfg.session_ttl)),
                revoked: false,
            },
        );
        (token, handle)
    }
}

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn random_token(len: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// RFC 3986 percent-encoding with the unreserved set `A-Za-z0-9-._~` (RFC 5849 §3.6).
pub fn percent_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// RFC 5849 §3.4.1 signature base string.
pub fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> =
        params.iter().map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    enc.sort();
    let normalized = enc.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(base_uri),
        percent_encode(&normalized)
    )
}

/// Parses `OAuth realm="x", oauth_consumer_key="y", …` into decoded pairs.
pub fn parse_oauth_header(value: &str) -> Option<Vec<(String, String)>> {
    let rest = value.trim();
    let (scheme, params) = rest.split_once(' ').unwrap_or((rest, ""));
    if !scheme.eq_ignore_ascii_case("oauth") {
        return None;
    }
    let mut out = Vec::new();
    for part in params.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=')?;
        let v = v.trim().trim_matches('"');
        let decoded = percent_encoding::percent_decode_str(v).decode_utf8().ok()?.into_owned();
        out.push((k.trim().to_owned(), decoded));
    }
    Some(out)
}

/// Status of an `oauth_problem`, per net.oauth's `OAuth.Problems` mapping.
pub fn problem_status(problem: &str) -> StatusCode {
    match problem {
        "version_rejected"
        | "parameter_absent"
        | "parameter_rejected"
        | "timestamp_refused"
        | "signature_method_rejected" => StatusCode::BAD_REQUEST,
        "nonce_used"
        | "token_used"
        | "token_expired"
        | "token_revoked"
        | "token_rejected"
        | "token_not_authorized"
        | "signature_invalid"
        | "consumer_key_unknown"
        | "consumer_key_rejected"
        | "additional_authorization_required"
        | "permission_unknown"
        | "permission_denied" => StatusCode::UNAUTHORIZED,
        "user_refused" | "consumer_key_refused" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::FORBIDDEN,
    }
}

/// An OAuth error: `WWW-Authenticate: OAuth realm=…, oauth_problem=…` and a form body.
pub(crate) fn problem(store: &Store, name: &str, extra: &[(&str, String)]) -> Response {
    let mut body = format!("oauth_problem={}", percent_encode(name));
    for (k, v) in extra {
        body.push('&');
        body.push_str(&percent_encode(k));
        body.push('=');
        body.push_str(&percent_encode(v));
    }
    let mut resp = text(problem_status(name), body);
    let header = format!(
        "OAuth realm=\"{}\", oauth_problem=\"{}\"",
        store.base_url.replace('"', "%22"),
        percent_encode(name)
    );
    if let Ok(v) = HeaderValue::from_str(&header) {
        resp.headers_mut().insert("WWW-Authenticate", v);
    }
    resp
}

/// The base URI of a request as the server sees it (RFC 5849 §3.4.1.2).
fn request_base_uri(store: &Store, req: &Req) -> String {
    let rel = req.raw_path.strip_prefix(&store.context).unwrap_or(&req.raw_path);
    if let Some(public) = &store.cfg.public_base_url {
        return format!("{}{}", public.trim_end_matches('/'), rel);
    }
    let host = req.header("host").unwrap_or("localhost").to_ascii_lowercase();
    let host = host.strip_suffix(":80").unwrap_or(&host);
    format!("http://{host}{}", req.raw_path)
}

/// A request whose signature, timestamp and nonce checked out.
struct Signed {
    consumer: String,
    params: Vec<(String, String)>,
}

impl Signed {
    fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Checks an OAuth-signed request (header, query or form parameters).
fn verify(store: &mut Store, req: &Req) -> Result<Signed, Response> {
    let header = req.header("authorization").and_then(parse_oauth_header).unwrap_or_default();
    let mut params: Vec<(String, String)> = req.query.clone();
    params.extend(req.form_body());
    let mut signature = None;
    for (k, v) in header {
        if k == "realm" {
            continue;
        }
        if k == "oauth_signature" {
            signature = Some(v);
            continue;
        }
        if k.starts_with("oauth_") {
            params.push((k, v));
        }
    }
    if signature.is_none() {
        if let Some(pos) = params.iter().position(|(k, _)| k == "oauth_signature") {
            signature = Some(params.remove(pos).1);
        }
    }
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let required =
        ["oauth_consumer_key", "oauth_signature_method", "oauth_timestamp", "oauth_nonce"];
    let mut absent: Vec<&str> = required.iter().copied().filter(|n| get(n).is_none()).collect();
    if signature.is_none() {
        absent.push("oauth_signature");
    }
    if !absent.is_empty() {
        return Err(problem(
            store,
            "parameter_absent",
            &[("oauth_parameters_absent", absent.join("&"))],
        ));
    }
    if let Some(version) = get("oauth_version") {
        if version != "1.0" {
            return Err(problem(
                store,
                "version_rejected",
                &[("oauth_acceptable_versions", "1.0-1.0".to_owned())],
            ));
        }
    }
    if get("oauth_signature_method").as_deref() != Some("RSA-SHA1") {
        return Err(problem(
            store,
            "signature_method_rejected",
            &[("oauth_acceptable_signature_methods", "RSA-SHA1".to_owned())],
        ));
    }
    let consumer_key = get("oauth_consumer_key").unwrap_or_default();
    let Some(consumer) = store.oauth.consumers.get(&consumer_key).cloned() else {
        return Err(problem(store, "consumer_key_unknown", &[]));
    };
    let timestamp = get("oauth_timestamp").unwrap_or_default();
    let now = store.now_ms();
    let window = ms(store.cfg.timestamp_window);
    let ts_ok = timestamp
        .parse::<i64>()
        .ok()
        .map(|t| t.saturating_mul(1000))
        .is_some_and(|t| (t - now).abs() <= window);
    if !ts_ok {
        let lo = (now - window) / 1000;
        let hi = (now + window) / 1000;
        return Err(problem(
            store,
            "timestamp_refused",
            &[("oauth_acceptable_timestamps", format!("{lo}-{hi}"))],
        ));
    }
    let nonce = get("oauth_nonce").unwrap_or_default();
    let nonce_key = (consumer_key.clone(), nonce, timestamp);
    if store.oauth.nonces.contains_key(&nonce_key) {
        return Err(problem(store, "nonce_used", &[]));
    }
    let base = base_string(req.method.as_str(), &request_base_uri(store, req), &params);
    let sig_b64 = signature.unwrap_or_default();
    let valid = base64::engine::general_purpose::STANDARD
        .decode(sig_b64.as_bytes())
        .ok()
        .is_some_and(|sig| {
            consumer
                .public_key
                .verify(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(base.as_bytes()), &sig)
                .is_ok()
        });
    if !valid {
        return Err(problem(
            store,
            "signature_invalid",
            &[
                ("oauth_signature", sig_b64),
                ("oauth_signature_base_string", base),
                ("oauth_signature_method", "RSA-SHA1".to_owned()),
            ],
        ));
    }
    // Forget nonces that left the timestamp window, then remember this one.
    store.oauth.nonces.retain(|_, seen| now - *seen <= 2 * window);
    store.oauth.nonces.insert(nonce_key, now);
    Ok(Signed { consumer: consumer_key, params })
}

/// Authenticates a REST call signed with an access token; returns the user name.
pub(crate) fn authenticate_rest(store: &mut Store, req: &Req) -> Result<String, Response> {
    let signed = verify(store, req)?;
    let Some(token) = signed.get("oauth_token").map(str::to_owned) else {
        return Err(problem(
            store,
            "parameter_absent",
            &[("oauth_parameters_absent", "oauth_token".to_owned())],
        ));
    };
    let now = store.now_ms();
    match store.oauth.access_tokens.get(&token) {
        None => Err(problem(store, "token_rejected", &[])),
        Some(t) if t.revoked || t.consumer != signed.consumer => {
            Err(problem(store, "token_rejected", &[]))
        }
        Some(t) if now >= t.expires_ms => Err(problem(store, "token_expired", &[])),
        Some(t) => Ok(t.user.clone()),
    }
}

/// Validates an `oauth_callback`: `oob`, or an absolute http(s) URI with a host.
fn valid_callback(cb: &str) -> bool {
    if cb == "oob" {
        return true;
    }
    let rest = cb.strip_prefix("http://").or_else(|| cb.strip_prefix("https://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !cb.contains(char::is_whitespace)
    })
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `POST {ctx}/plugins/servlet/oauth/request-token`.
pub(crate) fn request_token(store: &mut Store, req: &Req) -> Response {
    if req.method != Method::POST {
        return empty(StatusCode::OK);
    }
    let signed = match verify(store, req) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let callback = signed.get("oauth_callback").map(str::to_owned);
    if let Some(cb) = &callback {
        if !valid_callback(cb) {
            return problem(
                store,
                "parameter_rejected",
                &[("oauth_parameters_rejected", "oauth_callback".to_owned())],
            );
        }
    }
    let token = random_token(32);
    let secret = random_token(32);
    let v1a = callback.is_some();
    store.oauth.request_tokens.insert(
        token.clone(),
        RequestToken {
            consumer: signed.consumer.clone(),
            callback: callback.filter(|c| c != "oob"),
            v1a,
            created_ms: store.now_ms(),
            approval: Approval::Pending,
            xsrf: None,
        },
    );
    let mut pairs = vec![("oauth_token", token.as_str()), ("oauth_token_secret", secret.as_str())];
    if v1a {
        pairs.push(("oauth_callback_confirmed", "true"));
    }
    text(StatusCode::OK, form(&pairs))
}

fn request_token_live(store: &Store, token: &str) -> Result<RequestToken, &'static str> {
    let t = store
        .oauth
        .request_tokens
        .get(token)
        .ok_or("The request token is invalid or has already been used.")?;
    if store.now_ms() - t.created_ms > ms(store.cfg.request_token_ttl) {
        return Err("The request token has expired.");
    }
    Ok(t.clone())
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{} - Bitbucket</title></head>\n<body>\n{}\n</body></html>\n",
        escape_html(title),
        body
    )
}

/// The browser user: Basic credentials if given and valid, else the configured browser user,
/// else the first system administrator, else the first user.
fn browser_user(store: &Store, req: &Req) -> Option<String> {
    if let Some(basic) = req.header("authorization").and_then(|h| h.strip_prefix("Basic ")) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((u, p)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
            if store.users.get(u).and_then(|x| x.password.as_deref()) == Some(p) {
                return Some(u.to_owned());
            }
        }
        return None;
    }
    if let Some(u) = &store.cfg.browser_user {
        return store.users.contains_key(u).then(|| u.clone());
    }
    store
        .users
        .values()
        .find(|u| u.sysadmin)
        .or_else(|| store.users.values().next())
        .map(|u| u.name.clone())
}

/// `GET`/`POST {ctx}/plugins/servlet/oauth/authorize`.
pub(crate) fn authorize(store: &mut Store, req: &Req) -> Response {
    let form_params = req.form_body();
    let param = |name: &str| {
        form_params.iter().chain(req.query.iter()).find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };
    let Some(token) = param("oauth_token") else {
        return html(StatusCode::BAD_REQUEST, page("OAuth error", "<p>Missing oauth_token.</p>"));
    };
    let rt = match request_token_live(store, &token) {
        Ok(t) => t,
        Err(msg) => {
            return html(
                StatusCode::BAD_REQUEST,
                page("OAuth error", &format!("<p>{}</p>", escape_html(msg))),
            )
        }
    };
    let Some(user) = browser_user(store, req) else {
        return html(
            StatusCode::UNAUTHORIZED,
            page("Log in", "<p>You must log in to authorize this application.</p>"),
        );
    };
    let consumer = store.oauth.consumers.get(&rt.consumer).cloned();
    let consumer_name = consumer.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let ctx = store.context.clone();
    if req.method == Method::GET {
        let xsrf = random_token(20);
        if let Some(t) = store.oauth.request_tokens.get_mut(&token) {
            t.xsrf = Some(xsrf.clone());
        }
        // OAuth 1.0 tokens may carry their callback on the authorize URL.
        let cb_field = param("oauth_callback")
            .map(|cb| {
                format!(
                    "<input type=\"hidden\" name=\"oauth_callback\" value=\"{}\">",
                    escape_html(&cb)
                )
            })
            .unwrap_or_default();
        let body = format!(
            "<h1>Authorize {name}</h1>\n<p>{name} wants to access Bitbucket as <strong>{user}</strong>.</p>\n\
             <form id=\"oauth-authorize\" method=\"POST\" action=\"{ctx}/plugins/servlet/oauth/authorize\">\n\
             <input type=\"hidden\" name=\"oauth_token\" value=\"{token}\">\n\
             <input type=\"hidden\" name=\"atl_token\" value=\"{xsrf}\">\n{cb_field}\n\
             <input type=\"submit\" name=\"approve\" value=\"Allow\">\n\
             <input type=\"submit\" name=\"deny\" value=\"Deny\">\n</form>",
            name = escape_html(&consumer_name),
            user = escape_html(&user),
            token = escape_html(&token),
        );
        return html(StatusCode::OK, page("Authorize access", &body));
    }
    if req.method != Method::POST {
        return crate::request::method_not_allowed(&req.method);
    }
    let xsrf_ok = rt.xsrf.is_some() && param("atl_token") == rt.xsrf;
    if !xsrf_ok {
        return html(StatusCode::FORBIDDEN, page("XSRF check failed", "<p>XSRF check failed</p>"));
    }
    let approved = param("approve").is_some();
    let denied = param("deny").is_some();
    if approved == denied {
        return html(StatusCode::BAD_REQUEST, page("OAuth error", "<p>Choose Allow or Deny.</p>"));
    }
    let verifier = if approved {
        rand::thread_rng().sample_iter(&Alphanumeric).take(6).map(char::from).collect::<String>()
    } else {
        "denied".to_owned()
    };
    if let Some(t) = store.oauth.request_tokens.get_mut(&token) {
        t.approval = if approved {
            Approval::Approved { user: user.clone(), verifier: verifier.clone() }
        } else {
            Approval::Denied
        };
        t.xsrf = None;
    }
    let target = consumer
        .and_then(|c| c.callback)
        .or(rt.callback.clone())
        .or_else(|| (!rt.v1a).then(|| param("oauth_callback")).flatten());
    match target {
        Some(url) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            let mut location = format!("{url}{sep}oauth_token={}", percent_encode(&token));
            if rt.v1a {
                location.push_str(&format!("&oauth_verifier={}", percent_encode(&verifier)));
            }
            let mut resp = empty(StatusCode::FOUND);
            if let Ok(v) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert("Location", v);
            }
            resp
        }
        None if approved => html(
            StatusCode::OK,
            page(
                "Access approved",
                &format!(
                    "<h1>Access approved</h1>\n<p>Enter this verification code in {}:</p>\n<p><code id=\"oauth-verifier\">{}</code></p>",
                    escape_html(&consumer_name),
                    escape_html(&verifier)
                ),
            ),
        ),
        None => html(
            StatusCode::OK,
            page(
                "Access denied",
                &format!(
                    "<h1>Access denied</h1>\n<p>You have denied {} access to your account.</p>",
                    escape_html(&consumer_name)
                ),
            ),
        ),
    }
}

fn access_body(store: &Store, token: &str, handle: &str) -> Response {
    let secret = random_token(32);
    let expires = store.cfg.access_token_ttl.as_secs().to_string();
    let auth_expires = store.cfg.session_ttl.as_secs().to_string();
    text(
        StatusCode::OK,
        form(&[
            ("oauth_token", token),
            ("oauth_token_secret", &secret),
            ("oauth_expires_in", &expires),
            ("oauth_session_handle", handle),
            ("oauth_authorization_expires_in", &auth_expires),
        ]),
    )
}

/// `POST {ctx}/plugins/servlet/oauth/access-token`: exchange or renewal.
pub(crate) fn access_token(store: &mut Store, req: &Req) -> Response {
    if req.method != Method::POST {
        return empty(StatusCode::OK);
    }
    let signed = match verify(store, req) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let Some(token) = signed.get("oauth_token").map(str::to_owned) else {
        return problem(
            store,
            "parameter_absent",
            &[("oauth_parameters_absent", "oauth_token".to_owned())],
        );
    };
    let now = store.now_ms();
    if let Some(rt) = store.oauth.request_tokens.get(&token).cloned() {
        if rt.consumer != signed.consumer {
            return problem(store, "token_rejected", &[]);
        }
        if now - rt.created_ms > ms(store.cfg.request_token_ttl) {
            return problem(store, "token_expired", &[]);
        }
        let user = match &rt.approval {
            Approval::Pending => return problem(store, "permission_unknown", &[]),
            Approval::Denied => return problem(store, "permission_denied", &[]),
            Approval::Approved { user, verifier } => {
                if rt.v1a {
                    match signed.get("oauth_verifier") {
                        None => {
                            return problem(
                                store,
                                "parameter_absent",
                                &[("oauth_parameters_absent", "oauth_verifier".to_owned())],
                            )
                        }
                        Some(v) if v != verifier => return problem(store, "token_rejected", &[]),
                        Some(_) => {}
                    }
                }
                user.clone()
            }
        };
        store.oauth.request_tokens.remove(&token);
        let cfg = store.cfg.clone();
        let (access, handle) = store.oauth.issue_access(&signed.consumer, &user, now, &cfg);
        return access_body(store, &access, &handle);
    }
    if let Some(at) = store.oauth.access_tokens.get(&token).cloned() {
        let Some(handle) = signed.get("oauth_session_handle") else {
            return problem(
                store,
                "parameter_absent",
                &[("oauth_parameters_absent", "oauth_session_handle".to_owned())],
            );
        };
        if at.revoked || at.consumer != signed.consumer || handle != at.session_handle {
            return problem(store, "token_rejected", &[]);
        }
        if now >= at.session_expires_ms {
            return problem(store, "permission_denied", &[]);
        }
        let new_token = random_token(32);
        store.oauth.access_tokens.remove(&token);
        store.oauth.access_tokens.insert(
            new_token.clone(),
            AccessToken {
                expires_ms: now.saturating_add(ms(store.cfg.access_token_ttl)),
                ..at.clone()
            },
        );
        return access_body(store, &new_token, &at.session_handle);
    }
    problem(store, "token_rejected", &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_string_matches_rfc5849_rules() {
        let params = vec![
            ("b5".to_owned(), "=%3D".to_owned()),
            ("a3".to_owned(), "a".to_owned()),
            ("c@".to_owned(), String::new()),
            ("a2".to_owned(), "r b".to_owned()),
            ("oauth_consumer_key".to_owned(), "9djdj82h48djs9d2".to_owned()),
            ("oauth_token".to_owned(), "kkk9d7dh3k39sjv7".to_owned()),
            ("oauth_signature_method".to_owned(), "HMAC-SHA1".to_owned()),
            ("oauth_timestamp".to_owned(), "137131201".to_owned()),
            ("oauth_nonce".to_owned(), "7d8f3e4a".to_owned()),
            ("c2".to_owned(), String::new()),
            ("a3".to_owned(), "2 q".to_owned()),
        ];
        // RFC 5849 §3.4.1.1 example.
        let expected = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7";
        assert_eq!(base_string("post", "http://example.com/request", &params), expected);
    }

    #[test]
    fn header_parsing_and_callbacks() {
        let parsed =
            parse_oauth_header("OAuth realm=\"x\", oauth_nonce=\"a%20b\"").unwrap_or_default();
        assert_eq!(
            parsed,
            vec![("realm".into(), "x".into()), ("oauth_nonce".into(), "a b".into())]
        );
        assert!(valid_callback("oob"));
        assert!(valid_callback("http://127.0.0.1:5000/cb/x"));
        assert!(!valid_callback("/relative"));
        assert!(!valid_callback("ftp://host/"));
        assert!(!valid_callback("http:///nohost"));
        assert_eq!(problem_status("timestamp_refused"), StatusCode::BAD_REQUEST);
        assert_eq!(problem_status("nonce_used"), StatusCode::UNAUTHORIZED);
    }
}
