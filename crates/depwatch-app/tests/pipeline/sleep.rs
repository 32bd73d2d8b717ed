//! A laptop that slept through ten pushes ends, after catch-up polling, with the same findings
//! as one that was awake and processed every webhook.

use crate::{connected_app, fake_with_shop, fixture, CLEAN_LOCK};
use depwatch_advisories::AdvisoryIndex;
use depwatch_app::{App, HistoricalScanOptions, PushProcessor, RefFilter, WakingInbox, Worker};
use depwatch_fakebb::{CommitSpec, FakeBitbucket, Push, RepoSpec};
use depwatch_hook::{
    EveryRepository, HookConfig, HookState, InstanceConfig, InstanceId, StoreInbox,
};
use depwatch_store::{FindingFilter, Store};
use std::path::Path;
use std::sync::Arc;

async fn app_for(
    fake: &FakeBitbucket,
    token: &str,
    dir: &Path,
    advisories: &Arc<AdvisoryIndex>,
) -> Arc<App> {
    let app = connected_app(fake, token, dir);
    app.historical_scan(Some("corp"), HistoricalScanOptions::new(Arc::clone(advisories)))
        .await
        .unwrap();
    app
}

fn present(app: &App) -> Vec<(String, String, String, String, String)> {
    let mut rows: Vec<_> = app
        .store()
        .findings(&FindingFilter { present_only: true, ..FindingFilter::default() })
        .unwrap()
        .into_iter()
        .map(|f| (f.ref_id, f.advisory_id, f.package, f.version, f.first_seen_commit))
        .collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_after_sleep_equals_an_awake_run() {
    let (fake, token) = fake_with_shop().await;
    fake.add_repo(RepoSpec::new("SHOP", "billing").file("Cargo.lock", CLEAN_LOCK)).unwrap();
    let loaded = depwatch_advisories::load_dir(&fixture("osv-rustsec")).unwrap();
    let advisories = Arc::new(AdvisoryIndex::from_records(loaded.advisories));

    let awake_dir = tempfile::tempdir().unwrap();
    let asleep_dir = tempfile::tempdir().unwrap();
    let awake = app_for(&fake, &token, awake_dir.path(), &advisories).await;
    let asleep = app_for(&fake, &token, asleep_dir.path(), &advisories).await;

    // Only the awake app has a listener registered.
    let worker = Worker::new(Arc::new(Store::open(&awake.data_dir().database_path()).unwrap()));
    let inbox_store = Arc::new(Store::open(&awake.data_dir().database_path()).unwrap());
    let inbox = WakingInbox::new(StoreInbox::new(inbox_store), worker.waker());
    let mut instance = InstanceConfig::new(InstanceId::new("corp").unwrap());
    instance.webhook_secret = Some(depwatch_hook::Secret::new("k"));
    let config = HookConfig { instances: vec![instance], ..HookConfig::default() };
    let state = HookState::new(config, Arc::new(inbox), Arc::new(EveryRepository)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(depwatch_hook::serve(listener, state, std::future::pending()));
    fake.add_project_webhook("SHOP", &format!("http://{addr}/webhook/corp"), Some("k")).unwrap();
    let awake_processor =
        PushProcessor::new(Arc::clone(&awake), Arc::clone(&advisories), RefFilter::default());

    let vulnerable = std::fs::read(fixture("vulnerable.Cargo.lock")).unwrap();
    for i in 0..10 {
        let push = match i {
            // A release branch appears midway, carrying the vulnerable lockfile of main.
            4 => Push::new().create_branch("release/1", Some("main")),
            // A feature branch is not monitored.
            6 => Push::new()
                .commit(CommitSpec::on("main").file("README.md", format!("{i}")))
                .create_branch("feature/x", Some("main")),
            _ if i % 2 == 1 => {
                Push::new().commit(CommitSpec::on("main").file("Cargo.lock", vulnerable.clone()))
            }
            _ => Push::new().commit(CommitSpec::on("main").file("Cargo.lock", CLEAN_LOCK)),
        };
        fake.push("SHOP", "billing", push).await.unwrap();
        worker.drain(&awake_processor).await.unwrap();
    }

    let asleep_processor =
        PushProcessor::new(Arc::clone(&asleep), Arc::clone(&advisories), RefFilter::default());
    let report = asleep_processor.catch_up().await.unwrap();
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(report.refs_processed, 2, "main moved and release/1 is new: {report:?}");
    let awake_findings = present(&awake);
    assert!(!awake_findings.is_empty(), "the scenario must end with findings");
    let asleep_findings = present(&asleep);
    let strip =
        |v: &[(String, String, String, String, String)]| -> Vec<(String, String, String, String)> {
            v.iter()
                .map(|(r, a, p, ver, _)| (r.clone(), a.clone(), p.clone(), ver.clone()))
                .collect()
        };
    assert_eq!(strip(&asleep_findings), strip(&awake_findings));
    // A second pass finds nothing new.
    assert_eq!(asleep_processor.catch_up().await.unwrap().refs_processed, 0);
}
