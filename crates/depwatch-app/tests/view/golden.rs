//! Golden JSON of every view over the seeded installation (read the `.snap` files: they are
//! what the UI receives).

use crate::scenario::{seeded, NOW};
use depwatch_app::view::FindingFilter;

#[test]
fn dashboard() {
    let s = seeded();
    let sources: Vec<serde_json::Value> = Vec::new();
    let dashboard = s.app.dashboard_view(NOW, sources).unwrap();
    // The trend is checked point by point in `lifecycle`; the golden keeps its ends.
    assert_eq!(dashboard.trend.len(), 90);
    let mut json = serde_json::to_value(&dashboard).unwrap();
    let trend = json["trend"].as_array().cloned().unwrap();
    json["trend"] = serde_json::json!([trend.first(), trend.get(59), trend.get(70), trend.last()]);
    insta::assert_json_snapshot!("dashboard", json);
}

#[test]
fn repositories() {
    let s = seeded();
    insta::assert_json_snapshot!("repositories", s.app.repositories_view(NOW).unwrap());
}

#[test]
fn repository_detail() {
    let s = seeded();
    insta::assert_json_snapshot!(
        "repository_billing",
        s.app.repository_view(s.billing.0, NOW).unwrap()
    );
    insta::assert_json_snapshot!("repository_dots", s.app.repository_view(s.dots.0, NOW).unwrap());
}

#[test]
fn dependencies() {
    let s = seeded();
    insta::assert_json_snapshot!(
        "dependencies_billing_release",
        s.app.dependencies_view(s.billing.0, "release/1", NOW).unwrap()
    );
}

#[test]
fn pushes() {
    let s = seeded();
    insta::assert_json_snapshot!("pushes", s.app.pushes(None, 50, NOW).unwrap());
}

#[test]
fn findings() {
    let s = seeded();
    let filter = FindingFilter { repository_id: Some(s.billing.0), ..FindingFilter::default() };
    insta::assert_json_snapshot!("findings_billing", s.app.findings_view(&filter, NOW).unwrap());
}

#[test]
fn advisory_by_alias() {
    let s = seeded();
    insta::assert_json_snapshot!(
        "advisory_cve_2019_15551",
        s.app.advisory_view("CVE-2019-15551", NOW).unwrap()
    );
}
