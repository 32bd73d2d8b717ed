//! `depwatch serve` started as a user would: it warns about a loopback-only listener, binds,
//! runs catch-up, and its listener answers; killed with SIGKILL in a burst of deliveries and
//! restarted, it loses and duplicates nothing.

use depwatch_fakebb::{Config, FakeBitbucket, Permission, RepoSpec};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc};
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

/// A running `depwatch serve` child with its output lines.
#[cfg(unix)]
struct Served {
    child: std::process::Child,
    addr: String,
    /// The webhook URL serve printed for the instance `corp`.
    url: String,
    stdout: mpsc::Receiver<String>,
}

#[cfg(unix)]
fn start_serve(data: &std::path::Path, listen: &str) -> Served {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("depwatch"))
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", listen, "--poll-minutes", "0", "--advisory-sync-minutes", "0"])
        .args(["--webhook-secret-env", "DEPWATCH_TEST_SECRET"])
        .env_remove("DEPWATCH_DATA_DIR")
        .env("DEPWATCH_TEST_SECRET", "kill-nine-secret")
        .env("DEPWATCH_SECRET_STORE", "file")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = |stream: Box<dyn Read + Send>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    };
    let stderr = lines(Box::new(child.stderr.take().unwrap()));
    let stdout = lines(Box::new(child.stdout.take().unwrap()));
    let mut addr = None;
    let url = loop {
        let line = stderr.recv_timeout(Duration::from_secs(120)).expect("serve printed nothing");
        if let Some(rest) = line.strip_prefix("listening on ") {
            addr = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        if let Some(url) = line.strip_prefix("webhook URL for corp: ") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || while stderr.recv().is_ok() {});
    Served { child, addr: addr.expect("no listening line before the URL"), url, stdout }
}

#[cfg(unix)]
fn wait_for_catch_up(served: &Served) {
    loop {
        let line =
            served.stdout.recv_timeout(Duration::from_secs(120)).expect("no catch-up finished");
        if line.contains("\"type\":\"catchUpFinished\"") {
            return;
        }
    }
}

