//! What the desktop app does through depwatch-app, against the fake: testing and saving a
//! token connection, disconnecting, the perimeter selection, webhook installation, and the
//! background historical scan (start, cancel, resume, retry).

use super::*;
use depwatch_app::connection::{probe_token_connection, TokenConnection};
use depwatch_app::perimeter_selection::{PerimeterSelection, SelectionMode};
use depwatch_app::scan_runner::{
    ScanItemStatus, ScanRequest, ScanRunError, ScanRunState, ScanRunner,
};
use depwatch_app::webhook_status::{WebhookScope, WebhookState};
use depwatch_bitbucket::HookTarget;

fn request(url: &str, token: &str) -> TokenConnection {
    TokenConnection { instance_url: url.to_owned(), token: Secret::new(token), ca_file: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_tests_report_typed_failures_with_their_steps() {
    let (fake, token) = setup(Permission::Read).await;
    let ok = probe_token_connection(&request(fake.base_url(), &token)).await;
    assert!(ok.ok(), "{ok:?}");
    assert_eq!(ok.username.as_deref(), Some("admin"));
    assert!(ok.server_version.is_some());
    assert_eq!(ok.steps.len(), 3, "{:?}", ok.steps);
    assert!(ok.steps[0]
        .starts_with(&format!("GET {}/rest/api/1.0/application-properties: ", fake.base_url())));

    let bad = probe_token_connection(&request(fake.base_url(), "not-a-token")).await;
    assert_eq!(bad.error.as_ref().map(|e| e.code.as_str()), Some("unauthorized"), "{bad:?}");
    assert!(!bad.error.as_ref().unwrap().message.contains("not-a-token"), "never echo the token");

    let root = format!("http://{}", fake.addr());
    let wrong = probe_token_connection(&request(&root, &token)).await;
    assert_eq!(wrong.error.as_ref().map(|e| e.code.as_str()), Some("not-bitbucket"), "{wrong:?}");
    assert!(wrong.error.unwrap().message.contains(fake.base_url()), "suggests the context path");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let refused =
        probe_token_connection(&request(&format!("http://{closed}/bitbucket"), &token)).await;
    assert_eq!(refused.error.map(|e| e.code), Some("connection-refused".to_owned()));

    let invalid = probe_token_connection(&request("ftp://git.corp", &token)).await;
    assert_eq!(invalid.error.map(|e| e.code), Some("invalid-input".to_owned()));
    assert!(invalid.steps.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_reuses_the_instance_and_disconnecting_keeps_the_data() {
    let (fake, token) = setup(Permission::Admin).await;
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "web").file("Cargo.lock", vulnerable_lock())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(dir.path());
    assert!(app.desktop_instance().unwrap().is_none());

    let req = request(&format!("{}/", fake.base_url()), &token);
    let probe = probe_token_connection(&req).await;
    let saved = app.save_token_connection(&req, &probe).unwrap();
    assert!(saved.connected());
    assert_eq!(saved.instance.base_url, fake.base_url());
    assert_eq!(saved.instance.user_name.as_deref(), Some("admin"));
    assert_eq!(app.desktop_instance().unwrap().unwrap().name, saved.instance.name);
    let db = std::fs::read(app.store().path()).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains(&token), "the token is not in the database");

    app.refresh_inventory(None).await.unwrap();
    let disconnected = app.disconnect_desktop().unwrap().unwrap();
    assert!(!disconnected.connected() && !disconnected.has_credentials);
    assert_eq!(app.repositories(None, None).unwrap().len(), 1, "data kept");
    assert!(app.client(&disconnected.instance).is_err(), "no credentials left");

    // A second instance from the CLI does not change which one the desktop shows, and
    // connecting again to the same URL reuses the instance.
    app.add_instance(AddInstance {
        name: Some("other".into()),
        base_url: "https://other.example".into(),
        auth: InstanceAuth::Token(Secret::new("x")),
        ca_path: None,
        max_requests_per_second: None,
    })
    .unwrap();
    let again = app.save_token_connection(&req, &probe).unwrap();
    assert_eq!(again.instance.id, saved.instance.id);
    assert_eq!(app.instances().unwrap().len(), 2);
    assert_eq!(app.desktop_instance().unwrap().unwrap().id, saved.instance.id);

    let failed = probe_token_connection(&request(fake.base_url(), "wrong")).await;
    let err = app.save_token_connection(&request(fake.base_url(), "wrong"), &failed).unwrap_err();
    assert!(
        matches!(err, depwatch_app::connection::ConnectionError::Test { ref code, .. } if code == "unauthorized"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selection_of_projects_and_repositories_drives_the_perimeter() {
    let s = seeded().await;
    s.app.refresh_inventory(None).await.unwrap();
    let instance = s.app.resolve_instance(None).unwrap();
    let default = s.app.perimeter_selection(&instance).unwrap();
    assert_eq!(default.mode, SelectionMode::Instance);
    assert!(!default.exclude_personal && !default.include_archived);

    let legacy = s.app.store().repository_by_slug(instance.id, "PLAT", "legacy").unwrap().unwrap();
    let selection = PerimeterSelection {
        mode: SelectionMode::Selection,
        project_keys: vec!["shop".into()],
        repository_ids: vec![legacy.id.0],
        exclude_personal: true,
        include_archived: true,
    };
    let saved = s.app.save_perimeter_selection(&instance, selection).unwrap();
    assert_eq!(saved.project_keys, ["SHOP"], "keys take the server's spelling");
    assert_eq!(repo_labels(&s.app), ["PLAT/legacy", "SHOP/billing", "SHOP/web"]);
    let instance = s.app.resolve_instance(None).unwrap();
    assert_eq!(s.app.perimeter_selection(&instance).unwrap(), saved);

    // New repositories join the wholly selected project only.
    s.fake.add_repo(RepoSpec::new("SHOP", "api").file("Cargo.lock", vulnerable_lock())).unwrap();
    s.fake.add_repo(RepoSpec::new("PLAT", "tools").file("Cargo.lock", vulnerable_lock())).unwrap();
    s.app.refresh_inventory(None).await.unwrap();
    assert_eq!(repo_labels(&s.app), ["PLAT/legacy", "SHOP/api", "SHOP/billing", "SHOP/web"]);

    let empty =
        PerimeterSelection { project_keys: vec![], repository_ids: vec![], ..saved.clone() };
    assert!(s.app.save_perimeter_selection(&instance, empty).is_err());
    let unknown = PerimeterSelection { repository_ids: vec![9999], ..saved.clone() };
    let err = s.app.save_perimeter_selection(&instance, unknown).unwrap_err();
    assert!(err.to_string().contains("9999"), "{err}");

    let whole = PerimeterSelection { mode: SelectionMode::Instance, ..saved };
    s.app.save_perimeter_selection(&instance, whole).unwrap();
    assert_eq!(repo_labels(&s.app).len(), 6, "everything but the personal project");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_install_per_project_and_fall_back_to_polling_without_admin() {
    let s = seeded().await;
    s.app.refresh_inventory(None).await.unwrap();
    let instance = s.app.resolve_instance(None).unwrap();
    let desired = s.app.desired_webhook(&instance).unwrap();
    assert!(desired.url.ends_with("/webhook/corp"), "{}", desired.url);
    assert!(s.app.webhook_secret().unwrap().is_some(), "a secret is generated on first use");

    let outcomes = s
        .app
        .install_webhook(&instance, &WebhookScope::Project("SHOP".into()), &desired)
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes[0].1.state, WebhookState::Installed);
    let client = s.app.client(&instance).unwrap();
    let hooks = client.list_webhooks(&HookTarget::project("SHOP")).await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].url, desired.url);
    // Installing again repairs rather than duplicates.
    s.app
        .install_webhook(&instance, &WebhookScope::Project("SHOP".into()), &desired)
        .await
        .unwrap();
    assert_eq!(client.list_webhooks(&HookTarget::project("SHOP")).await.unwrap().len(), 1);

    let book = s.app.webhook_book(&instance).unwrap();
    let web = s.app.store().repository_by_slug(instance.id, "SHOP", "web").unwrap().unwrap();
    assert_eq!(s.app.repository_webhook_status(&book, &web).state, WebhookState::Installed);
    let projects = s.app.projects(None).unwrap();
    let data = projects.iter().find(|p| p.key == "DATA").unwrap();
    assert_eq!(s.app.project_webhook_status(&book, data).state, WebhookState::Missing);

    // A read-only token may not install webhooks: the repository is polled.
    let reader = s.fake.add_personal_token("admin", Permission::Read).unwrap();
    let req = request(s.fake.base_url(), &reader);
    let probe = probe_token_connection(&req).await;
    let instance = s.app.save_token_connection(&req, &probe).unwrap().instance;
    let outcomes = s
        .app
        .install_webhook(&instance, &WebhookScope::Repository(web.id.0), &desired)
        .await
        .unwrap();
    assert_eq!(outcomes[0].1.state, WebhookState::Polling, "{outcomes:?}");
    assert!(outcomes[0].1.detail.as_deref().unwrap_or("").contains("REPO_ADMIN"));
    let err = s
        .app
        .install_webhook(&instance, &WebhookScope::Repository(424242), &desired)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("424242"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_scan_runs_cancels_resumes_and_retries() {
    let (fake, token) = setup(Permission::Admin).await;
    fake.add_project("BULK", "Bulk").unwrap();
    fake.add_repos(
        (0..8).map(|i| {
            RepoSpec::new("BULK", &format!("r{i:02}")).file("Cargo.lock", vulnerable_lock())
        }),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(open_app(dir.path()));
    add(&app, &fake, &token);
    let instance = app.resolve_instance(None).unwrap();
    // Slow enough that the cancel lands while repositories remain (not a pass/fail timing).
    fake.set_latency(std::time::Duration::from_millis(20));
    let runner = ScanRunner::default();
    assert_eq!(runner.status(&app, &instance).unwrap().state, ScanRunState::Idle);

    let options = || {
        let mut o = HistoricalScanOptions::new(advisories());
        o.concurrency = 1;
        o
    };
    // Cancel from the event stream after two repositories. The runner stays busy until the
    // task clears its flag, whatever the timing: only a finished scan's last event clears it.
    let mut events = app.events().subscribe();
    let started = runner.start(app.clone(), &instance, ScanRequest::Start, options()).unwrap();
    assert_eq!(started.state, ScanRunState::Running);
    assert!(matches!(
        runner.start(app.clone(), &instance, ScanRequest::Start, options()),
        Err(ScanRunError::Busy)
    ));
    let mut progress = 0;
    let mut finished_events = 0;
    while let Ok(event) = events.recv().await {
        match event {
            Event::ScanProgress { .. } => {
                progress += 1;
                if progress == 2 {
                    runner.cancel();
                    assert_eq!(
                        runner.status(&app, &instance).unwrap().state,
                        ScanRunState::Cancelling
                    );
                }
            }
            Event::ScanFinished { .. } => {
                finished_events += 1;
                // Announced once the end is recorded: the runner has stopped by then.
                assert!(!runner.is_running(), "ScanFinished before the runner stopped");
                break;
            }
            _ => {}
        }
    }
    assert_eq!(finished_events, 1);
    // Nothing else announces the end.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    while let Ok(event) = events.try_recv() {
        assert!(!matches!(event, Event::ScanFinished { .. }), "a second ScanFinished: {event:?}");
    }
    let stopped = runner.status(&app, &instance).unwrap();
    assert_eq!(stopped.state, ScanRunState::Finished);
    assert_eq!(stopped.halted.as_deref(), Some("cancelled"));
    assert!(stopped.done >= 2 && stopped.done < 8, "{stopped:?}");
    let skipped = stopped.items.iter().filter(|i| i.status == ScanItemStatus::Skipped).count();
    assert_eq!(skipped as u64, 8 - stopped.done);
    let done = stopped.items.iter().find(|i| i.status == ScanItemStatus::Done).unwrap();
    assert_eq!(done.branch.as_deref(), Some("main"));
    assert_eq!(done.findings, 2);
    assert!(done.finished_at_ms.is_some());
    // A cancelled scan is not resumed on restart.
    assert!(!runner.resume_interrupted(app.clone(), &instance, options()).unwrap());

    // Start again: resumes with the rest.
    runner.start(app.clone(), &instance, ScanRequest::Start, options()).unwrap();
    runner.wait().await;
    let finished = runner.status(&app, &instance).unwrap();
    assert_eq!((finished.done, finished.failed, finished.total), (8, 0, 8));
    assert!(finished.halted.is_none() && finished.finished_at_ms.is_some());
    assert!(finished.items.iter().all(|i| i.status == ScanItemStatus::Done && i.findings == 2));

    // Retrying a repository that did not fail is refused; a failed one is scanned again.
    let first = finished.items[0].repository_id;
    assert!(matches!(
        runner.start(app.clone(), &instance, ScanRequest::Retry(vec![first]), options()),
        Err(ScanRunError::Invalid(_))
    ));
    app.store()
        .scan_item_set(
            depwatch_store::RepositoryId(first),
            ScanItemState::Failed,
            Some("HTTP 500"),
            1,
        )
        .unwrap();
    assert_eq!(runner.status(&app, &instance).unwrap().failed, 1);
    runner.start(app.clone(), &instance, ScanRequest::Retry(vec![]), options()).unwrap();
    runner.wait().await;
    let retried = runner.status(&app, &instance).unwrap();
    assert_eq!((retried.done, retried.failed), (8, 0));
}
