//! Re-alerting: an advisory imported after a ref was scanned becomes a finding with origin
//! `advisory` on the ref's latest snapshot (and a `FindingIntroduced` event with that origin);
//! a withdrawn advisory brings nothing; a second pass records nothing twice.

use crate::{connected_app, fake_with_shop, fixture};
use depwatch_app::{Event, FindingOrigin, HistoricalScanOptions};
use depwatch_fakebb::RepoSpec;
use depwatch_store::{FindingFilter, FindingOrigin as StoredOrigin};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_advisory_affects_a_scanned_ref_and_a_withdrawn_one_does_not() {
    let (fake, token) = fake_with_shop().await;
    // time 0.1.43 (RUSTSEC-2020-0071) and smallvec 0.6.9 (RUSTSEC-2019-0009).
    let lock = std::fs::read(fixture("vulnerable.Cargo.lock")).unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "billing").file("Cargo.lock", lock)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let app = connected_app(&fake, &token, &dir.path().join("data"));
    // Baseline against an empty advisory database: nothing found.
    let baseline =
        app.historical_scan(Some("corp"), HistoricalScanOptions::default()).await.unwrap();
    assert_eq!((baseline.done, baseline.findings_introduced), (1, 0), "{baseline:?}");
    let present = || {
        app.store()
            .findings(&FindingFilter { present_only: true, ..FindingFilter::default() })
            .unwrap()
    };
    let mut events = app.events().subscribe();

    // A withdrawn smallvec advisory: no finding.
    let mut withdrawn: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("osv-rustsec/RUSTSEC-2019-0009.json")).unwrap(),
    )
    .unwrap();
    withdrawn["withdrawn"] = "2026-08-01T00:00:00Z".into();
    let withdrawn_path = dir.path().join("withdrawn.json");
    std::fs::write(&withdrawn_path, withdrawn.to_string()).unwrap();
    app.import_advisories(withdrawn_path.to_str().unwrap()).unwrap();
    let report = app.rematch_latest_snapshots().unwrap();
    assert_eq!((report.refs, report.new_findings), (1, 0), "{report:?}");
    assert!(present().is_empty());

    // The time advisory arrives: the package already in use is now affected.
    app.import_advisories(fixture("osv-rustsec/RUSTSEC-2020-0071.json").to_str().unwrap()).unwrap();
    let report = app.rematch_latest_snapshots().unwrap();
    assert_eq!(report.new_findings, 1, "{report:?}");
    let stored = present();
    assert_eq!(stored.len(), 1);
    let f = &stored[0];
    assert_eq!((f.advisory_id.as_str(), f.package.as_str()), ("RUSTSEC-2020-0071", "time"));
    assert_eq!(f.origin, StoredOrigin::Advisory);
    let head = fake.branch_head("SHOP", "billing", "main").unwrap();
    assert_eq!(f.first_seen_commit, head, "attributed to the scanned commit");

    let hits: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .filter_map(|e| match e {
            Event::FindingIntroduced { origin, finding } => Some((origin, finding)),
            _ => None,
        })
        .collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].0, FindingOrigin::Advisory);
    assert_eq!((hits[0].1.repository.as_str(), hits[0].1.finding_id), ("SHOP/billing", f.id.0));

    // Nothing new: nothing recorded or emitted twice.
    assert_eq!(app.rematch_latest_snapshots().unwrap().new_findings, 0);
    assert_eq!(present().len(), 1);
    assert!(events.try_recv().is_err());
}
