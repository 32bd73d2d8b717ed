//! Real-window end-to-end test: the built desktop app, driven through tauri-driver and
//! WebKitWebDriver, under a (virtual) X display.
//!
//! Ignored by default because it needs the app built with its UI embedded, a display,
//! `tauri-driver` and `WebKitWebDriver`; `scripts/test.sh` provides all of them and runs it
//! with `--run-ignored only`.
#![cfg(target_os = "linux")]

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// tauri-driver, stopped with SIGTERM on drop: SIGKILL would orphan WebKitWebDriver and hang
/// a piped test run.
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
    }
}

/// Two distinct free ports: both listeners are held until both ports are known, or the OS
/// could hand out the same port twice.
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (a.local_addr().unwrap().port(), b.local_addr().unwrap().port())
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let installed = home.join(".cargo/bin/tauri-driver");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}

fn start_driver(data_dir: &Path) -> (Driver, u16) {
    let (port, native_port) = free_ports();
    let child = Command::new(tauri_driver())
        .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
        .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
        // The app inherits this environment: an isolated data directory, and software
        // rendering that works on any virtual display.
        .env("DEPWATCH_DATA_DIR", data_dir)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tauri-driver must be installed (scripts/setup.sh --test does it)");
    let driver = Driver { child };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "tauri-driver did not listen on port {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (driver, port)
}

#[tokio::test]
#[ignore = "needs the app built with custom-protocol, a display, tauri-driver and WebKitWebDriver: run by scripts/test.sh"]
async fn the_window_shows_the_schema_version_from_a_tauri_command() {
    // A WebDriver call that never answers must fail the test, not hang the run.
    tokio::time::timeout(Duration::from_secs(180), window_shows_the_schema_version())
        .await
        .expect("the end-to-end test finished within 3 minutes");
}