#[cfg(unix)]
fn db(data: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("depwatch.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn
}

#[cfg(unix)]
fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A burst of signed pushes from the fake Bitbucket, `depwatch serve` killed with SIGKILL in
/// the middle, then restarted: every delivery answered 2xx is processed (exactly one inbox row,
/// in state processed), no (repository, ref, commit) is stored twice, and every repository
/// ends at its real head with the findings of its last lockfile.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_and_duplicates_nothing() {
    use depwatch_fakebb::{CommitSpec, Push};
    const REPOS: usize = 6;
    const PUSHES: usize = 4;
    const CLEAN: &str = "version = 3\n\n[[package]]\nname = \"time\"\nversion = \"0.2.23\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let vulnerable = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/bitbucket-vulnerable.Cargo.lock"),
    )
    .unwrap();

    let fake = Arc::new(FakeBitbucket::start(Config::default()).await.unwrap());
    fake.add_user("admin", Some("pw"), true).unwrap();
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    for i in 0..REPOS {
        fake.add_repo(RepoSpec::new("SHOP", &format!("svc{i}")).file("Cargo.lock", CLEAN)).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let base = fake.base_url().to_owned();
    {
        let data = data.clone();
        tokio::task::spawn_blocking(move || {
            let run = |args: &[&str]| {
                assert_cmd::Command::cargo_bin("depwatch")
                    .unwrap()
                    .arg("--data-dir")
                    .arg(&data)
                    .env("DEPWATCH_SECRET_STORE", "file")
                    .env("BB_TOKEN", &token)
                    .args(args)
                    .assert()
                    .success();
            };
            run(&["bitbucket", "add", &base, "--token-env", "BB_TOKEN", "--name", "corp"]);
            let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv-rustsec");
            run(&["advisories", "import", osv.to_str().unwrap()]);
        })
        .await
        .unwrap();
    }

    let first = start_serve(&data, "127.0.0.1:0");
    let addr = first.addr.clone();
    let url = first.url.clone();
    assert_eq!(url, format!("http://{addr}/webhook/corp"));
    let waited = tokio::task::spawn_blocking(move || {
        wait_for_catch_up(&first);
        first
    });
    let mut first = waited.await.unwrap();
    fake.add_project_webhook("SHOP", &url, Some("kill-nine-secret")).unwrap();

    // The burst: every repository receives PUSHES pushes, the last one vulnerable.
    let mut pushes = Vec::new();
    for i in 0..REPOS {
        let fake = Arc::clone(&fake);
        let vulnerable = vulnerable.clone();
        pushes.push(tokio::spawn(async move {
            for n in 0..PUSHES {
                let lock = if (PUSHES - 1 - n).is_multiple_of(2) {
                    vulnerable.clone()
                } else {
                    CLEAN.into()
                };
                fake.push(
                    "SHOP",
                    &format!("svc{i}"),
                    Push::new().actor("admin").commit(
                        CommitSpec::on("main")
                            .message(&format!("push {n}"))
                            .file("Cargo.lock", lock),
                    ),
                )
                .await
                .unwrap();
            }
        }));
    }
    // SIGKILL once a third of the burst is in the inbox (work is then still in flight).
    let killer = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || {
            let conn = db(&data);
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            while count(&conn, "SELECT count(*) FROM inbox") < (REPOS * PUSHES / 3) as i64 {
                assert!(std::time::Instant::now() < deadline, "the burst never arrived");
                std::thread::sleep(Duration::from_millis(5));
            }
            first.child.kill().unwrap(); // SIGKILL on Unix
            first.child.wait().unwrap();
        })
    };
    killer.await.unwrap();
    for p in pushes {
        p.await.unwrap();
    }

    let second = start_serve(&data, &addr);
    let data_for_wait = data.clone();
    let mut second = tokio::task::spawn_blocking(move || {
        wait_for_catch_up(&second);
        let conn = db(&data_for_wait);
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while count(&conn, "SELECT count(*) FROM inbox WHERE state IN ('pending', 'claimed')") > 0 {
            assert!(std::time::Instant::now() < deadline, "the backlog was never processed");
            std::thread::sleep(Duration::from_millis(20));
        }
        second
    })
    .await
    .unwrap();
    second.child.kill().unwrap();
    second.child.wait().unwrap();

    let deliveries: Vec<_> = fake
        .deliveries()
        .into_iter()
        .filter(|d| d.event_key.as_deref() == Some("repo:refs_changed"))
        .collect();
    let accepted: Vec<String> = deliveries
        .iter()
        .filter(|d| d.status.is_some_and(|s| (200..300).contains(&s)))
        .filter_map(|d| d.request_id.clone())
        .collect();
    let refused = deliveries.len() - accepted.len();
    assert!(!accepted.is_empty() && refused > 0, "the kill must fall inside the burst");
    let conn = db(&data);
    let mut stmt = conn
        .prepare(
            "SELECT delivery_id, state, attempts FROM inbox WHERE event_kind = 'repo:refs_changed'",
        )
        .unwrap();
    let rows: Vec<(String, String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for id in &accepted {
        let row = rows.iter().find(|r| &r.0 == id).unwrap_or_else(|| panic!("accepted {id} lost"));
        assert_eq!(row.1, "processed", "{row:?}");
    }
    assert!(rows.iter().all(|r| r.1 == "processed" && (1..=2).contains(&r.2)), "{rows:?}");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM (SELECT 1 FROM snapshot GROUP BY repository_id, ref_id, commit_id
             HAVING count(*) > 1)"
        ),
        0,
        "a commit was stored twice"
    );
    let mut present = conn
        .prepare(
            "SELECT r.slug, (SELECT s.commit_id FROM snapshot s WHERE s.repository_id = r.id
                             ORDER BY s.id DESC LIMIT 1),
                    (SELECT count(*) FROM finding f WHERE f.repository_id = r.id AND f.fixed_at IS NULL)
             FROM repository r ORDER BY r.slug",
        )
        .unwrap();
    let state: Vec<(String, String, i64)> = present
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(state.len(), REPOS);
    let expected = state[0].2;
    assert!(expected > 0, "{state:?}");
    for (slug, commit, findings) in &state {
        assert_eq!(Some(commit.clone()), fake.branch_head("SHOP", slug, "main"), "{slug}");
        assert_eq!(*findings, expected, "{state:?}");
    }
    eprintln!(
        "kill -9: {} deliveries, {} accepted, {} refused while down, {} requeued after the kill",
        deliveries.len(),
        accepted.len(),
        refused,
        rows.iter().filter(|r| r.2 > 1).count()
    );
}
