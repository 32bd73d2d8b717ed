//! The monitoring runtime as the desktop shell and `depwatch serve` run it: catch-up at start,
//! pause (deliveries recorded, not processed) and resume (backlog processed), the listener's
//! perimeter filter, `repo:modified` renames, and moving the listener to another address.

use crate::{connected_app, fake_with_shop, fixture, CLEAN_LOCK};
use depwatch_app::monitor::{InstanceSecrets, Secret};
use depwatch_app::{Event, FindingOrigin, Monitor, MonitorConfig, Monitoring};
use depwatch_fakebb::{CommitSpec, Push, RepoSpec};
use depwatch_store::InboxState;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Generous: only a hung runtime fails here.
const PATIENCE: Duration = Duration::from_secs(90);

async fn next_matching(
    events: &mut broadcast::Receiver<Event>,
    what: &str,
    mut pred: impl FnMut(&Event) -> bool,
) -> Event {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(e) if pred(&e) => return e,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("event hub closed"),
            }
        }
    };
    tokio::time::timeout(PATIENCE, wait).await.unwrap_or_else(|_| panic!("no {what} event"))
}

async fn until<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let wait = async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(PATIENCE, wait).await.unwrap_or_else(|_| panic!("timed out: {what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_perimeter_rename_and_listener_restart() {
    let (fake, token) = fake_with_shop().await;
    fake.add_repo(RepoSpec::new("SHOP", "billing").file("Cargo.lock", CLEAN_LOCK)).unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "scratch").file("Cargo.lock", CLEAN_LOCK)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let app = connected_app(&fake, &token, dir.path());
    app.import_advisories(fixture("osv-rustsec").to_str().unwrap()).unwrap();

    let mut events = app.events().subscribe();
    let secrets = BTreeMap::from([(
        "corp".to_owned(),
        InstanceSecrets { webhook_secret: Some(Secret::new("s3cret")), ..Default::default() },
    )]);
    let config = MonitorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        secrets,
        poll_interval: None,
        advisory_sync_interval: None,
        worker_idle_poll: Duration::from_millis(200),
        ..MonitorConfig::default()
    };
    let monitor = Monitor::start(Arc::clone(&app), config).await.unwrap();
    // Catch-up at start: inventory, then both repositories' default branches scanned.
    let Event::CatchUpFinished { report } =
        next_matching(&mut events, "catch-up", |e| matches!(e, Event::CatchUpFinished { .. }))
            .await
    else {
        unreachable!()
    };
    assert_eq!((report.repositories, report.refs_processed), (2, 2), "{report:?}");
    assert!(report.errors.is_empty(), "{report:?}");
    app.set_repository_excluded(Some("corp"), "SHOP", "scratch", true).unwrap();
    monitor.refresh_perimeter().unwrap();
    assert_eq!(monitor.status().await.monitored_repositories, 1);

    let addr = monitor.listen_addr().await.unwrap();
    fake.add_project_webhook("SHOP", &format!("http://{addr}/webhook/corp"), Some("s3cret"))
        .unwrap();

    // Paused: the delivery is recorded (2xx) but not processed.
    assert_eq!(monitor.set_monitoring(Monitoring::Paused).unwrap(), Monitoring::Paused);
    assert_eq!(app.monitoring().unwrap(), Monitoring::Paused, "persisted");
    let vulnerable = std::fs::read(fixture("vulnerable.Cargo.lock")).unwrap();
    let report = fake
        .push(
            "SHOP",
            "billing",
            Push::new()
                .actor("admin")
                .commit(CommitSpec::on("main").file("Cargo.lock", vulnerable)),
        )
        .await
        .unwrap();
    assert_eq!(report.deliveries[0].status, Some(200), "{:?}", report.deliveries);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.store().inbox_count(Some(InboxState::Pending)).unwrap(), 1);
    assert!(
        !std::iter::from_fn(|| events.try_recv().ok())
            .any(|e| matches!(e, Event::FindingIntroduced { .. })),
        "processed while paused"
    );

    // Resumed: the backlog is processed.
    monitor.set_monitoring(Monitoring::Active).unwrap();
    let Event::FindingIntroduced { origin, finding } =
        next_matching(&mut events, "finding", |e| matches!(e, Event::FindingIntroduced { .. }))
            .await
    else {
        unreachable!()
    };
    assert_eq!((origin, finding.repository.as_str()), (FindingOrigin::Push, "SHOP/billing"));
    until("inbox processed", || async {
        app.store().inbox_count(Some(InboxState::Processed)).unwrap() == 1
    })
    .await;

    // Outside the perimeter: 202, recorded as ignored with the reason.
    let report = fake
        .push(
            "SHOP",
            "scratch",
            Push::new().commit(CommitSpec::on("main").file("Cargo.lock", "version = 3\n")),
        )
        .await
        .unwrap();
    assert_eq!(report.deliveries[0].status, Some(202), "{:?}", report.deliveries);
    let rows = app.store().inbox_list(Some(InboxState::Ignored), 10).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].reason.as_deref().is_some_and(|r| r.contains("outside the monitored perimeter")),
        "{rows:?}"
    );

    // A rename updates the stored identity by Bitbucket id; findings stay on the row.
    let before = app.store().instances().unwrap();
    let instance = before[0].id;
    let repo = app.store().repository_by_slug(instance, "SHOP", "billing").unwrap().unwrap();
    let deliveries =
        fake.rename_repo("SHOP", "billing", "invoices", Some("Invoices")).await.unwrap();
    assert!(deliveries.iter().all(|d| d.status == Some(200)), "{deliveries:?}");
    until("rename applied", || async {
        app.store().repository(repo.id).unwrap().is_some_and(|r| r.slug == "invoices")
    })
    .await;
    let renamed = app.store().repository(repo.id).unwrap().unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Invoices"));

    // Moving the listener: the new address answers, the old one is closed.
    let moved = monitor.restart_listener(Some("127.0.0.1:0".parse().unwrap())).await.unwrap();
    assert_ne!(moved, addr);
    assert_eq!(monitor.listen_addr().await, Some(moved));
    let health = http_get(moved).await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "old listener still open");

    monitor.stop().await.unwrap();
    monitor.stop().await.unwrap();
}

