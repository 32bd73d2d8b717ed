//! HTTP behaviour against a scripted server: URLs, headers, auth, paging, retries, errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use depwatch_bitbucket::error::{AuthReason, ConnectFailure, ErrorBody};
use depwatch_bitbucket::{Auth, Client, Error, PageGuard, RepoFilter, Secret};
use serde_json::json;

use crate::scripted::{app_props, config, errors, html, json, reply, repo_json, Scripted};

#[tokio::test]
async fn context_path_and_xsrf_header_on_every_request() {
    let server = Scripted::start(|req, _| {
        let p = req.path.as_str();
        if p.ends_with("/application-properties") {
            app_props()
        } else if p.ends_with("/whoami") {
            reply(200, "text/plain", "jdoe", &[])
        } else if p.contains("/raw/") {
            reply(200, "application/octet-stream", "a\r\nb\r\n", &[])
        } else if p.ends_with("/webhooks") && req.method == "POST" {
            json(200, json!({"id": 7, "name": "d", "url": "http://x", "active": true, "events": ["repo:refs_changed"]}))
        } else if p.ends_with("/repos/web") {
            json(200, repo_json(1, "SHOP", "web"))
        } else {
            json(200, json!({"size":0,"limit":25,"isLastPage":true,"start":0,"values":[]}))
        }
    })
    .await;
    let client = server.client("/bitbucket", Auth::Bearer(Secret::new("tok")));
    client.application_properties().await.unwrap();
    assert_eq!(client.whoami().await.unwrap().as_deref(), Some("jdoe"));
    client.repo("SHOP", "web").await.unwrap();
    let bytes =
        client.raw_file("SHOP", "web", "dir/Cargo.lock", "refs/heads/main", 1024).await.unwrap();
    assert_eq!(bytes, b"a\r\nb\r\n", "raw bytes are exact (CRLF kept)");
    client.projects().await.unwrap();
    let spec = depwatch_bitbucket::model::WebhookSpec {
        name: "d".into(),
        url: "http://x".into(),
        active: true,
        events: vec!["repo:refs_changed".into()],
        secret: Some(Secret::new("hmac")),
        ssl_verification_required: None,
    };
    let hook = client
        .create_webhook(&depwatch_bitbucket::HookTarget::repo("SHOP", "web"), &spec)
        .await
        .unwrap();
    assert_eq!(hook.id, 7);

    let seen = server.requests();
    assert_eq!(seen.len(), 6);
    for r in &seen {
        assert!(r.path.starts_with("/bitbucket/"), "context path lost: {}", r.path);
        assert_eq!(r.header("x-atlassian-token"), Some("no-check"), "{}", r.path);
        assert_eq!(r.header("authorization"), Some("Bearer tok"));
    }
    assert_eq!(seen[1].path, "/bitbucket/plugins/servlet/applinks/whoami");
    assert_eq!(seen[3].path, "/bitbucket/rest/api/1.0/projects/SHOP/repos/web/raw/dir/Cargo.lock");
    assert_eq!(seen[3].query.as_deref(), Some("at=refs%2Fheads%2Fmain"));
    let body: serde_json::Value = serde_json::from_slice(&seen[5].body).unwrap();
    assert_eq!(body["configuration"]["secret"], "hmac");
    assert_eq!(seen[5].header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn basic_header_and_segment_encoding() {
    let server = Scripted::start(|_, _| json(200, repo_json(3, "~JDOE", "a b"))).await;
    let client = server.client(
        "/stash",
        Auth::Basic { username: "jdoe".into(), secret: Secret::new("p@ss:word") },
    );
    client.repo("~JDOE", "a b").await.unwrap();
    client.raw_file("~JDOE", "a b", "x/y z#1.json", "abc123", 1 << 20).await.unwrap();
    let seen = server.requests();
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("jdoe:p@ss:word"));
    assert_eq!(seen[0].header("authorization"), Some(expected.as_str()));
    assert_eq!(seen[0].path, "/stash/rest/api/1.0/projects/~JDOE/repos/a%20b");
    assert_eq!(seen[1].path, "/stash/rest/api/1.0/projects/~JDOE/repos/a%20b/raw/x/y%20z%231.json");
    // Invalid paths never reach the server.
    let err = client.raw_file("P", "r", "a/../b", "c", 10).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    assert_eq!(server.requests().len(), 2);
}

/// 3,000 repositories (2,571 visible), every 7th hidden from the listing (so `nextPageStart` skips ahead and
/// is not `start + size`), and a server cap of 25 whatever limit we ask for.
#[tokio::test]
async fn paging_follows_next_page_start_with_capped_limit() {
    const TOTAL: u64 = 3_000;
    let server = Scripted::start(|req, _| {
        let start: u64 = req.query_value("start").and_then(|s| s.parse().ok()).unwrap_or(0);
        let asked: u64 = req.query_value("limit").and_then(|s| s.parse().ok()).unwrap_or(25);
        let limit = asked.min(25);
        let mut values = Vec::new();
        let mut i = start;
        while values.len() < limit as usize && i < TOTAL {
            if i % 7 != 3 {
                values.push(repo_json(i, "BIG", &format!("r{i}")));
            }
            i += 1;
        }
        let last = i >= TOTAL;
        let mut page = json!({"size": values.len(), "limit": limit, "isLastPage": last, "start": start, "values": values});
        if !last {
            page["nextPageStart"] = json!(i);
        }
        json(200, page)
    })
    .await;
    let mut cfg = config(&server.base("/bitbucket"), Auth::Anonymous);
    cfg.page_guard = PageGuard { max_pages: 500, page_size: 1000 };
    let client = Client::new(cfg).unwrap();
    let mut paged = client.repos(&RepoFilter::default()).unwrap();
    let mut ids = Vec::new();
    while let Some(page) = paged.next_page().await.unwrap() {
        ids.extend(page.values.into_iter().map(|r| r.id));
    }
    assert_eq!(paged.effective_limit(), Some(25));
    let expected: Vec<i64> = (0..TOTAL as i64).filter(|i| i % 7 != 3).collect();
    assert!(expected.len() >= 2_500);
    assert_eq!(ids, expected, "every visible repo exactly once, in order");
    let seen = server.requests();
    assert_eq!(seen.len() as u32, paged.pages_fetched());
    assert_eq!(seen[0].query_value("limit").as_deref(), Some("1000"));
    // Each start is the previous page's nextPageStart (29: 25 visible + 4 hidden), never
    // start + size (25).
    assert_eq!(seen[1].query_value("start").as_deref(), Some("29"));
}

#[tokio::test]
async fn page_guard_stops_endless_listings() {
    let server = Scripted::start(|req, _| {
        let start: u64 = req.query_value("start").and_then(|s| s.parse().ok()).unwrap_or(0);
        json(200, json!({"size":1,"limit":1,"isLastPage":false,"start":start,"nextPageStart":start+1,"values":[{"key":"P"}]}))
    })
    .await;
    let mut cfg = config(&server.base("/bitbucket"), Auth::Anonymous);
    cfg.page_guard = PageGuard { max_pages: 5, page_size: 1 };
    let client = Client::new(cfg).unwrap();
    let err = client.projects().await.unwrap_err();
    assert!(matches!(err, Error::PageLimit { max_pages: 5, .. }), "{err}");
    assert_eq!(server.requests().len(), 5);
    assert!(err.to_string().contains("/bitbucket/rest/api/1.0/projects"), "{err}");
}

#[tokio::test]
async fn paging_rejects_missing_or_stuck_next_page_start() {
    let server = Scripted::start(|req, _| {
        if req.path.ends_with("/projects") {
            json(200, json!({"size":0,"limit":25,"isLastPage":false,"start":0,"values":[]}))
        } else {
            json(200, json!({"size":0,"limit":25,"isLastPage":false,"start":0,"nextPageStart":0,"values":[]}))
        }
    })
    .await;
    let client = server.client("/bitbucket", Auth::Anonymous);
    let err = client.projects().await.unwrap_err();
    assert!(err.to_string().contains("nextPageStart is missing"), "{err}");
    let err = client.files("P", "r", "abc").await.unwrap_err();
    assert!(err.to_string().contains("does not advance"), "{err}");
}

#[tokio::test]
async fn rate_limit_429_with_and_without_retry_after_then_success() {
    let server = Scripted::start(|_, i| match i {
        0 => reply(429, "text/plain", "slow down", &[("retry-after", "3")]),
        1 => reply(429, "", "", &[]),
        _ => app_props(),
    })
    .await;
    // max_retry_after (5 ms in tests) caps both the 3 s and the 5 s default wait.
    let client = server.client("/bitbucket", Auth::Anonymous);
    let props = client.application_properties().await.unwrap();
    assert_eq!(props.version, "9.4.2");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn rate_limit_is_bounded() {
    let server = Scripted::start(|_, _| reply(429, "", "", &[("retry-after", "1")])).await;
    let client = server.client("/bitbucket", Auth::Anonymous);
    let err = client.repo("P", "r").await.unwrap_err();
    match &err {
        Error::RateLimited { attempts, retry_after, .. } => {
            assert_eq!(*attempts, 6, "1 + max_rate_limit_waits (5)");
            assert_eq!(*retry_after, Some(std::time::Duration::from_secs(1)));
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.status(), Some(429));
}

#[tokio::test]
async fn server_errors_are_retried_for_idempotent_calls_only() {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let server = Scripted::start(move |req, _| {
        if req.method == "GET" {
            let n = c.fetch_add(1, Ordering::SeqCst);
            if n < 2 {
                return reply(503, "text/plain", "busy", &[]);
            }
            return json(200, repo_json(1, "P", "r"));
        }
        reply(500, "text/plain", "boom", &[])
    })
    .await;
    let client = server.client("/bitbucket", Auth::Anonymous);
    client.repo("P", "r").await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 3);
    // POST (create webhook) is not retried on 5xx: it may have been applied.
    let spec = depwatch_bitbucket::model::WebhookSpec {
        name: "n".into(),
        url: "http://x".into(),
        active: true,
        events: vec![],
        secret: None,
        ssl_verification_required: None,
    };
    let before = server.requests().len();
    let err = client
        .create_webhook(&depwatch_bitbucket::HookTarget::repo("P", "r"), &spec)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 500, .. }), "{err}");
    assert_eq!(server.requests().len(), before + 1);
}

