//! The OAuth 1.0a dance against the fake, with a locally generated RSA key and signing code
//! written here (independent of the fake's own verifier).

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use depwatch_fakebb::Config;
use rand::Rng;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::{Digest, Sha1};

use crate::common::{seeded, Env};

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("generate RSA key"))
}

/// RFC 3986 encoding with the unreserved set only.
fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A signer for one consumer; `skew` moves our timestamps (the fake's clock may be skewed).
struct Signer {
    consumer: String,
    skew: i64,
}

impl Signer {
    /// Returns the `Authorization` header for a request. `url` has no query; `query` and
    /// `form` are decoded pairs; `extra` are additional oauth_* parameters.
    fn header(
        &self,
        method: &str,
        url: &str,
        query: &[(&str, &str)],
        form: &[(&str, &str)],
        extra: &[(&str, &str)],
        nonce: Option<&str>,
    ) -> String {
        let ts = (SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() as i64
            + self.skew)
            .to_string();
        let nonce = nonce.map(str::to_owned).unwrap_or_else(|| {
            rand::thread_rng()
                .sample_iter(&rand::distributions::Alphanumeric)
                .take(16)
                .map(char::from)
                .collect()
        });
        let mut oauth: Vec<(String, String)> = vec![
            ("oauth_consumer_key".into(), self.consumer.clone()),
            ("oauth_signature_method".into(), "RSA-SHA1".into()),
            ("oauth_timestamp".into(), ts),
            ("oauth_nonce".into(), nonce),
            ("oauth_version".into(), "1.0".into()),
        ];
        oauth.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut all: Vec<(String, String)> = oauth
            .iter()
            .cloned()
            .chain(query.iter().chain(form.iter()).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
            .map(|(k, v)| (pct(&k), pct(&v)))
            .collect();
        all.sort();
        let params = all.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let base = format!("{}&{}&{}", method, pct(url), pct(&params));
        let sig =
            key().sign(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(base.as_bytes())).expect("sign");
        let sig = base64::engine::general_purpose::STANDARD.encode(sig);
        let mut parts = vec![format!("realm=\"{}\"", pct(url))];
        parts.extend(oauth.iter().map(|(k, v)| format!("{k}=\"{}\"", pct(v))));
        parts.push(format!("oauth_signature=\"{}\"", pct(&sig)));
        format!("OAuth {}", parts.join(", "))
    }
}

fn form_decode(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

fn field(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

async fn setup(config: Config) -> (Env, Signer) {
    let env = seeded(config).await;
    let pem = key().to_public_key().to_public_key_pem(LineEnding::LF).expect("pem");
    env.fake.add_consumer("depwatch", "depwatch desktop", &pem, None).expect("consumer");
    (env, Signer { consumer: "depwatch".into(), skew: 0 })
}

fn servlet(env: &Env, name: &str) -> String {
    format!("{}/plugins/servlet/oauth/{name}", env.fake.base_url())
}

/// POSTs a signed form to a token servlet; returns status, WWW-Authenticate and decoded body.
async fn post_signed(
    env: &Env,
    signer: &Signer,
    name: &str,
    form: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> (u16, Option<String>, Vec<(String, String)>) {
    let url = servlet(env, name);
    let auth = signer.header("POST", &url, &[], form, extra, None);
    let body =
        form.iter().map(|(k, v)| format!("{}={}", pct(k), pct(v))).collect::<Vec<_>>().join("&");
    let resp = env
        .http
        .post(&url)
        .header("Authorization", auth)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    let www =
        resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, www, form_decode(&resp.text().await.expect("text")))
}

async fn request_token(env: &Env, signer: &Signer, callback: &str) -> String {
    let (status, _, body) =
        post_signed(env, signer, "request-token", &[], &[("oauth_callback", callback)]).await;
    assert_eq!(status, 200, "{body:?}");
    assert_eq!(field(&body, "oauth_callback_confirmed").as_deref(), Some("true"));
    field(&body, "oauth_token").expect("request token")
}

/// Loads the authorize page and posts the chosen button; returns the response.
async fn decide(env: &Env, token: &str, approve: bool) -> reqwest::Response {
    let page = env
        .http
        .get(format!("{}?oauth_token={token}", servlet(env, "authorize")))
        .send()
        .await
        .expect("authorize page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("name=\"approve\"") && page.contains("name=\"deny\""));
    let xsrf = page
        .split("name=\"atl_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("xsrf field")
        .to_owned();
    let button = if approve { "approve=Allow" } else { "deny=Deny" };
    env.http
        .post(servlet(env, "authorize"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("oauth_token={token}&atl_token={xsrf}&{button}"))
        .send()
        .await
        .expect("decide")
}

fn location_params(resp: &reqwest::Response) -> (String, Vec<(String, String)>) {
    let loc = resp.headers()["location"].to_str().expect("location").to_owned();
    let (path, query) = loc.split_once('?').expect("query");
    (path.to_owned(), form_decode(query))
}

#[tokio::test]
async fn full_dance_approve_then_signed_rest_and_renewal() {
    let (env, signer) = setup(Config::default()).await;
    // GET on token servlets does nothing.
    let resp = env.http.get(servlet(&env, "request-token")).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.expect("text").is_empty());

    let callback = "http://127.0.0.1:5555/oauth/bbs/n0nce";
    let rt = request_token(&env, &signer, callback).await;

    // Before approval: permission_unknown.
    let (status, www, body) = post_signed(
        &env,
        &signer,
        "access-token",
        &[],
        &[("oauth_token", &rt), ("oauth_verifier", "abcdef")],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("permission_unknown"));
    assert!(www.is_some_and(
        |w| w.starts_with("OAuth realm=") && w.contains("oauth_problem=\"permission_unknown\"")
    ));

    let resp = decide(&env, &rt, true).await;
    assert_eq!(resp.status().as_u16(), 302);
    let (path, params) = location_params(&resp);
    assert_eq!(path, callback);
    assert_eq!(field(&params, "oauth_token").as_deref(), Some(rt.as_str()));
    let verifier = field(&params, "oauth_verifier").expect("verifier");
    assert_eq!(verifier.len(), 6);
    assert!(verifier.chars().all(|c| c.is_ascii_alphanumeric()));

    // Verifier required for 1.0a.
    let (status, _, body) =
        post_signed(&env, &signer, "access-token", &[], &[("oauth_token", &rt)]).await;
    assert_eq!(status, 400);
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("parameter_absent"));

    let (status, _, body) = post_signed(
        &env,
        &signer,
        "access-token",
        &[],
        &[("oauth_token", &rt), ("oauth_verifier", &verifier)],
    )
    .await;
    assert_eq!(status, 200, "{body:?}");
    let access = field(&body, "oauth_token").expect("access token");
    let handle = field(&body, "oauth_session_handle").expect("session handle");
    assert_eq!(field(&body, "oauth_expires_in").as_deref(), Some("157680000"));
    assert_eq!(field(&body, "oauth_authorization_expires_in").as_deref(), Some("160272000"));
    assert!(field(&body, "oauth_token_secret").is_some());

    // A signed REST call with a query string: every query parameter is in the base string.
    let url = format!("{}/rest/api/1.0/projects/SHOP/repos/web/files", env.fake.base_url());
    let query = [("at", "refs/heads/main"), ("limit", "1000"), ("start", "0")];
    let auth = signer.header("GET", &url, &query, &[], &[("oauth_token", &access)], None);
    let resp = env
        .http
        .get(format!("{url}?at=refs%2Fheads%2Fmain&limit=1000&start=0"))
        .header("Authorization", &auth)
        .send()
        .await
        .expect("rest");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-ausername"], "admin");

    // whoami with OAuth.
    let who_url = format!("{}/plugins/servlet/applinks/whoami", env.fake.base_url());
    let auth = signer.header("GET", &who_url, &[], &[], &[("oauth_token", &access)], None);
    let who = env.http.get(&who_url).header("Authorization", auth).send().await.expect("whoami");
    assert_eq!(who.text().await.expect("text"), "admin");

    // Renewal through the session handle.
    let (status, _, body) = post_signed(
        &env,
        &signer,
        "access-token",
        &[],
        &[("oauth_token", &access), ("oauth_session_handle", &handle)],
    )
    .await;
    assert_eq!(status, 200, "{body:?}");
    let renewed = field(&body, "oauth_token").expect("renewed");
    assert_ne!(renewed, access);
    let (status, _, body) = post_signed(
        &env,
        &signer,
        "access-token",
        &[],
        &[("oauth_token", &renewed), ("oauth_session_handle", "wrong")],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("token_rejected"));

    // Revoked → token_rejected on REST.
    assert!(env.fake.revoke_oauth_token(&renewed));
    let url = format!("{}/rest/api/1.0/projects", env.fake.base_url());
    let auth = signer.header("GET", &url, &[], &[], &[("oauth_token", &renewed)], None);
    let resp = env.http.get(&url).header("Authorization", auth).send().await.expect("rest");
    assert_eq!(resp.status().as_u16(), 401);
    assert!(resp.text().await.expect("text").contains("oauth_problem=token_rejected"));
}

#[tokio::test]
async fn deny_and_oob() {
    let (env, signer) = setup(Config::default()).await;
    let rt = request_token(&env, &signer, "http://127.0.0.1:5555/cb?x=1").await;
    let resp = decide(&env, &rt, false).await;
    assert_eq!(resp.status().as_u16(), 302);
    let (_, params) = location_params(&resp);
    assert_eq!(field(&params, "x").as_deref(), Some("1"), "existing query kept");
    assert_eq!(field(&params, "oauth_verifier").as_deref(), Some("denied"));
    let (status, _, body) = post_signed(
        &env,
        &signer,
        "access-token",
        &[],
        &[("oauth_token", &rt), ("oauth_verifier", "denied")],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("permission_denied"));

    // oob renders the verifier on a page.
    let rt = request_token(&env, &signer, "oob").await;
    let resp = decide(&env, &rt, true).await;
    assert_eq!(resp.status().as_u16(), 200);
    let page = resp.text().await.expect("html");
    let verifier = page
        .split("id=\"oauth-verifier\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("verifier on page")
        .to_owned();
    assert_eq!(verifier.len(), 6);
    let (status, _, _) = post_signed(
        &env,
        &signer,
        "access-token",
        &[],
        &[("oauth_token", &rt), ("oauth_verifier", &verifier)],
    )
    .await;
    assert_eq!(status, 200);

    // A bad callback is rejected.
    let (status, www, body) =
        post_signed(&env, &signer, "request-token", &[], &[("oauth_callback", "/relative/cb")])
            .await;
    assert_eq!(status, 400);
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("parameter_rejected"));
    assert_eq!(field(&body, "oauth_parameters_rejected").as_deref(), Some("oauth_callback"));
    assert!(www.is_some());
}

#[tokio::test]
async fn bad_signature_unknown_consumer_nonce_replay_and_timestamps() {
    let (env, signer) = setup(Config::default()).await;
    // Signed over a different URL (a proxy rewrote the host): signature_invalid with base string.
    let wrong = Signer { consumer: "depwatch".into(), skew: 0 };
    let url = servlet(&env, "request-token");
    let auth = wrong.header(
        "POST",
        "http://proxy.example/bitbucket/plugins/servlet/oauth/request-token",
        &[],
        &[],
        &[("oauth_callback", "oob")],
        None,
    );
    let resp = env.http.post(&url).header("Authorization", auth).send().await.expect("send");
    assert_eq!(resp.status().as_u16(), 401);
    let body = form_decode(&resp.text().await.expect("text"));
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("signature_invalid"));
    let echoed = field(&body, "oauth_signature_base_string").expect("base string echoed");
    assert!(echoed.starts_with("POST&http%3A%2F%2F127.0.0.1%3A"), "{echoed}");
    assert!(echoed.contains("%2Fbitbucket%2Fplugins%2Fservlet%2Foauth%2Frequest-token"));

    // Unknown consumer.
    let stranger = Signer { consumer: "stranger".into(), skew: 0 };
    let (status, _, body) =
        post_signed(&env, &stranger, "request-token", &[], &[("oauth_callback", "oob")]).await;
    assert_eq!(status, 401);
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("consumer_key_unknown"));

    // Nonce replay: the exact same signed request twice.
    let auth =
        signer.header("POST", &url, &[], &[], &[("oauth_callback", "oob")], Some("fixed-nonce"));
    let first = env.http.post(&url).header("Authorization", &auth).send().await.expect("send");
    assert_eq!(first.status().as_u16(), 200);
    let again = env.http.post(&url).header("Authorization", &auth).send().await.expect("send");
    assert_eq!(again.status().as_u16(), 401);
    assert!(again.text().await.expect("text").contains("oauth_problem=nonce_used"));

    // Server clock skewed by an hour: timestamp_refused (400).
    env.fake.set_clock_skew(3600);
    let (status, www, body) =
        post_signed(&env, &signer, "request-token", &[], &[("oauth_callback", "oob")]).await;
    assert_eq!(status, 400);
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("timestamp_refused"));
    assert!(www.is_some_and(|w| w.contains("timestamp_refused")));
}