async fn window_shows_the_schema_version() {
    let app = PathBuf::from(env!("CARGO_BIN_EXE_depwatch-desktop"));
    let data = tempfile::tempdir().unwrap();
    let (_driver, port) = start_driver(data.path());

    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert("tauri:options".into(), json!({ "application": app }));
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session with the depwatch window");

    // The status area renders values that come from the `app_info` command, which reads
    // them from the SQLite database the app created at first start in `data`.
    let expected_schema = depwatch_store::latest_schema_version().to_string();
    let schema = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-testid='schema-version']"))
        .await
        .expect("the status area with the schema version");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut text = schema.text().await.unwrap();
    while text.trim() != expected_schema && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        text = schema.text().await.unwrap();
    }
    assert_eq!(text.trim(), expected_schema, "schema version rendered from app_info");

    let version = client
        .find(Locator::Css("[data-testid='app-version']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "app version rendered: {version:?}");
    assert!(
        data.path().join("depwatch.db").exists(),
        "the app created its database in DEPWATCH_DATA_DIR"
    );

    // WebKitWebDriver's screenshot command hangs under Xvfb, so capture the X display
    // itself: that is the real window as a person would see it.
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::create_dir_all(&out).unwrap();
    let shot = out.join("desktop-window.png");
    let status = Command::new("import").args(["-window", "root"]).arg(&shot).status();
    assert!(
        matches!(status, Ok(s) if s.success()),
        "ImageMagick's `import` must capture the display: {status:?}"
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");

    client.close().await.unwrap();
}

/// Captures the X display (the real window as a person sees it) into `target/e2e/<name>.png`.
fn capture(name: &str) -> PathBuf {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::create_dir_all(&out).unwrap();
    let shot = out.join(format!("{name}.png"));
    let status = Command::new("import").args(["-window", "root"]).arg(&shot).status();
    assert!(matches!(status, Ok(s) if s.success()), "`import` captured {name}: {status:?}");
    shot
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/depwatch-app/tests/fixtures");

/// `dbus-monitor` on the session bus, recording every `Notify` call: what the notification
/// service was asked to show, whether or not a notification daemon runs.
struct NotifyWatch {
    child: Child,
    log: PathBuf,
}

impl NotifyWatch {
    fn start(dir: &Path) -> NotifyWatch {
        let log = dir.join("notify.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new("dbus-monitor")
            .args(["--session", "interface='org.freedesktop.Notifications',member='Notify'"])
            .stdout(file)
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor (dbus package) on a session bus (scripts/test.sh runs dbus-run-session)");
        NotifyWatch { child, log }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for NotifyWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 250 ms until it yields a value or `limit` passes.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() >= deadline {
            let shot = capture("scenario-timeout");
            panic!("timed out after {limit:?} waiting for {what} (screen: {})", shot.display());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn click(client: &fantoccini::Client, locator: Locator<'_>) {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(locator)
        .await
        .unwrap_or_else(|e| panic!("element {locator:?}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {locator:?}: {e}"));
}

async fn go(client: &fantoccini::Client, hash: &str) {
    click(client, Locator::Css(&format!("a.nav-item[href='{hash}']"))).await;
}

async fn page_text(client: &fantoccini::Client) -> String {
    client.find(Locator::Css("main")).await.unwrap().text().await.unwrap_or_default()
}

/// Sum of the dashboard's severity cards.
async fn dashboard_total(client: &fantoccini::Client) -> u64 {
    let mut total = 0;
    for s in ["critical", "high", "medium", "low", "unknown"] {
        let Ok(card) = client.find(Locator::Css(&format!("[data-testid='count-{s}']"))).await
        else {
            continue;
        };
        let Ok(value) = card.find(Locator::Css(".card-value")).await else { continue };
        let text = value.text().await.unwrap_or_default();
        total += text
            .split_whitespace()
            .find_map(|w| w.replace(',', "").parse::<u64>().ok())
            .unwrap_or(0);
    }
    total
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the app built with custom-protocol, a display, a session bus, tauri-driver and WebKitWebDriver: run by scripts/test.sh"]
async fn connect_scan_push_notify_and_acknowledge_against_the_fake_bitbucket() {
    tokio::time::timeout(Duration::from_secs(420), scenario())
        .await
        .expect("the scenario finished within 7 minutes");
}

async fn scenario() {
    use depwatch_fakebb::{CommitSpec, Config, FakeBitbucket, Permission, Push, RepoSpec};

    // A Bitbucket with one project: `web` is clean, `api` already vulnerable (the historical
    // scan's baseline, which must not notify).
    let clean = std::fs::read(format!("{FIXTURES}/views/clean.Cargo.lock")).unwrap();
    let vulnerable = std::fs::read(format!("{FIXTURES}/views/vulnerable.Cargo.lock")).unwrap();
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("admin"), true).unwrap();
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "web").file("Cargo.lock", clean)).unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "api").file("Cargo.lock", vulnerable.clone())).unwrap();

    // The installation the app opens: RustSec advisories imported, the listener on a free
    // loopback port, no scheduled download (no internet here), every severity notifies.
    let data = tempfile::tempdir().unwrap();
    let listen_port = free_ports().0;
    {
        let app =
            depwatch_app::App::open(depwatch_app::DataDir::new(data.path().to_path_buf())).unwrap();
        let report = app.import_advisories(&format!("{FIXTURES}/osv-rustsec")).unwrap();
        assert!(report.records > 0, "advisories imported");
        let mut settings = app.settings().unwrap();
        settings.listen_address = "127.0.0.1".parse().unwrap();
        settings.listen_port = listen_port;
        settings.sync_interval_hours = 0;
        settings.notifications.minimum_severity = depwatch_app::settings::Severity::Low;
        app.save_settings(settings).unwrap();
    }
    let notifications = NotifyWatch::start(data.path());

    let app_bin = PathBuf::from(env!("CARGO_BIN_EXE_depwatch-desktop"));
    let (_driver, port) = start_driver(data.path());
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert("tauri:options".into(), json!({ "application": app_bin }));
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session with the depwatch window");

    // Connect with an access token.
    go(&client, "#/connect").await;
    click(&client, Locator::XPath("//button[@role='radio'][contains(., 'Access token')]")).await;
    client
        .find(Locator::Id("instance-url"))
        .await
        .unwrap()
        .send_keys(fake.base_url())
        .await
        .unwrap();
    client.find(Locator::Id("token")).await.unwrap().send_keys(&token).await.unwrap();
    click(&client, Locator::XPath("//button[contains(., 'Save and connect')]")).await;
    eventually("the connected state", Duration::from_secs(30), || async {
        page_text(&client).await.contains("Connected to").then_some(())
    })
    .await;
    capture("scenario-1-connected");

    // Choose the project and install its webhook.
    go(&client, "#/perimeter").await;
    click(&client, Locator::XPath("//button[@role='radio'][contains(., 'Selected projects')]"))
        .await;
    click(&client, Locator::Css("input[aria-label='Project SHOP']")).await;
    click(&client, Locator::XPath("//button[contains(., 'Save perimeter')]")).await;
    eventually("the perimeter saved", Duration::from_secs(30), || async {
        page_text(&client).await.contains("Saved").then_some(())
    })
    .await;
    click(&client, Locator::XPath("//button[normalize-space(.)='Install']")).await;
    eventually("the project webhook installed", Duration::from_secs(30), || async {
        let hooks = fake.requests();
        hooks.iter().any(|r| r.method == "POST" && r.path.ends_with("/webhooks")).then_some(())
    })
    .await;
    eventually("the perimeter screen to show the webhook", Duration::from_secs(30), || async {
        (!page_text(&client).await.contains("No webhook")).then_some(())
    })
    .await;
    capture("scenario-2-perimeter");

    // The historical scan: a baseline, so no notification.
    go(&client, "#/scan").await;
    click(&client, Locator::XPath("//button[contains(., 'Start scan')]")).await;
    eventually("the scan to finish", Duration::from_secs(90), || async {
        let text = client
            .find(Locator::Css("[data-testid='scan-progress-text']"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (text.trim() == "2 / 2 repositories").then_some(())
    })
    .await;
    capture("scenario-3-scan");
    go(&client, "#/dashboard").await;
    let baseline =
        eventually("the baseline findings on the dashboard", Duration::from_secs(30), || async {
            let total = dashboard_total(&client).await;
            (total > 0).then_some(total)
        })
        .await;
    assert!(
        !notifications.text().contains("SHOP/api"),
        "the historical scan must not notify:\n{}",
        notifications.text()
    );

    // A push brings the vulnerable lockfile into `web`: signed webhook → listener → finding.
    let report = fake
        .push(
            "SHOP",
            "web",
            Push::new().actor("admin").commit(
                CommitSpec::on("main")
                    .author("admin")
                    .message("Pin old crates")
                    .file("Cargo.lock", vulnerable),
            ),
        )
        .await
        .unwrap();
    let to_us: Vec<_> =
        report.deliveries.iter().filter(|d| d.url.contains(&format!(":{listen_port}/"))).collect();
    assert!(
        to_us.iter().any(|d| d.status.is_some_and(|s| (200..300).contains(&s))),
        "the webhook reached depwatch's listener and was accepted: {:?}",
        report.deliveries.iter().map(|d| (&d.url, d.status, &d.error)).collect::<Vec<_>>()
    );
    let notified =
        eventually("a notification naming SHOP/web", Duration::from_secs(60), || async {
            let text = notifications.text();
            text.contains("SHOP/web").then_some(text)
        })
        .await;
    assert!(notified.contains("new vulnerable dependencies in SHOP/web"), "{notified}");
    let after =
        eventually("the dashboard to count the new findings", Duration::from_secs(30), || async {
            let total = dashboard_total(&client).await;
            (total > baseline).then_some(total)
        })
        .await;
    assert_eq!(after, baseline * 2, "the push brought the same findings `api` has");
    capture("scenario-4-dashboard");

    // Acknowledge one of them.
    go(&client, "#/findings").await;
    click(&client, Locator::XPath("//div[@role='row'][contains(., 'SHOP/web')]")).await;
    click(&client, Locator::XPath("//button[normalize-space(.)='Acknowledge']")).await;
    eventually("the acknowledged state", Duration::from_secs(30), || async {
        page_text(&client).await.contains("Acknowledged: no more notifications").then_some(())
    })
    .await;
    capture("scenario-5-acknowledged");

    client.close().await.unwrap();
}
