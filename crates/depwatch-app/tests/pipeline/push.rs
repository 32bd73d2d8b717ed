//! End to end: a vulnerable lockfile pushed to the fake Bitbucket reaches the real listener as a
//! signed webhook, the worker scans the pushed commit, stores the finding and emits
//! FindingIntroduced; a later push that fixes it emits FindingFixed; redelivery is a no-op.

use crate::{connected_app, fake_with_shop, fixture, CLEAN_LOCK};
use depwatch_advisories::AdvisoryIndex;
use depwatch_app::{
    Event, FindingOrigin, HistoricalScanOptions, PushProcessor, RefFilter, WakingInbox, Worker,
};
use depwatch_fakebb::{CommitSpec, Push, RepoSpec};
use depwatch_hook::{
    EveryRepository, HookConfig, HookState, InstanceConfig, InstanceId, StoreInbox,
};
use depwatch_store::{FindingFilter, InboxState, Store};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_vulnerable_lockfile_becomes_a_finding_event() {
    let (fake, token) = fake_with_shop().await;
    fake.add_repo(RepoSpec::new("SHOP", "billing").file("Cargo.lock", CLEAN_LOCK)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let app = connected_app(&fake, &token, dir.path());
    let loaded = depwatch_advisories::load_dir(&fixture("osv-rustsec")).unwrap();
    let advisories = Arc::new(AdvisoryIndex::from_records(loaded.advisories));
    let baseline = app
        .historical_scan(Some("corp"), HistoricalScanOptions::new(Arc::clone(&advisories)))
        .await
        .unwrap();
    assert_eq!((baseline.done, baseline.findings_introduced), (1, 0), "{baseline:?}");

    // The listener, on its own connection to the same database, as `depwatch serve` runs it.
    let worker = Worker::new(Arc::new(Store::open(&app.data_dir().database_path()).unwrap()));
    let inbox_store = Arc::new(Store::open(&app.data_dir().database_path()).unwrap());
    let inbox = WakingInbox::new(StoreInbox::new(Arc::clone(&inbox_store)), worker.waker());
    let mut instance = InstanceConfig::new(InstanceId::new("corp").unwrap());
    instance.webhook_secret = Some(depwatch_hook::Secret::new("s3cret"));
    let config = HookConfig { instances: vec![instance], ..HookConfig::default() };
    let state = HookState::new(config, Arc::new(inbox), Arc::new(EveryRepository)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(depwatch_hook::serve(listener, state, std::future::pending()));
    fake.add_project_webhook("SHOP", &format!("http://{addr}/webhook/corp"), Some("s3cret"))
        .unwrap();

    let mut events = app.events().subscribe();
    let vulnerable = std::fs::read(fixture("vulnerable.Cargo.lock")).unwrap();
    let report = fake
        .push(
            "SHOP",
            "billing",
            Push::new().actor("admin").commit(
                CommitSpec::on("main")
                    .author("jdoe")
                    .message("pin time")
                    .file("Cargo.lock", vulnerable),
            ),
        )
        .await
        .unwrap();
    assert_eq!(report.deliveries.len(), 1);
    assert!(
        (200..300).contains(&report.deliveries[0].status.unwrap_or(0)),
        "{:?}",
        report.deliveries
    );
    let pushed = fake.branch_head("SHOP", "billing", "main").unwrap();

    let processor =
        PushProcessor::new(Arc::clone(&app), Arc::clone(&advisories), RefFilter::default());
    assert_eq!(worker.drain(&processor).await.unwrap(), 1);
    let rows = app.store().inbox_list(None, 10).unwrap();
    assert_eq!(rows[0].state, InboxState::Processed, "{rows:?}");

    let mut introduced = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::FindingIntroduced { origin, finding } = event {
            assert_eq!(origin, FindingOrigin::Push);
            assert_eq!(finding.commit_id, pushed);
            assert_eq!(finding.repository, "SHOP/billing");
            introduced.push(finding.advisory_id);
        }
    }
    assert!(!introduced.is_empty(), "no FindingIntroduced event");
    let stored = app
        .store()
        .findings(&FindingFilter { present_only: true, ..FindingFilter::default() })
        .unwrap();
    assert_eq!(stored.len(), introduced.len());
    assert!(stored.iter().all(|f| f.first_seen_commit == pushed));
    assert!(stored.iter().all(|f| f.origin == depwatch_store::FindingOrigin::Push));
    let snapshot = app.store().latest_snapshot(stored[0].repository_id, "refs/heads/main");
    let snapshot = snapshot.unwrap().unwrap();
    assert_eq!(snapshot.via, depwatch_store::SnapshotVia::Webhook);
    assert!(snapshot.author.is_some(), "the webhook actor is recorded: {snapshot:?}");

    // A push that does not touch manifests stores nothing new; the fix emits FindingFixed.
    fake.push("SHOP", "billing", Push::new().commit(CommitSpec::on("main").file("README.md", "x")))
        .await
        .unwrap();
    fake.push(
        "SHOP",
        "billing",
        Push::new().commit(CommitSpec::on("main").file("Cargo.lock", CLEAN_LOCK)),
    )
    .await
    .unwrap();
    assert_eq!(worker.drain(&processor).await.unwrap(), 2);
    let mut fixed = 0;
    while let Ok(event) = events.try_recv() {
        match event {
            Event::FindingFixed { .. } => fixed += 1,
            Event::FindingIntroduced { finding, .. } => panic!("unexpected {finding:?}"),
            _ => {}
        }
    }
    assert_eq!(fixed, introduced.len());
    assert!(app
        .store()
        .findings(&FindingFilter { present_only: true, ..FindingFilter::default() })
        .unwrap()
        .is_empty());
    assert_eq!(app.store().inbox_count(Some(InboxState::Processed)).unwrap(), 3);
}
