//! A repository deleted on the server leaves the perimeter at the next inventory refresh, and
//! its open findings are closed instead of staying open forever.

use crate::{advisories, seeded};
use depwatch_app::HistoricalScanOptions;
use depwatch_store::{FindingFilter, FindingState, REPOSITORY_REMOVED_REASON};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_repository_stops_being_monitored_and_its_findings_close() {
    let s = seeded().await;
    s.app.historical_scan(None, HistoricalScanOptions::new(advisories())).await.unwrap();
    let instance = s.app.resolve_instance(None).unwrap();
    let store = s.app.store();
    let billing = store.repository_by_slug(instance.id, "SHOP", "billing").unwrap().unwrap();
    let of_billing = |filter_present: bool| {
        store
            .findings(&FindingFilter {
                repository: Some(billing.id),
                present_only: filter_present,
                ..Default::default()
            })
            .unwrap()
    };
    assert_eq!(of_billing(false).len(), 2);
    assert!(of_billing(false).iter().all(|f| f.state == FindingState::Open));

    s.fake.delete_repo("SHOP", "billing").unwrap();
    let summary = s.app.refresh_inventory(None).await.unwrap();
    assert_eq!(summary.removed, 1, "{summary:?}");
    let perimeter: Vec<String> = s
        .app
        .perimeter_repositories(None)
        .unwrap()
        .iter()
        .map(|r| format!("{}/{}", r.project_key, r.slug))
        .collect();
    assert!(!perimeter.contains(&"SHOP/billing".to_owned()), "{perimeter:?}");
    assert_eq!(perimeter.len(), 3);
    // Kept with its history, marked, and its findings closed with the reason.
    let marked = store.repository(billing.id).unwrap().unwrap();
    assert!(marked.removed_at_ms.is_some());
    let findings = of_billing(false);
    assert_eq!(findings.len(), 2);
    for f in &findings {
        assert_eq!(f.state, FindingState::Closed, "{f:?}");
        assert_eq!(f.state_reason.as_deref(), Some(REPOSITORY_REMOVED_REASON));
    }
    // Other repositories' findings are untouched.
    let open_elsewhere = store
        .findings(&FindingFilter { instance: Some(instance.id), ..Default::default() })
        .unwrap()
        .into_iter()
        .filter(|f| f.state == FindingState::Open)
        .count();
    assert_eq!(open_elsewhere, 2);

    // A second refresh changes nothing more; the next scan skips the removed repository.
    assert_eq!(s.app.refresh_inventory(None).await.unwrap().removed, 0);
    let report = s
        .app
        .historical_scan(
            None,
            HistoricalScanOptions { restart: true, ..HistoricalScanOptions::new(advisories()) },
        )
        .await
        .unwrap();
    assert_eq!(report.total, 3, "{report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
}