#[tokio::test]
async fn expired_request_and_access_tokens() {
    let (env, mut signer) =
        setup(Config { access_token_ttl: Duration::from_secs(3600), ..Config::default() }).await;
    // Request token older than 10 minutes: the server clock jumps 11 minutes, and we sign
    // with the jumped clock so only the token age matters.
    let rt = request_token(&env, &signer, "oob").await;
    env.fake.set_clock_skew(660);
    signer.skew = 660;
    let page = env
        .http
        .get(format!("{}?oauth_token={rt}", servlet(&env, "authorize")))
        .send()
        .await
        .expect("authorize");
    assert_eq!(page.status().as_u16(), 400);
    assert!(page.text().await.expect("html").contains("expired"));
    let (status, _, body) = post_signed(
        &env,
        &signer,
        "access-token",
        &[],
        &[("oauth_token", &rt), ("oauth_verifier", "x")],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(field(&body, "oauth_problem").as_deref(), Some("token_expired"));

    // Access token past its TTL → token_expired on REST.
    let (access, _) = env.fake.issue_oauth_access_token("depwatch", "admin").expect("issue");
    env.fake.set_clock_skew(660 + 7200);
    signer.skew = 660 + 7200;
    let url = format!("{}/rest/api/1.0/projects", env.fake.base_url());
    let auth = signer.header("GET", &url, &[], &[], &[("oauth_token", &access)], None);
    let resp = env.http.get(&url).header("Authorization", auth).send().await.expect("rest");
    assert_eq!(resp.status().as_u16(), 401);
    assert!(resp.text().await.expect("text").contains("oauth_problem=token_expired"));
}

#[tokio::test]
async fn consumer_callback_overrides_oob_and_oauth_10_flow() {
    let (env, signer) = setup(Config::default()).await;
    let pem = key().to_public_key().to_public_key_pem(LineEnding::LF).expect("pem");
    env.fake
        .add_consumer("with-cb", "Has callback", &pem, Some("https://consumer.example/cb"))
        .expect("consumer");
    let cb_signer = Signer { consumer: "with-cb".into(), skew: 0 };
    let rt = request_token(&env, &cb_signer, "oob").await;
    let resp = decide(&env, &rt, true).await;
    assert_eq!(resp.status().as_u16(), 302, "consumer callback overrides oob");
    let (path, params) = location_params(&resp);
    assert_eq!(path, "https://consumer.example/cb");
    assert!(field(&params, "oauth_verifier").is_some());

    // OAuth 1.0: no oauth_callback on the request token; no verifier anywhere.
    let (status, _, body) = post_signed(&env, &signer, "request-token", &[], &[]).await;
    assert_eq!(status, 200);
    assert!(field(&body, "oauth_callback_confirmed").is_none());
    let rt = field(&body, "oauth_token").expect("token");
    let page = env
        .http
        .get(format!(
            "{}?oauth_token={rt}&oauth_callback=http%3A%2F%2F127.0.0.1%3A6000%2Fcb",
            servlet(&env, "authorize")
        ))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let xsrf = page
        .split("name=\"atl_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("xsrf")
        .to_owned();
    assert!(page.contains("name=\"oauth_callback\""));
    let resp = env
        .http
        .post(servlet(&env, "authorize"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "oauth_token={rt}&atl_token={xsrf}&oauth_callback=http%3A%2F%2F127.0.0.1%3A6000%2Fcb&approve=Allow"
        ))
        .send()
        .await
        .expect("approve");
    assert_eq!(resp.status().as_u16(), 302);
    let (path, params) = location_params(&resp);
    assert_eq!(path, "http://127.0.0.1:6000/cb");
    assert!(field(&params, "oauth_verifier").is_none(), "1.0 redirect has no verifier");
    let (status, _, _) =
        post_signed(&env, &signer, "access-token", &[], &[("oauth_token", &rt)]).await;
    assert_eq!(status, 200, "1.0 tokens need no verifier");

    // A wrong XSRF field on the authorize form is refused.
    let rt = request_token(&env, &signer, "oob").await;
    let _ = env
        .http
        .get(format!("{}?oauth_token={rt}", servlet(&env, "authorize")))
        .send()
        .await
        .expect("page");
    let resp = env
        .http
        .post(servlet(&env, "authorize"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("oauth_token={rt}&atl_token=forged&approve=Allow"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 403);
    // GET on the access-token servlet does nothing.
    let resp = env.http.get(servlet(&env, "access-token")).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.expect("text").is_empty());
}

#[tokio::test]
async fn public_base_url_and_encoded_query_values_in_base_string() {
    let public = "https://git.corp.example/bitbucket";
    let (env, signer) =
        setup(Config { public_base_url: Some(public.to_owned()), ..Config::default() }).await;
    let (access, _) = env.fake.issue_oauth_access_token("depwatch", "admin").expect("issue");
    // Signed against the public URL (as a client behind the proxy would), sent to the bound one.
    let query = [("name", "web shop"), ("limit", "10")];
    let auth = signer.header(
        "GET",
        &format!("{public}/rest/api/1.0/repos"),
        &query,
        &[],
        &[("oauth_token", &access)],
        None,
    );
    let resp = env
        .http
        .get(format!(
            "http://{}/bitbucket/rest/api/1.0/repos?name=web+shop&limit=10",
            env.fake.addr()
        ))
        .header("Authorization", auth)
        .send()
        .await
        .expect("rest");
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(body["values"][0]["slug"], "web");
    assert!(body["values"][0]["links"]["self"][0]["href"]
        .as_str()
        .is_some_and(|h| h.starts_with(public)));
    // Signed against the bound address instead: the fake sees the public URL, so it fails
    // and echoes its own base string.
    let url = format!("http://{}/bitbucket/rest/api/1.0/repos", env.fake.addr());
    let auth = signer.header("GET", &url, &[], &[], &[("oauth_token", &access)], None);
    let resp = env.http.get(&url).header("Authorization", auth).send().await.expect("rest");
    assert_eq!(resp.status().as_u16(), 401);
    let body = form_decode(&resp.text().await.expect("text"));
    assert!(field(&body, "oauth_signature_base_string")
        .is_some_and(|b| b.starts_with("GET&https%3A%2F%2Fgit.corp.example%2Fbitbucket%2Frest")));
}
