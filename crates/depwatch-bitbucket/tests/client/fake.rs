//! The client against the faithful fake Bitbucket (`depwatch-fakebb`): the whole OAuth dance,
//! Bearer and Basic, paging over thousands of repositories, context path, 429, 401, files,
//! refs, webhooks and the post-receive plugin.

use std::sync::Arc;
use std::time::Duration;

use depwatch_bitbucket::model::WebhookSpec;
use depwatch_bitbucket::{
    Auth, Client, Error, HookTarget, HookUrlChange, OAuthCredentials, OAuthKey, PageGuard,
    RepoFilter, Secret, POST_RECEIVE_HOOK_KEY,
};
use depwatch_fakebb::{
    CommitSpec, Config, FakeBitbucket, Fault, Permission, Push, RepoSpec, Resource,
};

use crate::oauth::{OTHER, PKCS1, PUBLIC};
use crate::scripted::config;

async fn fake(cfg: Config) -> FakeBitbucket {
    let fake = FakeBitbucket::start(cfg).await.unwrap();
    fake.add_user("admin", Some("admin-pw"), true).unwrap();
    fake.add_user("jdoe", Some("jdoe-pw"), false).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_repo(
        RepoSpec::new("SHOP", "web")
            .file("Cargo.lock", "# lock\r\nversion = 3\r\n")
            .file("web/package.json", "{}\n"),
    )
    .unwrap();
    fake.grant_project("jdoe", "SHOP", Permission::Read).unwrap();
    fake
}

fn client(fake: &FakeBitbucket, auth: Auth) -> Client {
    Client::new(config(fake.base_url(), auth)).unwrap()
}

fn oauth(pem: &str, access: Option<&Secret>) -> Auth {
    Auth::OAuth1(OAuthCredentials {
        consumer_key: "depwatch".into(),
        key: Arc::new(OAuthKey::from_pem(pem).unwrap()),
        access_token: access.cloned(),
    })
}

