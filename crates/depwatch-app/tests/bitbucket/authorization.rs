//! The OAuth 1.0a flow against the fake's provider, with an HTTP client as the "browser": it
//! loads the HTML authorize page, posts Allow or Deny with the page's XSRF token, and follows
//! the redirect to depwatch's loopback callback.

use depwatch_app::{
    App, Authorization, AuthorizationState, CallbackEndpoint, FailureKind, StartedAuthorization,
};
use depwatch_fakebb::{press_authorize, AuthorizeAnswer, Config, FakeBitbucket};
use depwatch_store::InstanceState;
use std::time::Duration;

const OTHER_PUBLIC_KEY: &str = include_str!("../fixtures/oauth/other-consumer-public.pem");

/// A browser without cookies or redirects, following the authorize page's redirect (pressing
/// Allow or Deny is `depwatch_fakebb::press_authorize`).
pub struct Browser {
    http: reqwest::Client,
}

impl Browser {
    pub fn new() -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Browser { http }
    }

    /// Opens `location` (the callback the authorize page redirected to): status and body.
    pub async fn follow(&self, location: &str) -> (u16, String) {
        let reply = self.http.get(location).send().await.unwrap();
        (reply.status().as_u16(), reply.text().await.unwrap())
    }
}
/// The verifier shown on the fake's out-of-band page.
pub fn verifier_on(page: &str) -> String {
    let marker = "<code id=\"oauth-verifier\">";
    let start = page.find(marker).unwrap_or_else(|| panic!("verifier in {page}")) + marker.len();
    page[start..].split('<').next().unwrap().to_owned()
}

struct OAuthSetup {
    fake: FakeBitbucket,
    app: App,
    consumer_key: String,
    public_key_pem: String,
    _dir: tempfile::TempDir,
}

