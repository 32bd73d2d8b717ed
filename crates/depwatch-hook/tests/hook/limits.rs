//! Body size, rate and time limits.

use crate::harness::{config, fixture, instance, Listener, REFS_CHANGED, SECRET};
use depwatch_hook::{HookConfig, MemoryInbox, RateLimit, DEFAULT_MAX_BODY_BYTES};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn default_body_cap_is_5_mib() {
    assert_eq!(DEFAULT_MAX_BODY_BYTES, 5 * 1024 * 1024);
    assert_eq!(HookConfig::default().max_body_bytes, DEFAULT_MAX_BODY_BYTES);
}

#[tokio::test]
async fn oversize_body_is_413_and_stores_nothing() {
    let inbox = Arc::new(MemoryInbox::new());
    let cfg = HookConfig { max_body_bytes: 2048, ..config(vec![instance("corp", Some(SECRET))]) };
    let listener = Listener::start(cfg, inbox.clone()).await;
    let body = fixture("native-9x-update.json");
    assert!(body.len() > 2048);
    let r = listener.deliver(REFS_CHANGED, "big", Some(SECRET), &body).await;
    assert_eq!(r.status, 413);
    assert!(r.message().contains("2048"), "{}", r.message());
    let small = fixture("native-branch-delete.json");
    assert!(small.len() < 2048);
    assert_eq!(listener.deliver(REFS_CHANGED, "ok", Some(SECRET), &small).await.status, 200);
    assert_eq!(inbox.len(), 1);
}

#[tokio::test]
async fn rate_limit_is_429_with_retry_after() {
    let inbox = Arc::new(MemoryInbox::new());
    let cfg = HookConfig {
        // Refill so slow that no token comes back during the test, whatever the machine's speed.
        rate_limit: RateLimit { burst: 2, per_second: 0.001 },
        ..config(vec![instance("corp", Some(SECRET))])
    };
    let listener = Listener::start(cfg, inbox.clone()).await;
    let body = fixture("native-branch-delete.json");
    for id in ["a", "b"] {
        assert_eq!(listener.deliver(REFS_CHANGED, id, Some(SECRET), &body).await.status, 200);
    }
    let r = listener.deliver(REFS_CHANGED, "c", Some(SECRET), &body).await;
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(inbox.len(), 2);
    // Health checks are not rate limited.
    let h = crate::harness::request(listener.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(h.status, 200);
}

#[tokio::test]
async fn a_stalled_upload_times_out() {
    let inbox = Arc::new(MemoryInbox::new());
    let cfg = HookConfig {
        request_timeout: Duration::from_millis(300),
        ..config(vec![instance("corp", Some(SECRET))])
    };
    let listener = Listener::start(cfg, inbox.clone()).await;
    let mut stream = tokio::net::TcpStream::connect(listener.addr).await.unwrap();
    // Promise 1000 bytes, send 10, then stall.
    let head = "POST /webhook HTTP/1.1\r\nHost: x\r\nX-Event-Key: repo:refs_changed\r\n\
                Content-Length: 1000\r\nConnection: close\r\n\r\n{\"changes\"";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let r = crate::harness::parse_response(&raw);
    assert_eq!(r.status, 408);
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn headers_must_arrive_within_the_request_timeout() {
    let inbox = Arc::new(MemoryInbox::new());
    let cfg = HookConfig {
        request_timeout: Duration::from_millis(300),
        ..config(vec![instance("corp", Some(SECRET))])
    };
    let listener = Listener::start(cfg, inbox.clone()).await;
    let mut stream = tokio::net::TcpStream::connect(listener.addr).await.unwrap();
    // Half a request line, then silence: the server must hang up on its own.
    stream.write_all(b"POST /webhook HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut raw = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw)).await;
    assert!(closed.is_ok(), "the connection must be closed by the server");
    let status = crate::harness::parse_response(&raw).status;
    assert!(status == 0 || status == 408, "no success for a stalled header: {status}");
}

#[tokio::test]
async fn connections_over_the_cap_wait_for_a_free_slot() {
    let inbox = Arc::new(MemoryInbox::new());
    let cfg = HookConfig { max_connections: 1, ..config(vec![instance("corp", Some(SECRET))]) };
    let listener = Listener::start(cfg, inbox.clone()).await;
    // The first connection takes the only slot and sends nothing.
    let idle = tokio::net::TcpStream::connect(listener.addr).await.unwrap();
    let addr = listener.addr;
    let waiting =
        tokio::spawn(
            async move { crate::harness::request(addr, "GET", "/healthz", &[], b"").await },
        );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "served while the only slot was taken");
    drop(idle);
    let r = tokio::time::timeout(Duration::from_secs(20), waiting).await.unwrap().unwrap();
    assert_eq!(r.status, 200);
}
