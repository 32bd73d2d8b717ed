//! A seeded installation at a fixed "now" (2026-11-21T12:00:00Z):
//!
//! * `SHOP/billing` (default `main`): scanned clean 40 days ago; a webhook push by Ada Admin
//!   20 days ago brought in the vulnerable `time` and `smallvec`; `release/1` was found by a
//!   poll 10 days ago with the same lockfile.
//! * `SHOP/storefront`: scanned 30 days ago with `smallvec` 0.6.9 (through `hyper`) and the
//!   unmaintained `ring`; a push 2 days ago fixed everything.
//! * `~ALICE/dots`: personal, never scanned.
//!
//! States: billing's `time` finding acknowledged 15 days ago, billing's critical `smallvec`
//! one ignored 12 days ago until yesterday (so it has reopened), one release finding closed
//! 5 days ago, another ignored until the end of the year.

use depwatch_app::analysis::analyze;
use depwatch_app::{App, DataDir};
use depwatch_core::DiagnosticLevel;
use depwatch_lockfiles::discovery::{plan, DiscoveryOptions, FetchedFiles};
use depwatch_lockfiles::ParseOptions;
use depwatch_store::{
    AuthKind, FindingFilter, FindingOrigin, FindingRecord, NewInstance, NewSnapshot, ProjectUpsert,
    RepositoryId, RepositoryUpsert, SnapshotVia,
};
use std::path::{Path, PathBuf};

pub const DAY: i64 = 86_400_000;
/// 2026-11-21T12:00:00Z.
pub const NOW: i64 = 1_795_262_400_000;

pub struct Seeded {
    pub app: App,
    pub billing: RepositoryId,
    pub storefront: RepositoryId,
    pub dots: RepositoryId,
    _dir: tempfile::TempDir,
}

impl Seeded {
    /// The findings of a repository and ref, by advisory id.
    pub fn finding(&self, repo: RepositoryId, ref_id: &str, advisory: &str) -> FindingRecord {
        self.app
            .store()
            .findings(&FindingFilter { repository: Some(repo), ..FindingFilter::default() })
            .unwrap()
            .into_iter()
            .find(|f| f.ref_id == ref_id && f.advisory_id == advisory)
            .unwrap_or_else(|| panic!("no finding {advisory} on {ref_id}"))
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

struct Push<'a> {
    repo: RepositoryId,
    ref_id: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    author: Option<&'a str>,
    via: SnapshotVia,
    at: i64,
    lockfile: &'a str,
}

/// Parses and matches the lockfile as the pipeline does, then stores the snapshot.
fn store_push(app: &App, push: &Push<'_>) {
    let listing = ["Cargo.lock"];
    let planned = plan(&listing, &DiscoveryOptions::default());
    let mut files = FetchedFiles::new(&listing);
    files
        .insert("Cargo.lock", std::fs::read(fixture(&format!("views/{}", push.lockfile))).unwrap());
    let mut analysis = analyze(&files, &planned, &ParseOptions::default());
    let (findings, diagnostics) = app.match_packages(&analysis.packages).unwrap();
    assert!(diagnostics.iter().all(|d| d.level == DiagnosticLevel::Info), "{diagnostics:?}");
    let new_findings: Vec<_> = findings.iter().map(|f| analysis.new_finding(f)).collect();
    // As the pipeline does: matching diagnostics are stored with the snapshot.
    analysis.diagnostics.extend(diagnostics);
    let origin =
        if push.via == SnapshotVia::Scan { FindingOrigin::Scan } else { FindingOrigin::Push };
    app.store()
        .store_snapshot(&NewSnapshot {
            repository: push.repo,
            ref_id: push.ref_id,
            commit_id: push.to,
            from_commit: push.from,
            author: push.author,
            via: push.via,
            origin,
            scanned_at_ms: push.at,
            manifests_json: &analysis.manifests_json(),
            packages: &analysis.snapshot_packages(),
            findings: &new_findings,
        })
        .unwrap();
}

const C: [&str; 6] = [
    "1111111111111111111111111111111111111111",
    "2222222222222222222222222222222222222222",
    "3333333333333333333333333333333333333333",
    "4444444444444444444444444444444444444444",
    "5555555555555555555555555555555555555555",
    "6666666666666666666666666666666666666666",
];

pub fn seeded() -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
    let zip = fixture("osv/crates.io.zip");
    app.import_advisories(zip.to_str().unwrap()).unwrap();
    let store = app.store();
    let instance = store
        .instance_insert(&NewInstance {
            name: "corp",
            base_url: "https://git.example.com/bitbucket",
            auth_kind: AuthKind::Bearer,
            username: None,
            consumer_key: None,
            ca_path: None,
            max_requests_per_second: None,
            created_at_ms: NOW - 60 * DAY,
        })
        .unwrap()
        .id;
    store
        .projects_upsert(
            instance,
            &[
                ProjectUpsert { key: "SHOP", name: Some("Shop Platform"), personal: false },
                ProjectUpsert { key: "~ALICE", name: Some("Alice"), personal: true },
            ],
        )
        .unwrap();
    let repo = |bb_id, project_key, slug, name, personal| RepositoryUpsert {
        bb_id,
        project_key,
        slug,
        name,
        archived: false,
        personal,
    };
    store
        .repositories_upsert(
            instance,
            &[
                repo(1, "SHOP", "billing", Some("Billing"), false),
                repo(2, "SHOP", "storefront", None, false),
                repo(3, "~ALICE", "dots", Some("dotfiles"), true),
            ],
        )
        .unwrap();
    let id = |project, slug| store.repository_by_slug(instance, project, slug).unwrap().unwrap().id;
    let (billing, storefront, dots) =
        (id("SHOP", "billing"), id("SHOP", "storefront"), id("~ALICE", "dots"));
    for r in [billing, storefront] {
        store.repository_set_default_branch(r, Some("refs/heads/main")).unwrap();
    }
    store.repository_set_default_branch(dots, Some("refs/heads/master")).unwrap();

