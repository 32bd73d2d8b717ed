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
