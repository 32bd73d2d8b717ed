//! The Bitbucket product surface against the fake Bitbucket: instances, perimeter, the
//! historical scan (findings, resumability, auth errors, paging).

mod authorization;
mod desktop;
mod removal;

use depwatch_advisories::AdvisoryIndex;
use depwatch_app::{AddInstance, App, DataDir, Event, HistoricalScanOptions, InstanceAuth};
use depwatch_bitbucket::Secret;
use depwatch_fakebb::{CommitSpec, Config, FakeBitbucket, Permission, Push, RepoSpec};
use depwatch_store::{FindingFilter, InstanceState, Perimeter, PerimeterMode, ScanItemState};
use std::path::Path;
use std::sync::Arc;

const FIXED_CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.10\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"time\"\nversion = \"0.1.43\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn advisories() -> Arc<AdvisoryIndex> {
    let loaded = depwatch_advisories::load_dir(&fixture("osv-rustsec")).unwrap();
    assert_eq!(loaded.advisories.len(), 2);
    Arc::new(AdvisoryIndex::from_records(loaded.advisories))
}

fn vulnerable_lock() -> Vec<u8> {
    std::fs::read(fixture("vulnerable.Cargo.lock")).unwrap()
}

struct Setup {
    fake: FakeBitbucket,
    token: String,
    _dir: tempfile::TempDir,
    app: Arc<App>,
}

fn open_app(dir: &Path) -> App {
    // Tests never touch the developer's keychain.
    std::env::set_var(depwatch_app::SECRET_STORE_ENV, "file");
    App::open(DataDir::new(dir.to_path_buf())).unwrap()
}

async fn setup(token_permission: Permission) -> (FakeBitbucket, String) {
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    let token = fake.add_personal_token("admin", token_permission).unwrap();
    (fake, token)
}

fn add(app: &App, fake: &FakeBitbucket, token: &str) {
    app.add_instance(AddInstance {
        name: Some("corp".into()),
        base_url: fake.base_url().to_owned(),
        auth: InstanceAuth::Token(Secret::new(token)),
        ca_path: None,
        max_requests_per_second: None,
    })
    .unwrap();
}