/// Plays the user's browser: loads the authorize page as `user` and presses a button.
/// Returns the callback redirect's query pairs.
async fn browser_decides(
    authorize_url: &url::Url,
    user: &str,
    approve: bool,
) -> Vec<(String, String)> {
    use base64::Engine;
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{user}-pw"))
    );
    let page = http
        .get(authorize_url.as_str())
        .header("Authorization", &basic)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let xsrf = page
        .split("name=\"atl_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("XSRF field on the authorize page")
        .to_owned();
    let token = authorize_url
        .query_pairs()
        .find(|(k, _)| k == "oauth_token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let mut post_url = authorize_url.clone();
    post_url.set_query(None);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("oauth_token", &token)
        .append_pair("atl_token", &xsrf)
        .append_pair(
            if approve { "approve" } else { "deny" },
            if approve { "Allow" } else { "Deny" },
        )
        .finish();
    let resp = http
        .post(post_url)
        .header("Authorization", &basic)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 302, "authorize should redirect to the callback");
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://127.0.0.1:9/oauth/bbs/n0nce?"), "{location}");
    let loc = url::Url::parse(&location).unwrap();
    loc.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn get(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

const CALLBACK: &str = "http://127.0.0.1:9/oauth/bbs/n0nce";

#[tokio::test]
async fn oauth_dance_approve_rest_renew_and_revoke() {
    let fake = fake(Config::default()).await;
    fake.add_consumer("depwatch", "depwatch desktop", PUBLIC, None).unwrap();
    let c = client(&fake, oauth(PKCS1, None));

    let rt = c.request_token(CALLBACK).await.unwrap();
    assert!(rt.callback_confirmed());
    // Before the user decides, the server says the token is not authorized yet.
    let err = c.access_token(&rt, "abcdef").await.unwrap_err();
    assert_eq!(err.oauth_problem(), Some("permission_unknown"), "{err}");

    let params = browser_decides(&c.authorize_url(&rt), "jdoe", true).await;
    assert_eq!(get(&params, "oauth_token").as_deref(), Some(rt.token().expose()));
    let verifier = get(&params, "oauth_verifier").unwrap();
    let at = c.access_token(&rt, &verifier).await.unwrap();
    assert!(at.session_handle.is_some());
    assert!(at.expires_in.is_some());

    let authed = c.with_oauth_access_token(at.token.clone()).unwrap();
    let info = authed.test_connection().await.unwrap();
    assert_eq!(info.user.as_deref(), Some("jdoe"));
    // A signed call with a query (`at=`) and the context path.
    let files = authed.files("SHOP", "web", "refs/heads/main").await.unwrap();
    assert_eq!(files, vec!["Cargo.lock", "web/package.json"]);

    let renewed = authed.renew(&at.token, at.session_handle.as_ref().unwrap()).await.unwrap();
    assert_ne!(renewed.token.expose(), at.token.expose());
    let fresh = c.with_oauth_access_token(renewed.token.clone()).unwrap();
    assert_eq!(fresh.whoami().await.unwrap().as_deref(), Some("jdoe"));
    // A wrong session handle is rejected.
    let err = fresh.renew(&renewed.token, &Secret::new("bogus")).await.unwrap_err();
    assert!(err.oauth_problem().is_some(), "{err}");

    assert!(fake.revoke_oauth_token(renewed.token.expose()));
    let err = fresh.repo("SHOP", "web").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.oauth_problem(), Some("token_rejected"), "{err}");
    assert!(!err.to_string().contains(renewed.token.expose()));
}

#[tokio::test]
async fn oauth_deny_bad_signature_and_expired_request_token() {
    let fake = fake(Config::default()).await;
    fake.add_consumer("depwatch", "depwatch desktop", PUBLIC, None).unwrap();
    let c = client(&fake, oauth(PKCS1, None));

    // Deny: the callback carries oauth_verifier=denied.
    let rt = c.request_token(CALLBACK).await.unwrap();
    let params = browser_decides(&c.authorize_url(&rt), "jdoe", false).await;
    let verifier = get(&params, "oauth_verifier").unwrap();
    assert_eq!(verifier, "denied");
    assert!(matches!(c.access_token(&rt, &verifier).await, Err(Error::OAuthDenied)));

    // Expired on the server side (1 ms lifetime): token_expired.
    let cfg = Config { request_token_ttl: Duration::from_millis(1), ..Config::default() };
    let short = self::fake(cfg).await;
    short.add_consumer("depwatch", "depwatch desktop", PUBLIC, None).unwrap();
    let c2 = client(&short, oauth(PKCS1, None));
    let rt = c2.request_token(CALLBACK).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let err = c2.access_token(&rt, "abcdef").await.unwrap_err();
    assert_eq!(err.oauth_problem(), Some("token_expired"), "{err}");

    // Signed with a key the Application Link does not know: signature_invalid.
    let wrong = client(&fake, oauth(OTHER, None));
    let err = wrong.request_token(CALLBACK).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.oauth_problem(), Some("signature_invalid"), "{err}");
    assert!(err.to_string().contains("signature did not verify"), "{err}");

    // Unknown consumer key.
    let unknown = client(
        &fake,
        Auth::OAuth1(OAuthCredentials {
            consumer_key: "nobody".into(),
            key: Arc::new(OAuthKey::from_pem(PKCS1).unwrap()),
            access_token: None,
        }),
    );
    let err = unknown.request_token(CALLBACK).await.unwrap_err();
    assert_eq!(err.oauth_problem(), Some("consumer_key_unknown"), "{err}");
}

