//! OAuth 1.0a against a scripted server that verifies signatures independently with the public
//! key (its own base-string code, the `rsa` crate and SHA-1).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use depwatch_bitbucket::{
    Auth, Client, Error, OAuthCredentials, OAuthKey, RequestToken, Secret, REQUEST_TOKEN_TTL,
};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;

use crate::scripted::{config, json, reply, Scripted, Seen};

pub const PKCS1: &str = include_str!("../fixtures/oauth/consumer-pkcs1.pem");
pub const PKCS8: &str = include_str!("../fixtures/oauth/consumer-pkcs8.pem");
pub const PUBLIC: &str = include_str!("../fixtures/oauth/consumer-public.pem");
/// A key pair that is not registered anywhere.
pub const OTHER: &str = include_str!("../fixtures/oauth/other-consumer-pkcs8.pem");

const UNRESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

fn dec(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `OAuth k="v", ...` → decoded pairs.
pub fn header_params(header: &str) -> Vec<(String, String)> {
    header
        .strip_prefix("OAuth ")
        .unwrap_or("")
        .split(',')
        .filter_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            Some((k.to_owned(), dec(v.trim_matches('"'))))
        })
        .collect()
}

/// Verifies the request's RSA-SHA1 signature the way a service provider does (RFC 5849 §3.4).
pub fn verify(req: &Seen, origin: &str, public_pem: &str) -> Result<Vec<(String, String)>, String> {
    let header = req.header("authorization").ok_or("no Authorization header")?;
    let oauth = header_params(header);
    let get = |k: &str| oauth.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("oauth_signature_method").as_deref() != Some("RSA-SHA1") {
        return Err("not RSA-SHA1".into());
    }
    let signature = get("oauth_signature").ok_or("no signature")?;
    // Raw query pairs, decoded (OAuth percent-encoding: '+' is literal).
    let mut pairs: Vec<(String, String)> = req
        .query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect();
    pairs.extend(oauth.iter().filter(|(k, _)| k != "oauth_signature" && k != "realm").cloned());
    let mut encoded: Vec<(String, String)> = pairs.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    encoded.sort();
    let normalized = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let base =
        format!("{}&{}&{}", req.method, enc(&format!("{origin}{}", req.path)), enc(&normalized));
    let sig = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|e| format!("signature not base64: {e}"))?;
    let key = rsa::RsaPublicKey::from_public_key_pem(public_pem).map_err(|e| e.to_string())?;
    let vk = VerifyingKey::<sha1::Sha1>::new(key);
    let sig = Signature::try_from(sig.as_slice()).map_err(|e| e.to_string())?;
    vk.verify(base.as_bytes(), &sig).map_err(|_| format!("signature_invalid for {base}"))?;
    Ok(oauth)
}

pub fn oauth_auth(pem: &str, access: Option<&str>) -> Auth {
    Auth::OAuth1(OAuthCredentials {
        consumer_key: "depwatch".into(),
        key: Arc::new(OAuthKey::from_pem(pem).unwrap()),
        access_token: access.map(Secret::new),
    })
}