/// A fake with one admin and an app whose OAuth instance is registered on the fake (unless
/// `register` is false).
async fn oauth_setup(config: Config, register: bool) -> OAuthSetup {
    let fake = FakeBitbucket::start(config).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = crate::open_app(dir.path());
    let setup = app.oauth_setup(fake.base_url(), None).unwrap();
    assert!(setup.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(setup.consumer_key.starts_with("depwatch-"), "{}", setup.consumer_key);
    assert_eq!(setup.consumer_name, "depwatch");
    if register {
        fake.add_consumer(&setup.consumer_key, "depwatch", &setup.public_key_pem, None).unwrap();
    }
    OAuthSetup {
        fake,
        app,
        consumer_key: setup.consumer_key,
        public_key_pem: setup.public_key_pem,
        _dir: dir,
    }
}

async fn start(
    s: &OAuthSetup,
    flow: &Authorization,
    endpoint: CallbackEndpoint,
) -> StartedAuthorization {
    flow.start(&s.app, None, endpoint, None).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_through_the_loopback_callback_stores_a_working_token() {
    let s = oauth_setup(Config::default(), true).await;
    // The key pair is made once: asking again shows the same key.
    let again = s.app.oauth_setup(s.fake.base_url(), None).unwrap();
    assert_eq!(again.public_key_pem, s.public_key_pem);
    assert_eq!(again.consumer_key, s.consumer_key);
    assert_eq!(s.app.instances().unwrap().len(), 1);

    let flow = Authorization::new();
    let opened = std::sync::Mutex::new(Vec::<String>::new());
    let open = |url: &str| {
        opened.lock().unwrap().push(url.to_owned());
        Ok(())
    };
    let started = flow.start(&s.app, None, CallbackEndpoint::OneShot, Some(&open)).await.unwrap();
    assert_eq!(opened.lock().unwrap().as_slice(), std::slice::from_ref(&started.authorize_url));
    assert!(!started.out_of_band);
    let callback = started.callback_url.clone().unwrap();
    assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
    assert!(callback.contains("/oauth/callback/"), "{callback}");
    assert_eq!(flow.status().state, AuthorizationState::Waiting);
    // The request token was asked for with this exact callback.
    let rt_request = s
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/plugins/servlet/oauth/request-token"))
        .unwrap();
    assert_eq!(rt_request.method, "POST");

    let mut events = flow.subscribe();
    let waiter = {
        let flow = flow.clone();
        let app = &s.app;
        async move { flow.wait(app).await }
    };
    let browser = async {
        let AuthorizeAnswer::Redirect(location) =
            press_authorize(&started.authorize_url, true).await.unwrap()
        else {
            panic!("Allow must redirect to the loopback callback");
        };
        assert!(location.starts_with(&callback), "{location}");
        Browser::new().follow(&location).await
    };
    let (status, (code, page)) = tokio::join!(waiter, browser);
    assert_eq!(code, 200);
    assert!(page.contains("You can close this tab"), "{page}");
    assert_eq!(status.state, AuthorizationState::Authorized, "{status:?}");
    let report = status.report.unwrap();
    assert_eq!(report.state, InstanceState::Ok, "{report:?}");
    assert_eq!(report.user_name.as_deref(), Some("admin"));
    assert_eq!(events.borrow_and_update().state, AuthorizationState::Authorized);

    // The session (expiry and renewal time) is known; Bitbucket's default is five years.
    let session = s.app.oauth_session(None).unwrap().unwrap();
    let five_years_ms = 157_680_000_000;
    let lifetime = session.expires_at_ms.unwrap() - session.issued_at_ms;
    assert_eq!(lifetime, five_years_ms);
    assert!(session.renewal_due_at_ms.unwrap() < session.expires_at_ms.unwrap());

    // A replayed callback is refused: the one-shot listener is gone.
    let replay = reqwest::Client::new().get(&callback).send().await;
    assert!(replay.is_err(), "the one-shot listener must be closed after the callback");
    // The secrets never reach the database file.
    let db = std::fs::read(s.app.data_dir().database_path()).unwrap();
    let text = String::from_utf8_lossy(&db);
    assert!(!text.contains("BEGIN PRIVATE KEY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_fails_the_attempt_and_leaves_the_instance_unauthorized() {
    let s = oauth_setup(Config::default(), true).await;
    let flow = Authorization::new();
    let started = start(&s, &flow, CallbackEndpoint::OneShot).await;
    let browser = async {
        let AuthorizeAnswer::Redirect(location) =
            press_authorize(&started.authorize_url, false).await.unwrap()
        else {
            panic!("Deny must redirect to the loopback callback");
        };
        assert!(location.contains("oauth_verifier=denied"), "{location}");
        Browser::new().follow(&location).await
    };
    let (status, (code, page)) = tokio::join!(flow.wait(&s.app), browser);
    assert_eq!(code, 200);
    assert!(page.contains("Access denied"), "{page}");
    assert_eq!(status.state, AuthorizationState::Failed);
    let failure = status.failure.unwrap();
    assert_eq!(failure.kind, FailureKind::Denied);
    assert!(failure.message.contains("denied"), "{}", failure.message);
    let report = s.app.test_instance(None).await.unwrap();
    assert_eq!(report.state, InstanceState::AuthorizationPending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_public_key_on_the_application_link_is_a_refused_signature() {
    let s = oauth_setup(Config::default(), false).await;
    s.fake.add_consumer(&s.consumer_key, "depwatch", OTHER_PUBLIC_KEY, None).unwrap();
    let flow = Authorization::new();
    let err = flow.start(&s.app, None, CallbackEndpoint::OneShot, None).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("signature_invalid"), "{message}");
    assert!(!message.contains("BEGIN"), "no key material in errors: {message}");
    assert_eq!(flow.status().state, AuthorizationState::Idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_request_token_ends_the_attempt_as_expired() {
    // Locally: the attempt's deadline passes with no callback (a zero lifetime, so the test
    // does not wait ten minutes).
    let s = oauth_setup(Config::default(), true).await;
    let flow = Authorization::with_request_token_ttl(Duration::ZERO);
    let started = start(&s, &flow, CallbackEndpoint::OneShot).await;
    let status = flow.wait(&s.app).await;
    assert_eq!(status.state, AuthorizationState::Expired, "{status:?}");
    // The browser arriving late finds nobody waiting.
    let AuthorizeAnswer::Redirect(location) =
        press_authorize(&started.authorize_url, true).await.unwrap()
    else {
        panic!("Allow must redirect");
    };
    let late = reqwest::Client::new().get(&location).send().await;
    assert!(late.is_err(), "the listener is closed once the attempt expired");

    // On the server: the fake's clock passes the request token's ten minutes between Allow
    // and the exchange (out of band, so the verifier is pasted).
    let config = Config { timestamp_window: Duration::from_secs(3600), ..Config::default() };
    let s = oauth_setup(config, true).await;
    let flow = Authorization::new();
    let started = start(&s, &flow, CallbackEndpoint::OutOfBand).await;
    assert!(started.out_of_band);
    assert!(started.callback_url.is_none());
    let AuthorizeAnswer::Page(page) = press_authorize(&started.authorize_url, true).await.unwrap()
    else {
        panic!("out of band shows the verifier");
    };
    let verifier = verifier_on(&page);
    s.fake.set_clock_skew(11 * 60);
    let err = flow.submit_verifier(&s.app, &verifier).await.unwrap_err();
    assert!(err.to_string().contains("token_expired"), "{err}");
    assert_eq!(flow.status().state, AuthorizationState::Expired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_verifier_completes_an_out_of_band_attempt() {
    let s = oauth_setup(Config::default(), true).await;
    let flow = Authorization::new();
    let started = start(&s, &flow, CallbackEndpoint::OutOfBand).await;
    let rt_request =
        s.fake.requests().into_iter().find(|r| r.path.ends_with("/oauth/request-token")).unwrap();
    let header = rt_request.headers.iter().find(|(k, _)| k == "authorization").unwrap();
    assert!(header.1.contains("oauth_callback=\"oob\""), "{}", header.1);
    let AuthorizeAnswer::Page(page) = press_authorize(&started.authorize_url, true).await.unwrap()
    else {
        panic!("out of band shows the verifier");
    };
    let report =
        flow.submit_verifier(&s.app, &format!(" {} \n", verifier_on(&page))).await.unwrap();
    assert_eq!(report.state, InstanceState::Ok);
    assert_eq!(flow.status().state, AuthorizationState::Authorized);
    // Nothing left to submit to.
    assert!(flow.submit_verifier(&s.app, "abcdef").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_and_cancelled_callbacks_are_refused() {
    let s = oauth_setup(Config::default(), true).await;
    let flow = Authorization::new();
    let started = start(&s, &flow, CallbackEndpoint::OneShot).await;
    let callback = started.callback_url.clone().unwrap();
    // Right nonce, wrong request token: refused, the attempt keeps waiting.
    let (code, page) = Browser::new()
        .follow(&format!("{callback}?oauth_token=forged&oauth_verifier=abcdef"))
        .await;
    assert_eq!(code, 400, "{page}");
    // A guessed nonce on the same listener.
    let origin = callback.split("/oauth/").next().unwrap();
    let (code, _) = Browser::new()
        .follow(&format!("{origin}/oauth/callback/0123456789abcdef?oauth_token=x&oauth_verifier=y"))
        .await;
    assert_eq!(code, 404);
    assert_eq!(flow.status().state, AuthorizationState::Waiting);

    // Cancel while someone waits: the waiter returns, the state is idle, the listener closes.
    let waiter = {
        let flow = flow.clone();
        let app = &s.app;
        async move { flow.wait(app).await }
    };
    let canceller = async {
        tokio::task::yield_now().await;
        flow.cancel();
    };
    let (status, ()) = tokio::join!(waiter, canceller);
    assert_eq!(status.state, AuthorizationState::Idle);
    let AuthorizeAnswer::Redirect(location) =
        press_authorize(&started.authorize_url, true).await.unwrap()
    else {
        panic!("Allow must redirect");
    };
    assert!(reqwest::Client::new().get(&location).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_listener_serves_the_callback_too() {
    use depwatch_hook::{EveryRepository, HookConfig, HookState, MemoryInbox};
    use std::sync::Arc;
    let s = oauth_setup(Config::default(), true).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let state = HookState::new(
        HookConfig::default(),
        Arc::new(MemoryInbox::new()),
        Arc::new(EveryRepository),
    )
    .unwrap();
    let callbacks = state.oauth_callbacks().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(depwatch_hook::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let flow = Authorization::new();
    let started = start(
        &s,
        &flow,
        CallbackEndpoint::Listener { callbacks: callbacks.clone(), origin: origin.clone() },
    )
    .await;
    assert!(started.callback_url.as_deref().unwrap().starts_with(&origin));
    assert_eq!(callbacks.waiting(), 1);
    let browser = async {
        let AuthorizeAnswer::Redirect(location) =
            press_authorize(&started.authorize_url, true).await.unwrap()
        else {
            panic!("Allow must redirect");
        };
        Browser::new().follow(&location).await
    };
    let (status, (code, page)) = tokio::join!(flow.wait(&s.app), browser);
    assert_eq!(code, 200, "{page}");
    assert_eq!(status.state, AuthorizationState::Authorized, "{status:?}");
    assert_eq!(callbacks.waiting(), 0);
    // The listener keeps serving webhooks afterwards.
    let health = reqwest::get(format!("{origin}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_tokens_are_renewed_with_the_session_handle_before_expiry() {
    let config = Config {
        access_token_ttl: Duration::from_secs(120),
        session_ttl: Duration::from_secs(3600),
        ..Config::default()
    };
    let s = oauth_setup(config, true).await;
    let flow = Authorization::new();
    let started = start(&s, &flow, CallbackEndpoint::OutOfBand).await;
    let AuthorizeAnswer::Page(page) = press_authorize(&started.authorize_url, true).await.unwrap()
    else {
        panic!("out of band shows the verifier");
    };
    flow.submit_verifier(&s.app, &verifier_on(&page)).await.unwrap();
    let first = s.app.oauth_session(None).unwrap().unwrap();
    assert_eq!(first.expires_at_ms.unwrap() - first.issued_at_ms, 120_000);
    assert_eq!(first.session_expires_at_ms.unwrap() - first.issued_at_ms, 3_600_000);
    assert_eq!(first.renewal_due_at_ms.unwrap() - first.issued_at_ms, 60_000);
    let instance = s.app.resolve_instance(None).unwrap();

    // Not due yet: nothing is sent.
    s.fake.clear_requests();
    assert!(!s.app.renew_if_due(&instance, first.issued_at_ms + 30_000).await.unwrap());
    assert!(s.fake.requests().is_empty());

    // Due (past half-life): renewed with the session handle, signed with the current token.
    s.fake.set_clock_skew(90);
    assert!(s.app.renew_if_due(&instance, first.issued_at_ms + 90_000).await.unwrap());
    let renewal = s
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/oauth/access-token"))
        .expect("a renewal request");
    assert_eq!(renewal.method, "POST");
    assert!(renewal.query.as_deref().unwrap_or("").contains("oauth_session_handle="));
    let second = s.app.oauth_session(None).unwrap().unwrap();
    assert!(second.issued_at_ms > first.issued_at_ms);
    // The fake's clock is now past the first token's expiry; the new token works.
    s.fake.set_clock_skew(150);
    let report = s.app.test_instance(None).await.unwrap();
    assert_eq!(report.state, InstanceState::Ok, "{report:?}");
    // Renewal refused (the user revoked the app): visible auth error.
    s.fake.set_clock_skew(0);
    let token =
        s.app.secret_store().store.get("instance/127.0.0.1/oauth-access-token").unwrap().unwrap();
    assert!(s.fake.revoke_oauth_token(token.expose()));
    let err = s.app.renew_authorization(None).await.unwrap_err();
    assert!(err.to_string().contains("token_rejected"), "{err}");
    let instance = s.app.resolve_instance(None).unwrap();
    assert_eq!(instance.state, InstanceState::AuthError);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_instance_switches_to_oauth_and_keeps_its_name_and_data() {
    let (fake, token) = crate::setup(depwatch_fakebb::Permission::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let app = crate::open_app(dir.path());
    crate::add(&app, &fake, &token);
    let setup = app.oauth_setup(fake.base_url(), None).unwrap();
    assert_eq!(setup.instance, "corp");
    let instance = app.resolve_instance(None).unwrap();
    assert_eq!(instance.auth_kind, depwatch_store::AuthKind::OAuth);
    assert_eq!(instance.state, InstanceState::AuthorizationPending);
    assert_eq!(instance.consumer_key.as_deref(), Some(setup.consumer_key.as_str()));
    // The same key pair on the next call.
    assert_eq!(
        app.oauth_setup(fake.base_url(), None).unwrap().public_key_pem,
        setup.public_key_pem
    );
    // An unusable URL is an error naming it.
    let err = app.oauth_setup("not a url", None).unwrap_err().to_string();
    assert!(err.contains("not a url"), "{err}");
}
