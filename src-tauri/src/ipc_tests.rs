//! The connection, perimeter, scan, settings and link commands over IPC
//! (`tauri::test::mock_builder`), against the fake Bitbucket.

use crate::ipc_harness::Ipc;
use depwatch_app::{App, DataDir};
use depwatch_fakebb::{Config, FakeBitbucket, Permission, RepoSpec};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// The harness over a data folder with the RustSec fixtures imported.
struct Ui(Ipc);

impl std::ops::Deref for Ui {
    type Target = Ipc;
    fn deref(&self) -> &Ipc {
        &self.0
    }
}

impl Ui {
    fn open(dir: &Path) -> Ui {
        // Tests never touch the developer's keychain.
        std::env::set_var(depwatch_app::SECRET_STORE_ENV, "file");
        let app = App::open(DataDir::new(dir.to_path_buf())).unwrap();
        let fixtures =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/depwatch-app/tests/fixtures");
        app.import_advisories(&fixtures.join("osv-rustsec").display().to_string()).unwrap();
        Ui(Ipc::new(crate::Shell::new(Ok(app))))
    }

    /// Polls the scan status until it is finished (a safety deadline, not a timing check).
    fn wait_for_scan(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self.ok("get_scan_status", json!({}));
            if status["state"] == "finished" {
                return status;
            }
            assert!(Instant::now() < deadline, "scan did not finish: {status}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

struct Fake {
    fake: FakeBitbucket,
    admin: String,
    _runtime: tokio::runtime::Runtime,
}

fn fake() -> Fake {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let fake = runtime.block_on(FakeBitbucket::start(Config::default())).unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    let admin = fake.add_personal_token("admin", Permission::Admin).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_project("PLAT", "Platform").unwrap();
    let lock = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/depwatch-app/tests/fixtures/vulnerable.Cargo.lock"),
    )
    .unwrap();
    for slug in ["billing", "web"] {
        fake.add_repo(RepoSpec::new("SHOP", slug).file("Cargo.lock", lock.clone())).unwrap();
    }
    fake.add_repo(RepoSpec::new("PLAT", "tools").file("Cargo.lock", lock)).unwrap();
    Fake { fake, admin, _runtime: runtime }
}

#[test]
fn connect_choose_a_project_scan_and_disconnect() {
    let bb = fake();
    let dir = tempfile::tempdir().unwrap();
    let ui = Ui::open(dir.path());

    let none = ui.ok("get_connection", json!({}));
    assert_eq!(
        none,
        json!({"instanceUrl": null, "authMode": null, "connected": false, "username": null,
        "serverVersion": null, "caFile": null, "lastCheckedAt": null, "lastError": null})
    );
    assert_eq!(ui.err("list_projects", json!({}))["code"], "not-connected");
    assert_eq!(ui.ok("get_scan_status", json!({}))["state"], "idle");

    let request = json!({"instanceUrl": bb.fake.base_url(), "token": bb.admin, "caFile": null});
    let test = ui.ok("test_connection", json!({ "request": request }));
    assert_eq!(test["ok"], true, "{test}");
    assert_eq!(test["username"], "admin");
    assert_eq!(test["steps"].as_array().unwrap().len(), 3);
    let bad = ui.ok(
        "test_connection",
        json!({"request": {"instanceUrl": bb.fake.base_url(), "token": "nope", "caFile": null}}),
    );
    assert_eq!(
        (bad["ok"].clone(), bad["error"]["code"].clone()),
        (json!(false), json!("unauthorized"))
    );
    let refused = ui.err(
        "save_token_connection",
        json!({"request": {"instanceUrl": bb.fake.base_url(), "token": "nope", "caFile": null}}),
    );
    assert_eq!(refused["code"], "unauthorized");

    let connected = ui.ok("save_token_connection", json!({ "request": request }));
    assert_eq!(connected["connected"], true, "{connected}");
    assert_eq!(connected["authMode"], "token");
    assert_eq!(connected["instanceUrl"], bb.fake.base_url());
    assert!(connected["lastCheckedAt"].as_str().unwrap().ends_with('Z'));
    assert!(!connected.to_string().contains(&bb.admin), "the token is never echoed");

    let projects = ui.ok("list_projects", json!({}));
    let keys: Vec<&str> =
        projects.as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["PLAT", "SHOP"]);
    let shop = &projects[1];
    assert_eq!(shop["repositories"].as_array().unwrap().len(), 2);
    assert_eq!(
        shop["webhook"],
        json!({"state": "missing", "lastDeliveryAt": null, "detail": null})
    );
    let tools_id = projects[0]["repositories"][0]["id"].clone();

    let empty = json!({"mode": "selection", "projectKeys": [], "repositoryIds": [], "excludePersonal": true, "includeArchived": false});
    assert_eq!(ui.err("save_perimeter", json!({ "perimeter": empty }))["code"], "invalid-input");
    let perimeter = json!({"mode": "selection", "projectKeys": ["SHOP"], "repositoryIds": [], "excludePersonal": true, "includeArchived": false});
    assert_eq!(ui.ok("save_perimeter", json!({ "perimeter": perimeter })), perimeter);
    assert_eq!(ui.ok("get_perimeter", json!({})), perimeter);

    let installed = ui.ok("install_webhook", json!({"projectKey": "SHOP", "repositoryId": null}));
    assert_eq!(installed[1]["webhook"]["state"], "installed", "{installed}");
    assert_eq!(installed[1]["repositories"][0]["webhook"]["state"], "installed");
    assert_eq!(installed[0]["webhook"]["state"], "missing");
    assert_eq!(
        ui.err("install_webhook", json!({"projectKey": null, "repositoryId": null}))["code"],
        "invalid-input"
    );

    let started = ui.ok("start_scan", json!({}));
    assert!(matches!(started["state"].as_str(), Some("running")), "{started}");
    let finished = ui.wait_for_scan();
    assert_eq!(
        (finished["total"].clone(), finished["done"].clone(), finished["failed"].clone()),
        (json!(2), json!(2), json!(0))
    );
    let item = &finished["items"][0];
    assert_eq!(item["status"], "done");
    assert_eq!(item["branch"], "main");
    assert_eq!(item["findings"], 2, "{item}");
    assert!(finished["finishedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(ui.err("retry_scan", json!({"repositoryIds": [tools_id]}))["code"], "invalid-input");
    assert_eq!(ui.ok("cancel_scan", json!({}))["state"], "finished");

    // A webhook delivery that led to a snapshot shows on its repository and its project.
    let shop_repo = installed[1]["repositories"][0]["id"].as_i64().unwrap();
    let other = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
    other
        .store()
        .store_snapshot(&depwatch_store::NewSnapshot {
            repository: depwatch_store::RepositoryId(shop_repo),
            ref_id: "refs/heads/main",
            commit_id: "0123456789abcdef0123456789abcdef01234567",
            from_commit: None,
            author: Some("Alice"),
            via: depwatch_store::SnapshotVia::Webhook,
            origin: depwatch_store::FindingOrigin::Push,
            scanned_at_ms: 1_700_000_000_000,
            manifests_json: "[]",
            packages: &[],
            findings: &[],
        })
        .unwrap();
    let listed = ui.ok("list_projects", json!({}));
    let delivered = "2023-11-14T22:13:20Z";
    assert_eq!(listed[1]["repositories"][0]["webhook"]["lastDeliveryAt"], delivered, "{listed}");
    assert_eq!(listed[1]["repositories"][1]["webhook"]["lastDeliveryAt"], json!(null));
    assert_eq!(listed[1]["webhook"]["lastDeliveryAt"], delivered);
    assert_eq!(listed[0]["webhook"]["lastDeliveryAt"], json!(null));

    let gone = ui.ok("disconnect", json!({}));
    assert_eq!((gone["connected"].clone(), gone["authMode"].clone()), (json!(false), json!(null)));
    assert_eq!(gone["instanceUrl"], bb.fake.base_url(), "the instance and its data stay");
    assert_eq!(ui.ok("get_scan_status", json!({}))["done"], 2);
}

#[test]
fn settings_round_trip_and_the_webhook_secret() {
    let dir = tempfile::tempdir().unwrap();
    let ui = Ui::open(dir.path());
    let settings = ui.ok("get_settings", json!({}));
    assert_eq!(settings["listenAddress"], "0.0.0.0");
    assert_eq!(settings["listenPort"], 28123);
    assert_eq!(settings["loopbackOnly"], false);
    assert_eq!(settings["webhookSecretSet"], false);
    assert_eq!(settings["monitoring"], "active");
    assert!(settings["webhookUrl"].as_str().unwrap().ends_with(":28123/webhook"), "{settings}");
    let sources = settings["advisorySources"].as_array().unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s["id"] == "osv-crates.io" && s["ecosystems"] == json!(["crates.io"])),
        "{sources:?}"
    );

    let update = json!({
        "listenAddress": "127.0.0.1", "listenPort": 9000, "enabledSources": ["osv-npm"],
        "syncIntervalHours": 12, "refPatterns": ["release/*", "hotfix/*"],
        "notifications": {"minimumSeverity": "medium", "digestThreshold": 3,
            "quietHours": {"enabled": true, "start": "22:00", "end": "07:30"}, "includeInformational": true},
        "startAtLogin": false
    });
    let saved = ui.ok("save_settings", json!({ "update": update }));
    assert_eq!(saved["webhookUrl"], "http://127.0.0.1:9000/webhook");
    assert_eq!(saved["loopbackOnly"], true);
    assert_eq!(saved["notifications"], update["notifications"]);
    assert_eq!(saved["refPatterns"], json!(["release/*", "hotfix/*"]));
    let enabled: Vec<&Value> = saved["advisorySources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["enabled"] == true)
        .collect();
    assert_eq!(enabled.len(), 1);
    assert_eq!(ui.ok("get_settings", json!({})), saved);
    // The CLI and the monitor runtime read the same values.
    let reopened = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
    assert_eq!(reopened.settings().unwrap().listen_port, 9000);

    let mut bad = update.clone();
    bad["listenPort"] = json!(0);
    let err = ui.err("save_settings", json!({ "update": bad }));
    assert_eq!(err["code"], "invalid-input");
    assert!(err["message"].as_str().unwrap().contains("listenPort"), "{err}");
    let mut bad = update.clone();
    bad["listenAddress"] = json!("my-laptop");
    assert_eq!(ui.err("save_settings", json!({ "update": bad }))["code"], "invalid-input");
    assert_eq!(ui.ok("get_settings", json!({}))["listenPort"], 9000, "nothing invalid was saved");

    assert_eq!(ui.err("reveal_webhook_secret", json!({}))["code"], "not-found");
    assert_eq!(ui.err("set_webhook_secret", json!({"secret": "short"}))["code"], "invalid-input");
    ui.ok("set_webhook_secret", json!({"secret": "a-long-enough-secret-value"}));
    assert_eq!(ui.ok("reveal_webhook_secret", json!({})), "a-long-enough-secret-value");
    let fresh = ui.ok("regenerate_webhook_secret", json!({}));
    assert_eq!(fresh.as_str().unwrap().len(), 64);
    assert_eq!(ui.ok("reveal_webhook_secret", json!({})), fresh);
    assert_eq!(ui.ok("get_settings", json!({}))["webhookSecretSet"], true);
}

#[test]
fn open_external_refuses_anything_but_http_links() {
    let dir = tempfile::tempdir().unwrap();
    let ui = Ui::open(dir.path());
    for url in ["file:///etc/passwd", "javascript:alert(1)", "tauri://localhost/x"] {
        let err = ui.err("open_external", json!({ "url": url }));
        assert_eq!(err["code"], "invalid-input", "{url}");
    }
}