#[tokio::test]
async fn rest_calls_are_signed_over_query_and_context_path() {
    let origin = Arc::new(std::sync::OnceLock::<String>::new());
    let o = origin.clone();
    let server = Scripted::start(move |req, _| {
        let origin = o.get().cloned().unwrap_or_default();
        match verify(req, &origin, PUBLIC) {
            Ok(params) => {
                let token = params.iter().find(|(k, _)| k == "oauth_token").map(|(_, v)| v.clone());
                if token.as_deref() != Some("acc/tok+1") {
                    return reply(401, "text/plain", "oauth_problem=token_rejected", &[]);
                }
                json(200, serde_json::json!({"size":2,"limit":1000,"isLastPage":true,"start":0,"values":["Cargo.lock","web/package.json"]}))
            }
            Err(e) => reply(401, "text/plain", format!("oauth_problem=signature_invalid&detail={}", e.len()), &[]),
        }
    })
    .await;
    origin.set(format!("http://{}", server.addr)).unwrap();
    let client = server.client("/bitbucket", oauth_auth(PKCS1, Some("acc/tok+1")));
    let files = client.files("~JDOE", "my repo", "refs/heads/feature/x y").await.unwrap();
    assert_eq!(files, vec!["Cargo.lock", "web/package.json"]);
    let seen = server.requests();
    let r = &seen[0];
    assert_eq!(r.path, "/bitbucket/rest/api/1.0/projects/~JDOE/repos/my%20repo/files");
    let header = r.header("authorization").unwrap();
    assert!(header.starts_with("OAuth "), "{header}");
    for field in [
        "oauth_consumer_key=\"depwatch\"",
        "oauth_signature_method=\"RSA-SHA1\"",
        "oauth_version=\"1.0\"",
        "oauth_nonce=",
        "oauth_timestamp=",
        "oauth_signature=",
        "oauth_token=",
    ] {
        assert!(header.contains(field), "{field} missing in {header}");
    }
    let at = r.query_pairs().into_iter().find(|(k, _)| k == "at").map(|(_, v)| v);
    assert_eq!(at.as_deref(), Some("refs/heads/feature/x y"));
    assert!(r.query.as_deref().unwrap().contains("at=refs%2Fheads%2Ffeature%2Fx%20y"));

    // A different key fails verification on the server side: the check is real.
    let other = OAuthKey::from_pem(PKCS8).unwrap();
    assert_eq!(other.public_key_pem().unwrap().trim(), PUBLIC.trim(), "fixtures are one key pair");
    let wrong = Auth::OAuth1(OAuthCredentials {
        consumer_key: "depwatch".into(),
        key: Arc::new(OAuthKey::from_pem(OTHER).unwrap()),
        access_token: Some(Secret::new("acc/tok+1")),
    });
    let bad = Client::new(config(&server.base("/bitbucket"), wrong)).unwrap();
    let err = bad.files("P", "r", "main").await.unwrap_err();
    assert_eq!(err.oauth_problem(), Some("signature_invalid"), "{err}");
}