#[tokio::test]
async fn bearer_basic_and_project_tokens() {
    let fake = fake(Config::default()).await;
    let personal = fake.add_personal_token("jdoe", Permission::Read).unwrap();
    let project = fake.add_project_token("SHOP", Permission::Read).unwrap();

    let bearer = client(&fake, Auth::Bearer(Secret::new(personal.clone())));
    let info = bearer.test_connection().await.unwrap();
    assert_eq!(info.user.as_deref(), Some("jdoe"));
    assert!(!info.version.is_empty());

    let basic_token =
        client(&fake, Auth::Basic { username: "jdoe".into(), secret: Secret::new(personal) });
    assert_eq!(basic_token.repo("SHOP", "web").await.unwrap().slug, "web");
    let basic_pw =
        client(&fake, Auth::Basic { username: "jdoe".into(), secret: Secret::new("jdoe-pw") });
    assert_eq!(basic_pw.whoami().await.unwrap().as_deref(), Some("jdoe"));

    // Project tokens have no user and only work as Bearer.
    let proj = client(&fake, Auth::Bearer(Secret::new(project.clone())));
    let info = proj.test_connection().await.unwrap();
    assert_eq!(info.user, None);
    assert_eq!(proj.repo("SHOP", "web").await.unwrap().slug, "web");
    let over_basic =
        client(&fake, Auth::Basic { username: "x".into(), secret: Secret::new(project) });
    let err = over_basic.repo("SHOP", "web").await.unwrap_err();
    assert!(matches!(err, Error::Auth { status: 401, .. }), "{err}");

    let wrong = client(&fake, Auth::Basic { username: "jdoe".into(), secret: Secret::new("nope") });
    let err = wrong.test_connection().await.unwrap_err();
    assert!(matches!(err, Error::Auth { status: 401, .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains("nope"));
}

#[tokio::test]
async fn paging_over_thousands_of_repos_with_cap_and_hidden_items() {
    let mut cfg = Config::default().with_cap(Resource::Repos, 50);
    cfg.hidden_item_every = Some(9);
    let fake = FakeBitbucket::start(cfg).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    fake.add_project("BIG", "Big").unwrap();
    fake.add_repos((0..2_600).map(|i| RepoSpec::new("BIG", &format!("r{i:04}")))).unwrap();
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    let mut cfg = config(fake.base_url(), Auth::Bearer(Secret::new(token)));
    cfg.page_guard = PageGuard { max_pages: 200, page_size: 1000 };
    let c = Client::new(cfg).unwrap();

    let mut paged = c.repos(&RepoFilter::default()).unwrap();
    let mut slugs = Vec::new();
    while let Some(page) = paged.next_page().await.unwrap() {
        slugs.extend(page.values.into_iter().map(|r| r.slug));
    }
    assert_eq!(paged.effective_limit(), Some(50), "server-capped limit read back");
    let mut unique = slugs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), slugs.len(), "no repo twice");
    assert!(slugs.len() >= 2_300, "{} repos", slugs.len());
    // Every request used the previous nextPageStart; none computed start+size.
    let starts: Vec<u64> = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/rest/api/1.0/repos"))
        .filter_map(|r| {
            url::form_urlencoded::parse(r.query.as_deref().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "start")
                .and_then(|(_, v)| v.parse().ok())
        })
        .collect();
    assert_eq!(starts.len() as u32, paged.pages_fetched());
    assert!(starts.windows(2).any(|w| w[1] - w[0] != 50), "the fake skipped hidden items");

    let per_project = c.project_repos("BIG").unwrap().collect_all().await.unwrap();
    assert_eq!(per_project.len(), slugs.len());

    // A tight page guard stops the listing with a typed error.
    let mut tight = c.config().clone();
    tight.page_guard = PageGuard { max_pages: 3, page_size: 1000 };
    let err = Client::new(tight)
        .unwrap()
        .repos(&RepoFilter::default())
        .unwrap()
        .collect_all()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PageLimit { max_pages: 3, .. }), "{err}");
}