async fn http_get(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installed_webhooks_are_repaired_and_failures_reported() {
    use depwatch_app::webhook_status::{WebhookScope, WebhookState};
    use depwatch_fakebb::Fault;

    let (fake, token) = fake_with_shop().await;
    fake.add_repo(RepoSpec::new("SHOP", "web").file("Cargo.lock", CLEAN_LOCK)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = connected_app(&fake, &token, dir.path());
    app.refresh_inventory(Some("corp")).await.unwrap();
    let instance = app.store().instances().unwrap().remove(0);
    let desired = app.desired_webhook(&instance).unwrap();
    let scope = WebhookScope::Project("SHOP".into());
    app.install_webhook(&instance, &scope, &desired).await.unwrap();
    assert_eq!(app.webhook_book(&instance).unwrap().scopes["SHOP"].state, WebhookState::Installed);

    // Bitbucket's webhook API fails: the repair at the start-up catch-up reports it.
    fake.inject_fault(Fault {
        path_prefix: "/rest/api/1.0/projects/SHOP/webhooks".into(),
        status: 500,
        count: 1000,
        retry_after: None,
    });
    let mut events = app.events().subscribe();
    let config = MonitorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        poll_interval: None,
        advisory_sync_interval: None,
        reconcile_webhooks: true,
        ..MonitorConfig::default()
    };
    let monitor = Monitor::start(Arc::clone(&app), config).await.unwrap();
    let Event::WebhookUnhealthy { instance: name, scope: failed, message } =
        next_matching(&mut events, "webhook unhealthy", |e| {
            matches!(e, Event::WebhookUnhealthy { .. })
        })
        .await
    else {
        unreachable!()
    };
    assert_eq!((name.as_str(), failed.as_str()), ("corp", "SHOP"));
    assert!(message.contains("500"), "{message}");
    next_matching(&mut events, "catch-up", |e| matches!(e, Event::CatchUpFinished { .. })).await;

    // Repaired once Bitbucket answers again: no report, the book says installed.
    fake.clear_faults();
    monitor.catch_up_now();
    next_matching(&mut events, "catch-up", |e| {
        assert!(!matches!(e, Event::WebhookUnhealthy { .. }), "{e:?}");
        matches!(e, Event::CatchUpFinished { .. })
    })
    .await;
    let book = app.webhook_book(&instance).unwrap();
    assert_eq!(book.scopes["SHOP"].state, WebhookState::Installed, "{book:?}");
    monitor.stop().await.unwrap();
}