#[tokio::test]
async fn dance_against_scripted_servlets() {
    let origin = Arc::new(std::sync::OnceLock::<String>::new());
    let o = origin.clone();
    let server = Scripted::start(move |req, _| {
        let origin = o.get().cloned().unwrap_or_default();
        if req.method != "POST" {
            return reply(200, "text/plain", "", &[]);
        }
        let params = match verify(req, &origin, PUBLIC) {
            Ok(p) => p,
            Err(_) => return reply(401, "text/plain", "oauth_problem=signature_invalid", &[]),
        };
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        match req.path.as_str() {
            "/bitbucket/plugins/servlet/oauth/request-token" => {
                assert_eq!(get("oauth_callback").as_deref(), Some("http://127.0.0.1:9/oauth/bbs/n0nce"));
                assert_eq!(get("oauth_token"), None);
                reply(200, "text/plain", "oauth_token=req%20tok&oauth_token_secret=s&oauth_callback_confirmed=true", &[])
            }
            "/bitbucket/plugins/servlet/oauth/access-token" => {
                if let Some(handle) = req.query_value("oauth_session_handle") {
                    assert_eq!(handle, "H1");
                    assert_eq!(get("oauth_token").as_deref(), Some("A1"));
                    return reply(200, "text/plain", "oauth_token=A2&oauth_token_secret=x&oauth_expires_in=157680000&oauth_session_handle=H2&oauth_authorization_expires_in=160272000", &[]);
                }
                assert_eq!(get("oauth_token").as_deref(), Some("req tok"));
                if get("oauth_verifier").as_deref() != Some("V3rif1") {
                    return reply(401, "text/plain", "oauth_problem=permission_unknown", &[("www-authenticate", "OAuth realm=\"x\", oauth_problem=\"permission_unknown\"")]);
                }
                reply(200, "text/plain", "oauth_token=A1&oauth_token_secret=x&oauth_expires_in=157680000&oauth_session_handle=H1&oauth_authorization_expires_in=160272000", &[])
            }
            other => reply(404, "text/html", format!("<title>{other}</title>"), &[]),
        }
    })
    .await;
    origin.set(format!("http://{}", server.addr)).unwrap();
    let client = server.client("/bitbucket", oauth_auth(PKCS8, None));

    let rt = client.request_token("http://127.0.0.1:9/oauth/bbs/n0nce").await.unwrap();
    assert_eq!(rt.token().expose(), "req tok");
    assert!(rt.callback_confirmed());
    let url = client.authorize_url(&rt);
    assert_eq!(url.path(), "/bitbucket/plugins/servlet/oauth/authorize");
    assert_eq!(url.query(), Some("oauth_token=req+tok"));

    let err = client.access_token(&rt, "wrong").await.unwrap_err();
    assert_eq!(err.oauth_problem(), Some("permission_unknown"));
    let at = client.access_token(&rt, "V3rif1").await.unwrap();
    assert_eq!(at.token.expose(), "A1");
    assert_eq!(at.session_handle.as_ref().map(Secret::expose), Some("H1"));
    assert_eq!(at.expires_in, Some(Duration::from_secs(157_680_000)));

    let renewed = client.renew(&at.token, at.session_handle.as_ref().unwrap()).await.unwrap();
    assert_eq!(renewed.token.expose(), "A2");
    assert_eq!(renewed.authorization_expires_in, Some(Duration::from_secs(160_272_000)));
    let seen = server.requests();
    assert!(seen.iter().all(|r| r.method == "POST"), "token calls must be POST");
    assert!(seen.iter().all(|r| r.header("x-atlassian-token") == Some("no-check")));
    // Renewal sends the session handle as a signed query parameter.
    assert!(seen.last().unwrap().query.as_deref().unwrap().contains("oauth_session_handle=H1"));

    // A client with an access token signs REST calls with it.
    let authed = client.with_oauth_access_token(at.token.clone()).unwrap();
    assert!(authed.config().auth.describe().contains("authorized"));
}

#[tokio::test]
async fn denied_and_expired_request_tokens_never_reach_the_server() {
    let server = Scripted::start(|_, _| reply(500, "", "", &[])).await;
    let client = server.client("/bitbucket", oauth_auth(PKCS8, None));
    let rt = RequestToken::from_parts(Secret::new("r"), Instant::now());
    let err = client.access_token(&rt, "denied").await.unwrap_err();
    assert!(matches!(err, Error::OAuthDenied), "{err}");
    if let Some(old) = Instant::now().checked_sub(REQUEST_TOKEN_TTL + Duration::from_secs(5)) {
        let stale = RequestToken::from_parts(Secret::new("r"), old);
        let err = client.access_token(&stale, "abc123").await.unwrap_err();
        assert!(matches!(err, Error::RequestTokenExpired { .. }), "{err}");
        assert!(err.to_string().contains("start the authorization again"));
    }
    let err = client.request_token("javascript:alert(1)").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    assert!(server.requests().is_empty());
    // The dance needs OAuth credentials.
    let bearer = server.client("/bitbucket", Auth::Bearer(Secret::new("t")));
    assert!(matches!(bearer.request_token("oob").await, Err(Error::OAuthNotConfigured(_))));
}

#[test]
fn generated_keys_round_trip_through_pem() {
    let key = OAuthKey::generate().unwrap();
    let pem = key.private_key_pem().unwrap();
    assert!(pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
    let back = OAuthKey::from_pem(pem.expose()).unwrap();
    assert_eq!(back.public_key_pem().unwrap(), key.public_key_pem().unwrap());
    assert_eq!(rsa::traits::PublicKeyParts::size(&key.public_key()), 256, "2048-bit key");
}