#[tokio::test]
async fn server_errors_give_up_after_bounded_retries() {
    let server = Scripted::start(|_, _| html(502, "502 Bad Gateway")).await;
    let client = server.client("/bitbucket", Auth::Anonymous);
    let err = client.repo("P", "r").await.unwrap_err();
    assert_eq!(server.requests().len(), 4, "1 + max_retries (3)");
    let text = err.to_string();
    assert!(
        matches!(&err, Error::Http { status: 502, body: ErrorBody::Html { .. }, .. }),
        "{text}"
    );
    assert!(text.contains("502 Bad Gateway"), "{text}");
    assert!(!text.contains("proxy noise"), "no body dump: {text}");
    assert!(text.contains("/bitbucket/rest/api/1.0/projects/P/repos/r"), "{text}");
}

#[tokio::test]
async fn unauthorized_carries_the_oauth_problem_or_the_server_message() {
    let server = Scripted::start(|req, _| {
        if req.path.ends_with("/a/repos/r") {
            reply(
                401,
                "text/plain",
                "oauth_problem=token_rejected&oauth_problem_advice=Token%20was%20revoked",
                &[(
                    "www-authenticate",
                    "OAuth realm=\"http://x/bitbucket\", oauth_problem=\"token_rejected\"",
                )],
            )
        } else if req.path.ends_with("/b/repos/r") {
            reply(
                401,
                "",
                "",
                &[("www-authenticate", "OAuth realm=\"x\", oauth_problem=\"token_expired\"")],
            )
        } else {
            errors(
                401,
                "You are not permitted to access this resource",
                "com.atlassian.bitbucket.AuthorisationException",
            )
        }
    })
    .await;
    let client = server.client("/bitbucket", Auth::Bearer(Secret::new("sekrit-token")));
    let err = client.repo("a", "r").await.unwrap_err();
    match &err {
        Error::Auth { status: 401, reason: AuthReason::OAuth(p), .. } => {
            assert_eq!(p.problem, "token_rejected");
            assert_eq!(p.advice.as_deref(), Some("Token was revoked"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("token_rejected"));
    let err = client.repo("b", "r").await.unwrap_err();
    assert_eq!(err.oauth_problem(), Some("token_expired"));
    let err = client.repo("c", "r").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(&err, Error::Auth { reason: AuthReason::Api(_), .. }), "{text}");
    assert!(text.contains("You are not permitted"), "{text}");
    // 401 is never retried, and the token never shows up in errors.
    assert_eq!(server.requests().len(), 3);
    assert!(!format!("{err:?}").contains("sekrit"));
}

#[tokio::test]
async fn json_errors_are_surfaced() {
    let server = Scripted::start(|req, _| {
        if req.path.contains("/NOPE/") {
            errors(404, "Project NOPE does not exist.", "com.atlassian.bitbucket.project.NoSuchProjectException")
        } else {
            json(
                400,
                json!({"errors":[{"context":"url","message":"URL is invalid","exceptionName":"com.atlassian.bitbucket.validation.ArgumentValidationException"}]}),
            )
        }
    })
    .await;
    let client = server.client("/bitbucket", Auth::Anonymous);
    let err = client.repo("NOPE", "r").await.unwrap_err();
    match &err {
        Error::NotFound { body, .. } => {
            let e = body.first_api_error().unwrap();
            assert_eq!(e.message.as_deref(), Some("Project NOPE does not exist."));
            assert!(body.has_exception("NoSuchProjectException"));
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.status(), Some(404));
    let err =
        client.delete_webhook(&depwatch_bitbucket::HookTarget::project("P"), 3).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("HTTP 400")
            && text.contains("URL is invalid")
            && text.contains("[field url]"),
        "{text}"
    );
}

#[tokio::test]
async fn default_branch_falls_back_and_maps_empty_repos_to_none() {
    let server = Scripted::start(|req, _| {
        let p = req.path.as_str();
        match p {
            // New server: configured ref.
            _ if p.ends_with("/NEW/repos/r/default-branch") => {
                json(200, json!({"id":"refs/heads/trunk","displayId":"trunk","type":"BRANCH"}))
            }
            // Old server: no /default-branch endpoint, deprecated one answers.
            _ if p.ends_with("/default-branch") && p.contains("/OLD") => reply(404, "text/html", "<html><title>Not Found</title></html>", &[]),
            _ if p.ends_with("/OLD/repos/full/branches/default") => json(
                200,
                json!({"id":"refs/heads/main","displayId":"main","type":"BRANCH","latestCommit":"abc","isDefault":true}),
            ),
            _ if p.ends_with("/OLD/repos/empty/branches/default") => reply(204, "", "", &[]),
            _ if p.ends_with("/OLD/repos/unborn/branches/default") => {
                errors(404, "Repository OLD/unborn has no default branch", "com.atlassian.bitbucket.repository.NoSuchBranchException")
            }
            _ => errors(404, "Repository GONE/x does not exist.", "com.atlassian.bitbucket.repository.NoSuchRepositoryException"),
        }
    })
    .await;
    let client = server.client("/bitbucket", Auth::Anonymous);
    let r = client.default_branch("NEW", "r").await.unwrap().unwrap();
    assert_eq!(r.id, "refs/heads/trunk");
    let r = client.default_branch("OLD", "full").await.unwrap().unwrap();
    assert_eq!(r.display_id.as_deref(), Some("main"));
    assert_eq!(client.default_branch("OLD", "empty").await.unwrap(), None);
    assert_eq!(client.default_branch("OLD", "unborn").await.unwrap(), None);
    let err = client.default_branch("GONE", "x").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn wrong_context_path_is_detected_with_a_suggestion() {
    let server = Scripted::start(|req, _| {
        if req.path == "/bitbucket/rest/api/1.0/application-properties" {
            app_props()
        } else {
            html(404, "404 Not Found")
        }
    })
    .await;
    let client = server.client("", Auth::Anonymous);
    let err = client.test_connection().await.unwrap_err();
    let text = err.to_string();
    match &err {
        Error::WrongContextPath { suggestion, .. } => {
            assert_eq!(suggestion.as_deref(), Some(server.base("/bitbucket").as_str()));
        }
        other => panic!("{other}"),
    }
    assert!(text.contains("context path"), "{text}");
    // A login page with 200 is not Bitbucket's API either.
    let login =
        Scripted::start(|_, _| reply(200, "text/html", "<html><title>Log in</title></html>", &[]))
            .await;
    let err = login.client("/bb", Auth::Anonymous).application_properties().await.unwrap_err();
    assert!(matches!(err, Error::WrongContextPath { .. }), "{err}");
    assert!(err.to_string().contains("Log in"), "{err}");
}

#[tokio::test]
async fn test_connection_reports_version_and_user() {
    let server = Scripted::start(|req, _| {
        if req.path.ends_with("/application-properties") {
            app_props()
        } else if req.path.ends_with("/whoami") {
            // Project tokens have no user: the servlet answers with nothing.
            reply(200, "text/plain", "", &[])
        } else {
            reply(
                200,
                "application/json",
                r#"{"size":0,"limit":1,"isLastPage":true,"start":0,"values":[]}"#,
                &[("x-ausername", "svc-bot")],
            )
        }
    })
    .await;
    let info = server
        .client("/bitbucket", Auth::Bearer(Secret::new("t")))
        .test_connection()
        .await
        .unwrap();
    assert_eq!(info.version, "9.4.2");
    assert_eq!(info.user.as_deref(), Some("svc-bot"));
}

#[tokio::test]
async fn oversized_raw_files_are_refused() {
    let server =
        Scripted::start(|_, _| reply(200, "application/octet-stream", vec![b'x'; 5000], &[])).await;
    let client = server.client("/bitbucket", Auth::Anonymous);
    let err = client.raw_file("P", "r", "package-lock.json", "abc", 4096).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 4096, .. }), "{err}");
    assert_eq!(
        client.raw_file("P", "r", "package-lock.json", "abc", 5000).await.unwrap().len(),
        5000
    );
}