/// SHOP/billing (vulnerable), SHOP/web (clean), PLAT/legacy (archived, vulnerable),
/// DATA/empty (no commit), ~ADMIN/scratch (personal, vulnerable).
async fn seeded() -> Setup {
    let (fake, token) = setup(Permission::Admin).await;
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_project("PLAT", "Platform").unwrap();
    fake.add_project("DATA", "Data").unwrap();
    fake.add_repo(
        RepoSpec::new("SHOP", "billing")
            .file("Cargo.lock", vulnerable_lock())
            .file("src/main.rs", "fn main() {}\n"),
    )
    .unwrap();
    fake.add_repo(
        RepoSpec::new("SHOP", "web")
            .file("Cargo.lock", FIXED_CARGO_LOCK.replace("0.1.43", "0.2.23")),
    )
    .unwrap();
    fake.add_repo(
        RepoSpec::new("PLAT", "legacy").archived(true).file("Cargo.lock", vulnerable_lock()),
    )
    .unwrap();
    fake.add_repo(RepoSpec::new("DATA", "empty")).unwrap();
    fake.add_repo(RepoSpec::new("~admin", "scratch").file("tools/Cargo.lock", vulnerable_lock()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(open_app(dir.path()));
    add(&app, &fake, &token);
    Setup { fake, token, _dir: dir, app }
}

fn repo_labels(app: &App) -> Vec<String> {
    app.perimeter_repositories(Some("corp"))
        .unwrap()
        .iter()
        .map(|r| format!("{}/{}", r.project_key, r.slug))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_test_inventory_and_perimeter() {
    let s = seeded().await;
    let report = s.app.test_instance(None).await.unwrap();
    assert_eq!(report.state, InstanceState::Ok, "{report:?}");
    assert_eq!(report.user_name.as_deref(), Some("admin"));
    assert!(report.server_version.is_some());

    let inventory = s.app.refresh_inventory(Some("corp")).await.unwrap();
    assert_eq!(inventory.repositories, 5);
    let projects = s.app.projects(None).unwrap();
    let keys: Vec<_> = projects.iter().map(|p| (p.key.as_str(), p.personal)).collect();
    assert!(keys.contains(&("~ADMIN", true)), "{keys:?}");
    // Archived repositories are listed but outside the default perimeter.
    assert_eq!(repo_labels(&s.app), ["DATA/empty", "SHOP/billing", "SHOP/web", "~ADMIN/scratch"]);

    s.app
        .set_perimeter(
            None,
            Perimeter {
                mode: PerimeterMode::Projects,
                include_personal: false,
                include_archived: true,
            },
            Some(&["shop".to_owned(), "PLAT".to_owned()]),
        )
        .unwrap();
    s.app.set_repository_excluded(None, "SHOP", "web", true).unwrap();
    assert_eq!(repo_labels(&s.app), ["PLAT/legacy", "SHOP/billing"]);
    let err =
        s.app.set_perimeter(None, Perimeter::default(), Some(&["NOPE".to_owned()])).unwrap_err();
    assert!(err.to_string().contains("no project `NOPE`"), "{err}");

    // The token lives in the secrets file, never in the database.
    let db = std::fs::read(s.app.data_dir().database_path()).unwrap();
    let secrets = s.app.secret_store().store.kind().to_string();
    assert!(secrets.contains("secrets.json"), "{secrets}");
    let token = s.token.as_bytes();
    assert!(!db.windows(token.len()).any(|w| w == token), "token found in the database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn historical_scan_stores_snapshots_and_findings() {
    let s = seeded().await;
    let mut events = s.app.events().subscribe();
    let report =
        s.app.historical_scan(None, HistoricalScanOptions::new(advisories())).await.unwrap();
    assert_eq!(
        (report.total, report.done, report.failed, report.empty),
        (4, 4, 0, 1),
        "{report:?}"
    );
    assert!(!report.resumed);
    // billing and scratch each have time 0.1.43 (RUSTSEC-2020-0071) and smallvec 0.6.9
    // (RUSTSEC-2019-0009); web is clean; the archived repo is outside the perimeter.
    assert_eq!(report.findings_introduced, 4);
    let store = s.app.store();
    let instance = s.app.resolve_instance(None).unwrap();
    let findings = store
        .findings(&FindingFilter { instance: Some(instance.id), ..Default::default() })
        .unwrap();
    let mut got: Vec<String> = findings
        .iter()
        .map(|f| {
            let repo = store.repository(f.repository_id).unwrap().unwrap();
            format!(
                "{}/{} {} {} {}@{} {}",
                repo.project_key,
                repo.slug,
                f.ref_id,
                f.manifest,
                f.package,
                f.version,
                f.advisory_id
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "SHOP/billing refs/heads/main Cargo.lock smallvec@0.6.9 RUSTSEC-2019-0009",
            "SHOP/billing refs/heads/main Cargo.lock time@0.1.43 RUSTSEC-2020-0071",
            "~ADMIN/scratch refs/heads/main tools/Cargo.lock smallvec@0.6.9 RUSTSEC-2019-0009",
            "~ADMIN/scratch refs/heads/main tools/Cargo.lock time@0.1.43 RUSTSEC-2020-0071",
        ]
    );
    let billing = store.repository_by_slug(instance.id, "SHOP", "billing").unwrap().unwrap();
    let head = s.fake.branch_head("SHOP", "billing", "main").unwrap();
    let snapshot = store.latest_snapshot(billing.id, "refs/heads/main").unwrap().unwrap();
    assert_eq!(snapshot.commit_id, head);
    assert!(snapshot.package_count >= 3);
    assert!(findings
        .iter()
        .all(|f| f.first_seen_snapshot == snapshot.id || f.repository_id != billing.id));
    let empty = store.repository_by_slug(instance.id, "DATA", "empty").unwrap().unwrap();
    assert_eq!(store.snapshot_count(empty.id).unwrap(), 0);
    assert_eq!(billing.default_branch.as_deref(), Some("refs/heads/main"));

    let mut progress = 0;
    let mut introduced = 0;
    while let Ok(event) = events.try_recv() {
        match event {
            Event::ScanProgress { total, .. } => {
                assert_eq!(total, 4);
                progress += 1;
            }
            Event::FindingIntroduced { .. } => introduced += 1,
            _ => {}
        }
    }
    assert_eq!((progress, introduced), (4, 4));

    // A push fixes smallvec on billing; a new scan attributes the fix to that commit and
    // stores nothing new for the unchanged repositories.
    s.fake
        .push(
            "SHOP",
            "billing",
            Push::new().commit(
                CommitSpec::on("main")
                    .message("bump smallvec")
                    .file("Cargo.lock", FIXED_CARGO_LOCK),
            ),
        )
        .await
        .unwrap();
    let again =
        s.app.historical_scan(None, HistoricalScanOptions::new(advisories())).await.unwrap();
    assert!(!again.resumed);
    assert_eq!(
        (again.findings_introduced, again.findings_fixed, again.unchanged),
        (0, 1, 2),
        "{again:?}"
    );
    let fixed = store
        .findings(&FindingFilter { repository: Some(billing.id), ..Default::default() })
        .unwrap()
        .into_iter()
        .find(|f| f.fixed_at_ms.is_some())
        .unwrap();
    assert_eq!(fixed.package, "smallvec");
    assert_eq!(fixed.fixed_in_commit, s.fake.branch_head("SHOP", "billing", "main"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_scan_resumes_without_duplicates() {
    let (fake, token) = setup(Permission::Admin).await;
    fake.add_project("BULK", "Bulk").unwrap();
    fake.add_repos(
        (0..12).map(|i| {
            RepoSpec::new("BULK", &format!("r{i:02}")).file("Cargo.lock", vulnerable_lock())
        }),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(open_app(dir.path()));
    add(&app, &fake, &token);

    // Cancel after three repositories (the desktop app quitting would leave `running` rows
    // behind; cancellation leaves the rest pending: both resume the same way).
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut options = HistoricalScanOptions::new(advisories());
    options.concurrency = 1;
    options.cancel = Some(cancel.clone());
    let mut events = app.events().subscribe();
    let watcher = tokio::spawn(async move {
        let mut seen = 0;
        while let Ok(event) = events.recv().await {
            if let Event::ScanProgress { .. } = event {
                seen += 1;
                if seen == 3 {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            if let Event::ScanFinished { .. } = event {
                break;
            }
        }
    });
    let first = app.historical_scan(None, options).await.unwrap();
    watcher.await.unwrap();
    assert_eq!(first.halted.as_deref(), Some("cancelled"));
    assert!(first.done >= 3 && first.done < 12, "{first:?}");
    assert_eq!(first.pending, 12 - first.done);

    // Simulate a crash mid-repository too: one pending row left `running`.
    let instance = app.resolve_instance(None).unwrap();
    let pending = app.store().scan_items_pending(instance.id).unwrap();
    app.store().scan_item_set(pending[0], ScanItemState::Running, None, 0).unwrap();
    drop(app);

    let app = open_app(dir.path());
    fake.clear_requests();
    let second = app.historical_scan(None, HistoricalScanOptions::new(advisories())).await.unwrap();
    assert!(second.resumed);
    assert_eq!((second.done, second.failed, second.pending), (12, 0, 0));
    assert_eq!(second.scanned_now, 12 - first.done);
    // Only the remaining repositories were asked for (one default-branch call each).
    let default_branch_calls =
        fake.requests().iter().filter(|r| r.path.ends_with("/default-branch")).count();
    assert_eq!(default_branch_calls as u64, 12 - first.done);
    for repo in app.repositories(None, None).unwrap() {
        assert_eq!(app.store().snapshot_count(repo.id).unwrap(), 1, "{}", repo.slug);
    }
    let findings = app.store().findings(&FindingFilter::default()).unwrap();
    assert_eq!(findings.len(), 24, "two per repository, none duplicated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_puts_the_instance_in_the_auth_error_state() {
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    let token = fake
        .add_expiring_personal_token("admin", Permission::Admin, std::time::Duration::from_secs(60))
        .unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "web").file("Cargo.lock", vulnerable_lock())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(dir.path());
    add(&app, &fake, &token);
    assert_eq!(app.test_instance(None).await.unwrap().state, InstanceState::Ok);

    fake.set_clock_skew(3_600);
    let mut events = app.events().subscribe();
    let err =
        app.historical_scan(None, HistoricalScanOptions::new(advisories())).await.unwrap_err();
    assert!(err.to_string().contains("HTTP 401"), "{err}");
    let instance = app.resolve_instance(None).unwrap();
    assert_eq!(instance.state, InstanceState::AuthError);
    assert!(instance.last_error.as_deref().is_some_and(|e| e.contains("401")), "{instance:?}");
    let mut auth_events = 0;
    while let Ok(event) = events.try_recv() {
        if let Event::AuthProblem { instance, .. } = event {
            assert_eq!(instance, "corp");
            auth_events += 1;
        }
    }
    assert_eq!(auth_events, 1);
    let report = app.test_instance(None).await.unwrap();
    assert_eq!(report.state, InstanceState::AuthError);
    assert!(report.error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_pages_through_thousands_of_repositories() {
    let (fake, token) = setup(Permission::Admin).await;
    fake.add_project("BIG", "Big").unwrap();
    fake.add_repos((0..2_600).map(|i| RepoSpec::new("BIG", &format!("repo-{i:04}")))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(dir.path());
    add(&app, &fake, &token);
    let inventory = app.refresh_inventory(None).await.unwrap();
    assert_eq!((inventory.repositories, inventory.in_perimeter), (2_600, 2_600));
    let repos = app.repositories(None, Some("BIG")).unwrap();
    assert_eq!(repos.first().map(|r| r.slug.as_str()), Some("repo-0000"));
    assert_eq!(repos.last().map(|r| r.slug.as_str()), Some("repo-2599"));
    let pages = fake.requests().iter().filter(|r| r.path.ends_with("/rest/api/1.0/repos")).count();
    assert!(pages >= 26, "paged with limit 100: {pages} pages");
}
