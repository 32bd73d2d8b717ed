//! Starts a listener on an ephemeral port and speaks raw HTTP/1.1 to it.

use depwatch_bitbucket::webhook::HookEvent;
use depwatch_hook::signature::sign;
use depwatch_hook::{
    serve, HookConfig, HookState, Inbox, InstanceConfig, InstanceId, RepoDirectory, RepoLookup,
    Secret,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &str = "3f9c5be0b7d34c0e9a1d2f6b8c7e4a51";
pub const TOKEN: &str = "plugin-token-7d1e2c";
pub const REFS_CHANGED: &str = "repo:refs_changed";

pub struct Listener {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Listener {
    pub async fn start(config: HookConfig, inbox: Arc<dyn Inbox>) -> Listener {
        Listener::start_with(config, inbox, Arc::new(KnownRepos(vec![412, 413, 3, 900]))).await
    }

    pub async fn start_with(
        config: HookConfig,
        inbox: Arc<dyn Inbox>,
        repos: Arc<dyn RepoDirectory>,
    ) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = HookState::new(config, inbox, repos).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Listener { addr, stop: Some(stop), task: Some(task) }
    }

    /// Stops the listener and waits for `serve` to return.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        request(self.addr, "POST", path, headers, body).await
    }

    /// A native delivery: event key, a fresh request id, signed with `secret` when given.
    pub async fn deliver(
        &self,
        event_key: &str,
        request_id: &str,
        secret: Option<&str>,
        body: &[u8],
    ) -> Response {
        let signature = secret.map(|s| sign(s.as_bytes(), body));
        let mut headers = vec![
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-Event-Key", event_key),
            ("X-Request-Id", request_id),
        ];
        if let Some(sig) = &signature {
            headers.push(("X-Hub-Signature", sig));
        }
        self.post("/webhook", &headers, body).await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub json: serde_json::Value,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }
}

/// One request on its own connection (`Connection: close`), read to the end.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: Atlassian HttpClient 3.0.4 / \
         Bitbucket-9.4.2 (9004002) / Default\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (413) and stop reading before the whole body is written.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let json = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    Response { status, headers, json }
}

pub fn instance(id: &str, secret: Option<&str>) -> InstanceConfig {
    let mut inst = InstanceConfig::new(InstanceId::new(id).unwrap());
    inst.webhook_secret = secret.map(Secret::new);
    inst.plugin_token = Some(Secret::new(TOKEN));
    inst.bitbucket_host = Some("git.corp.example".into());
    inst
}

pub fn config(instances: Vec<InstanceConfig>) -> HookConfig {
    HookConfig { instances, ..HookConfig::default() }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../depwatch-bitbucket/tests/fixtures/webhook")
}

/// Monitors the repositories with these ids.
pub struct KnownRepos(pub Vec<i64>);

impl RepoDirectory for KnownRepos {
    fn lookup(&self, _instance: &InstanceId, event: &HookEvent) -> RepoLookup {
        let (id, key, slug) = event.repository();
        if self.0.contains(&id) {
            RepoLookup::Known
        } else {
            RepoLookup::Unknown {
                reason: format!("repository {key}/{slug} (id {id}) is not monitored"),
            }
        }
    }
}