#[tokio::test]
async fn connection_failures_are_classified_for_humans() {
    // Refused: bind, learn the port, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client =
        Client::new(config(&format!("http://127.0.0.1:{port}/bitbucket"), Auth::Anonymous))
            .unwrap();
    let err = client.test_connection().await.unwrap_err();
    assert!(matches!(err, Error::Connect { kind: ConnectFailure::Refused, .. }), "{err:?}");
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(err
        .to_string()
        .contains(&format!("127.0.0.1:{port}/bitbucket/rest/api/1.0/application-properties")));

    // The detail kept for logs never carries secret query values either.
    let err = client
        .test_webhook_url(
            &depwatch_bitbucket::HookTarget::repo("P", "r"),
            "http://me/hook/prh/S3CRET",
            None,
        )
        .await
        .unwrap_err();
    assert!(!format!("{err:?}").contains("S3CRET"), "{err:?}");
    assert!(err.to_string().contains("url=***"), "{err}");

    // DNS: the .invalid TLD never resolves.
    let client =
        Client::new(config("http://depwatch-test.invalid/bitbucket", Auth::Anonymous)).unwrap();
    let err = client.test_connection().await.unwrap_err();
    assert!(matches!(err, Error::Connect { kind: ConnectFailure::Dns, .. }), "{err:?}");
    assert!(err.to_string().contains("DNS"), "{err}");

    // TLS: an https URL served by a plain-HTTP server.
    let plain = Scripted::start(|_, _| app_props()).await;
    let client =
        Client::new(config(&format!("https://{}/bitbucket", plain.addr), Auth::Anonymous)).unwrap();
    let err = client.test_connection().await.unwrap_err();
    assert!(matches!(err, Error::Connect { kind: ConnectFailure::Tls, .. }), "{err:?}");
    assert!(err.to_string().contains("TLS"), "{err}");

    // Timeout: a server that accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock);
        }
    });
    let mut cfg = config(&format!("http://{addr}/bitbucket"), Auth::Anonymous);
    cfg.timeouts.request = std::time::Duration::from_millis(200);
    cfg.retry.max_retries = 1;
    let err = Client::new(cfg).unwrap().application_properties().await.unwrap_err();
    assert!(matches!(err, Error::Connect { kind: ConnectFailure::Timeout, .. }), "{err:?}");
    hold.abort();
}

#[tokio::test]
async fn invalid_custom_ca_is_a_config_error() {
    let mut cfg = config("https://git.corp/bitbucket", Auth::Anonymous);
    cfg.custom_ca_pem =
        Some("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".into());
    let err = Client::new(cfg).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    let mut cfg = config("https://git.corp/bitbucket", Auth::Anonymous);
    cfg.custom_ca_pem = Some("no pem here".into());
    assert!(Client::new(cfg).is_err());
}
