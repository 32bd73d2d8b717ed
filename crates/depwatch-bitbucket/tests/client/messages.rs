//! The words a user sees: one golden snapshot of every "Test connection" / API failure message,
//! so wording changes are reviewed. Ports are replaced by `PORT`.

use std::time::{Duration, Instant};

use depwatch_bitbucket::{Auth, Client, Error, PageGuard, RequestToken, Secret, REQUEST_TOKEN_TTL};
use serde_json::json;

use crate::oauth::{oauth_auth, PKCS8};
use crate::scripted::{app_props, config, errors, html, reply, Scripted};

fn scrub(err: &Error, ports: &[u16]) -> String {
    let mut text = err.to_string();
    for p in ports {
        text = text.replace(&format!(":{p}"), ":PORT");
    }
    text
}

#[tokio::test]
async fn error_messages_for_humans() {
    let server = Scripted::start(|req, _| {
        let p = req.path.as_str();
        match p {
            _ if p == "/bitbucket/rest/api/1.0/application-properties" => app_props(),
            _ if p.starts_with("/bitbucket/rest/api/1.0/projects/OAUTH/") => reply(
                401,
                "text/plain",
                "oauth_problem=token_rejected",
                &[("www-authenticate", "OAuth realm=\"x\", oauth_problem=\"token_rejected\"")],
            ),
            _ if p.starts_with("/bitbucket/rest/api/1.0/projects/PERM/") => errors(
                401,
                "You are not permitted to access this resource",
                "com.atlassian.bitbucket.AuthorisationException",
            ),
            _ if p.starts_with("/bitbucket/rest/api/1.0/projects/MISSING/") => errors(
                404,
                "Project MISSING does not exist.",
                "com.atlassian.bitbucket.project.NoSuchProjectException",
            ),
            _ if p.starts_with("/bitbucket/rest/api/1.0/projects/PROXY/") => {
                html(502, "502 Bad Gateway")
            }
            _ if p.starts_with("/bitbucket/rest/api/1.0/projects/XSRF/") => {
                html(403, "XSRF check failed")
            }
            _ if p.starts_with("/bitbucket/rest/api/1.0/projects/SLOW/") => {
                reply(429, "", "", &[("retry-after", "30")])
            }
            _ if p.starts_with("/bitbucket/rest/api/1.0/projects/CLOCK/") => reply(
                400,
                "text/plain",
                "oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1-2",
                &[],
            ),
            _ if p.ends_with("/projects") => json_page(req),
            _ => html(404, "404 Not Found"),
        }
    })
    .await;
    let port = server.addr.port();
    let refused_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let ports = [port, refused_port];
    let bearer = server.client("/bitbucket", Auth::Bearer(Secret::new("t")));
    let messages = std::cell::RefCell::new(serde_json::Map::new());
    let put_text = |name: &str, text: String| {
        messages.borrow_mut().insert(name.to_owned(), json!(text));
    };
    let put = |name: &str, err: Error| put_text(name, scrub(&err, &ports));

    put("oauth_token_rejected", bearer.repo("OAUTH", "r").await.unwrap_err());
    put("insufficient_permission", bearer.repo("PERM", "r").await.unwrap_err());
    put("missing_project", bearer.repo("MISSING", "r").await.unwrap_err());
    put("proxy_html_page", bearer.repo("PROXY", "r").await.unwrap_err());
    put("xsrf_rejected", bearer.repo("XSRF", "r").await.unwrap_err());
    put("rate_limited", bearer.repo("SLOW", "r").await.unwrap_err());
    put("clock_skew", bearer.repo("CLOCK", "r").await.unwrap_err());
    put(
        "wrong_context_path",
        server.client("/stash", Auth::Anonymous).test_connection().await.unwrap_err(),
    );
    let refused =
        Client::new(config(&format!("http://127.0.0.1:{refused_port}/bitbucket"), Auth::Anonymous))
            .unwrap();
    put("connection_refused", refused.test_connection().await.unwrap_err());
    let dns =
        Client::new(config("http://git.depwatch-test.invalid/bitbucket", Auth::Anonymous)).unwrap();
    put("dns_failure", dns.test_connection().await.unwrap_err());
    let mut cfg = config(&server.base("/bitbucket"), Auth::Anonymous);
    cfg.page_guard = PageGuard { max_pages: 2, page_size: 10 };
    put("page_guard", Client::new(cfg).unwrap().projects().await.unwrap_err());
    let oauth_client = server.client("/bitbucket", oauth_auth(PKCS8, None));
    let rt = RequestToken::from_parts(Secret::new("r"), Instant::now());
    put("oauth_denied", oauth_client.access_token(&rt, "denied").await.unwrap_err());
    if let Some(old) = Instant::now().checked_sub(REQUEST_TOKEN_TTL + Duration::from_secs(1)) {
        let stale = RequestToken::from_parts(Secret::new("r"), old);
        let err = oauth_client.access_token(&stale, "abc").await.unwrap_err();
        // The age varies by a second or so; keep the wording stable.
        let text = scrub(&err, &ports);
        let stable = text
            .split(" s old")
            .nth(1)
            .map(|rest| format!("the OAuth request token is N s old{rest}"));
        put_text("oauth_request_token_expired", stable.unwrap_or(text));
    }
    put(
        "bad_base_url",
        depwatch_bitbucket::InstanceConfig::new("ftp://git.corp", Auth::Anonymous).unwrap_err(),
    );

    insta::assert_json_snapshot!(
        "error_messages",
        serde_json::Value::Object(messages.into_inner())
    );
}

fn json_page(req: &crate::scripted::Seen) -> axum::response::Response {
    let start: u64 = req.query_value("start").and_then(|s| s.parse().ok()).unwrap_or(0);
    crate::scripted::json(
        200,
        json!({"size":1,"limit":10,"isLastPage":false,"start":start,"nextPageStart":start + 10,"values":[{"key":"A"}]}),
    )
}
