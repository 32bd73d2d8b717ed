//! `HTTP_PROXY` is honoured (reqwest's system proxy must stay enabled). A separate test binary:
//! it sets process-wide environment variables that would reroute other tests' requests.

use std::sync::{Arc, Mutex};

use depwatch_bitbucket::{Auth, Client, InstanceConfig, RetryPolicy, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn http_proxy_environment_variable_is_used() {
    // A "proxy" that records the request line and answers like Bitbucket would.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                log.lock().unwrap().push(head);
                let body = r#"{"version":"7.21.0","displayName":"Bitbucket"}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });

    for var in ["NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::remove_var(var);
    }
    std::env::set_var("HTTP_PROXY", format!("http://{addr}"));
    std::env::set_var("http_proxy", format!("http://{addr}"));

    // A host that does not resolve: only the proxy can answer.
    let mut cfg = InstanceConfig::new(
        "http://bitbucket.depwatch-proxy-test.invalid/bitbucket",
        Auth::Bearer(Secret::new("t")),
    )
    .unwrap();
    cfg.retry = RetryPolicy::fast_for_tests();
    cfg.max_requests_per_second = None;
    let client = Client::new(cfg).unwrap();
    let props = client.application_properties().await.unwrap();
    assert_eq!(props.version, "7.21.0");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let request_line = seen[0].lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        request_line,
        "GET http://bitbucket.depwatch-proxy-test.invalid/bitbucket/rest/api/1.0/application-properties HTTP/1.1"
    );
    let lower = seen[0].to_ascii_lowercase();
    assert!(lower.contains("x-atlassian-token: no-check"));
    assert!(lower.contains("authorization: bearer t"));
}