    let main = "refs/heads/main";
    let release = "refs/heads/release/1";
    let pushes = [
        Push {
            repo: billing,
            ref_id: main,
            from: None,
            to: C[0],
            author: Some("Jane Doe"),
            via: SnapshotVia::Scan,
            at: NOW - 40 * DAY,
            lockfile: "clean.Cargo.lock",
        },
        Push {
            repo: storefront,
            ref_id: main,
            from: None,
            to: C[1],
            author: None,
            via: SnapshotVia::Scan,
            at: NOW - 30 * DAY,
            lockfile: "with-ring.Cargo.lock",
        },
        Push {
            repo: billing,
            ref_id: main,
            from: Some(C[0]),
            to: C[2],
            author: Some("Ada Admin"),
            via: SnapshotVia::Webhook,
            at: NOW - 20 * DAY,
            lockfile: "vulnerable.Cargo.lock",
        },
        Push {
            repo: billing,
            ref_id: release,
            from: None,
            to: C[3],
            author: None,
            via: SnapshotVia::Poll,
            at: NOW - 10 * DAY,
            lockfile: "vulnerable.Cargo.lock",
        },
        Push {
            repo: storefront,
            ref_id: main,
            from: Some(C[1]),
            to: C[4],
            author: Some("Bob Builder"),
            via: SnapshotVia::Webhook,
            at: NOW - 2 * DAY,
            lockfile: "clean.Cargo.lock",
        },
    ];
    let seeded = Seeded { app, billing, storefront, dots, _dir: dir };
    let app = &seeded.app;
    for (i, push) in pushes.iter().enumerate() {
        store_push(app, push);
        // State changes happen between the pushes, in time order.
        if i == 2 {
            let time = seeded.finding(billing, main, "RUSTSEC-2020-0071").id.0;
            app.acknowledge_finding(time, NOW - 15 * DAY).unwrap();
            let smallvec = seeded.finding(billing, main, "RUSTSEC-2019-0009").id.0;
            app.ignore_finding(smallvec, "patched in our fork", "2026-11-20", NOW - 12 * DAY)
                .unwrap();
        }
        if i == 3 {
            let time = seeded.finding(billing, release, "RUSTSEC-2020-0071").id.0;
            app.close_finding(
                time,
                depwatch_app::view::CloseReason::DoesNotApply,
                Some("release/1 never formats dates"),
                NOW - 5 * DAY,
            )
            .unwrap();
            let smallvec = seeded.finding(billing, release, "RUSTSEC-2019-0009").id.0;
            app.ignore_finding(smallvec, "release is frozen", "2026-12-31", NOW - 5 * DAY).unwrap();
        }
    }
    seeded
}
