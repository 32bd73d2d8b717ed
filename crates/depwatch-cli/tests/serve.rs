//! `depwatch serve` started as a user would: it warns about a loopback-only listener, binds,
//! runs catch-up, and its listener answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn serve_warns_on_loopback_listens_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("depwatch"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--poll-minutes",
            "0",
            "--advisory-sync-minutes",
            "0",
        ])
        .env_remove("DEPWATCH_DATA_DIR")
        .env("DEPWATCH_SECRET", "s3cret")
        .args(["--webhook-secret-env", "DEPWATCH_SECRET"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let addr = loop {
        // Generous bound: only a hung process fails here.
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("serve printed nothing");
        lines.push(line.clone());
        if let Some(rest) = line.strip_prefix("listening on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    assert!(
        lines.iter().any(|l| l.contains("only accepts connections from this machine")),
        "{lines:?}"
    );
    // The listener is up: an unknown path gets an HTTP answer.
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.write_all(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    child.kill().unwrap();
    child.wait().unwrap();
}