#[tokio::test]
async fn context_path_rate_limit_and_errors() {
    let fake = fake(Config::default()).await;
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    let c = client(&fake, Auth::Bearer(Secret::new(token.clone())));

    fake.inject_fault(Fault {
        path_prefix: "/rest/api/1.0/projects".into(),
        status: 429,
        count: 2,
        retry_after: Some(2),
    });
    let projects = c.projects().await.unwrap();
    assert!(projects.iter().any(|p| p.key == "SHOP"));
    fake.inject_fault(Fault {
        path_prefix: "/rest/api/1.0/projects".into(),
        status: 503,
        count: 1,
        retry_after: None,
    });
    assert_eq!(c.repo("SHOP", "web").await.unwrap().slug, "web");

    let err = c.repo("SHOP", "missing").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("missing"), "{err}");

    for r in fake.requests() {
        assert!(r.path.starts_with("/bitbucket/"), "{}", r.path);
        let xsrf =
            r.headers.iter().find(|(k, _)| k == "x-atlassian-token").map(|(_, v)| v.as_str());
        assert_eq!(xsrf, Some("no-check"), "{}", r.path);
    }

    // The same server configured without its context path.
    let root = fake.base_url().trim_end_matches(fake.context_path()).to_owned();
    let wrong = Client::new(config(&root, Auth::Bearer(Secret::new(token)))).unwrap();
    let err = wrong.test_connection().await.unwrap_err();
    match &err {
        Error::WrongContextPath { suggestion, .. } => {
            assert_eq!(suggestion.as_deref(), Some(fake.base_url()));
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn files_refs_commits_and_tags_after_a_push() {
    let fake = fake(Config::default()).await;
    fake.add_repo(RepoSpec::new("SHOP", "empty")).ok();
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    let c = client(&fake, Auth::Bearer(Secret::new(token)));

    let report = fake
        .push(
            "SHOP",
            "web",
            Push::new()
                .commit(
                    CommitSpec::on("main")
                        .message("bump")
                        .file("Cargo.lock", "# lock\nversion = 4\n"),
                )
                .create_tag("v1.0", Some("main"), Some("release")),
        )
        .await
        .unwrap();
    assert!(!report.changes.is_empty());
    let head = fake.branch_head("SHOP", "web", "main").unwrap();

    let default = c.default_branch("SHOP", "web").await.unwrap().unwrap();
    assert_eq!(default.id, "refs/heads/main");
    let latest = c.latest_commit("SHOP", "web", &default.id).await.unwrap().unwrap();
    assert_eq!(latest.id, head);
    assert!(latest.author_timestamp.is_some());
    let branches = c.branches("SHOP", "web").unwrap().collect_all().await.unwrap();
    assert_eq!(
        branches.iter().find(|b| b.id == "refs/heads/main").and_then(|b| b.head()),
        Some(head.as_str())
    );

    let raw = c.raw_file("SHOP", "web", "Cargo.lock", &head, 1 << 20).await.unwrap();
    assert_eq!(raw, b"# lock\nversion = 4\n");
    let first = latest.parents.first().map(|p| p.id.clone()).unwrap();
    let old = c.raw_file("SHOP", "web", "Cargo.lock", &first, 1 << 20).await.unwrap();
    assert_eq!(old, b"# lock\r\nversion = 3\r\n", "CRLF kept");

    let changes = c.commit_changes("SHOP", "web", &head).unwrap().collect_all().await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path.full(), "Cargo.lock");
    let compare =
        c.compare_changes("SHOP", "web", &head, &first).unwrap().collect_all().await.unwrap();
    assert_eq!(compare.iter().map(|ch| ch.path.full()).collect::<Vec<_>>(), vec!["Cargo.lock"]);
    let commits = c
        .commits(
            "SHOP",
            "web",
            &depwatch_bitbucket::CommitQuery { until: Some(head.clone()), ..Default::default() },
        )
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(commits.len(), 2);

    let tag = c.tag("SHOP", "web", "refs/tags/v1.0").await.unwrap();
    assert_eq!(tag.commit_id(), Some(head.as_str()), "annotated tag peeled to its commit");
    assert!(tag.is_annotated());

    let err = c.raw_file("SHOP", "web", "nope.txt", &head, 1024).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert_eq!(c.latest_commit("SHOP", "web", "refs/heads/nope").await.unwrap(), None);
    let empty = c.default_branch("SHOP", "empty").await.unwrap();
    if let Some(r) = empty {
        // /default-branch names the configured ref even before anything is pushed.
        assert_eq!(c.latest_commit("SHOP", "empty", &r.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn webhooks_crud_and_post_receive_plugin() {
    let fake = fake(Config::default()).await;
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    let c = client(&fake, Auth::Bearer(Secret::new(token)));
    let target = HookTarget::repo("SHOP", "web");

    let spec = WebhookSpec {
        name: "depwatch-laptop".into(),
        url: "http://127.0.0.1:9/hook/native/abc".into(),
        active: true,
        events: vec!["repo:refs_changed".into(), "repo:modified".into()],
        secret: Some(Secret::new("0123456789abcdef")),
        ssl_verification_required: None,
    };
    let created = c.create_webhook(&target, &spec).await.unwrap();
    assert_eq!(created.url, spec.url);
    let listed = c.list_webhooks(&target).await.unwrap();
    assert_eq!(listed.iter().filter(|h| h.url == spec.url).count(), 1);
    let got = c.get_webhook(&target, created.id).await.unwrap();
    assert_eq!(got.events.len(), 2);
    let mut changed = spec.clone();
    changed.active = false;
    let updated = c.update_webhook(&target, created.id, &changed).await.unwrap();
    assert_eq!(updated.active, Some(false));
    c.delete_webhook(&target, created.id).await.unwrap();
    assert!(matches!(c.get_webhook(&target, created.id).await, Err(Error::NotFound { .. })));

    // Unknown event keys are refused by the server with its own message.
    let mut bad = spec.clone();
    bad.events = vec!["repo:push".into()];
    let err = c.create_webhook(&target, &bad).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");

    // Project-level webhooks.
    let project = HookTarget::project("SHOP");
    let ph = c.create_webhook(&project, &spec).await.unwrap();
    assert_eq!(c.list_webhooks(&project).await.unwrap().len(), 1);
    c.delete_webhook(&project, ph.id).await.unwrap();

    // The server-side reachability test calls our (unreachable) URL and reports back.
    let result = c.test_webhook_url(&target, "http://127.0.0.1:9/hook/native/abc", None).await;
    assert!(result.is_ok(), "{result:?}");

    // Post-receive plugin: add ours next to someone else's URL, then remove only ours.
    let hook = c.hook(&target, POST_RECEIVE_HOOK_KEY).await.unwrap().expect("plugin installed");
    assert!(!hook.enabled);
    let mut settings = depwatch_bitbucket::HookSettings::new();
    settings.insert("hook-url-0".into(), "http://ci.corp/hook".into());
    c.put_hook_settings(&target, POST_RECEIVE_HOOK_KEY, &settings).await.unwrap();
    let ours = "http://127.0.0.1:9/hook/prh/t0ken";
    let change = c.add_post_receive_url(&target, ours).await.unwrap();
    assert_eq!(change, HookUrlChange::Added { slot: "hook-url-1".into() });
    assert!(c.hook(&target, POST_RECEIVE_HOOK_KEY).await.unwrap().unwrap().enabled);
    assert_eq!(
        c.add_post_receive_url(&target, ours).await.unwrap(),
        HookUrlChange::AlreadyPresent { slot: "hook-url-1".into() }
    );
    let change = c.remove_post_receive_url(&target, ours).await.unwrap();
    assert_eq!(change, HookUrlChange::Removed { remaining: 1 });
    let left = c.hook_settings(&target, POST_RECEIVE_HOOK_KEY).await.unwrap();
    assert_eq!(left.get("hook-url-0").and_then(|v| v.as_str()), Some("http://ci.corp/hook"));
    assert_eq!(left.len(), 1);
    assert_eq!(c.remove_post_receive_url(&target, ours).await.unwrap(), HookUrlChange::NotPresent);

    fake.set_plugin_installed(false);
    assert_eq!(c.hook(&target, POST_RECEIVE_HOOK_KEY).await.unwrap(), None);
    assert!(matches!(c.add_post_receive_url(&target, ours).await, Err(Error::InvalidInput(_))));
    let err =
        c.hook(&HookTarget::repo("SHOP", "missing"), POST_RECEIVE_HOOK_KEY).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}
