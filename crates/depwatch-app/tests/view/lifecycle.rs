//! The alert lifecycle and the numbers the screens derive from it.

use crate::scenario::{seeded, DAY, NOW};
use depwatch_app::view::{CloseReason, FindingFilter, ViewError};

#[test]
fn an_ignore_reopens_when_its_date_passes_and_the_trend_follows_the_history() {
    let s = seeded();
    let main = "refs/heads/main";
    let before = s.finding(s.billing, main, "RUSTSEC-2019-0009");
    assert_eq!(before.state.as_str(), "ignored", "nothing has read the findings yet");
    // Seeded ignored until 2026-11-20; reading at NOW (the 21st) reopens it as of the 20th.
    s.app.findings_view(&FindingFilter::default(), NOW).unwrap();
    let smallvec = s.finding(s.billing, main, "RUSTSEC-2019-0009");
    assert_eq!(smallvec.state.as_str(), "open");
    let shown = s.app.finding_view(smallvec.id.0).unwrap();
    assert_eq!((shown.state, shown.ignored_until.as_deref()), ("open", None));
    assert_eq!(shown.state_changed_at.as_deref(), Some("2026-11-20T00:00:00Z"));
    assert_eq!(shown.introduced_by_push_id, Some(smallvec.first_seen_snapshot.0));
    assert_eq!(shown.dependency_path, ["billing-service@0.3.1", "smallvec@0.6.9"]);

    let dashboard = s.app.dashboard_view::<()>(NOW, Vec::new()).unwrap();
    let critical = |date: &str| dashboard.trend.iter().find(|p| p.date == date).unwrap().critical;
    // smallvec 0.6.9 has three critical advisories (RUSTSEC-2019-0009, -2019-0012, -2021-0003).
    // storefront: scanned with it 2026-10-22, fixed by a push 2026-11-19.
    // billing main: pushed 2026-11-01; -2019-0009 ignored 2026-11-09 until 2026-11-20.
    // billing release/1: polled 2026-11-11; its -2019-0009 ignored from 2026-11-16.
    let expected = [
        ("2026-10-21", 0),
        ("2026-10-22", 3),
        ("2026-10-31", 3),
        ("2026-11-01", 6),
        ("2026-11-08", 6),
        ("2026-11-09", 5),
        ("2026-11-11", 8),
        ("2026-11-16", 7),
        ("2026-11-19", 4),
        ("2026-11-20", 5),
        ("2026-11-21", 5),
    ];
    for (date, n) in expected {
        assert_eq!(critical(date), n, "{date}");
    }
    assert_eq!(dashboard.trend.last().unwrap().date, "2026-11-21");
    assert_eq!(dashboard.counts.critical, critical("2026-11-21"));
}

#[test]
fn state_changes_check_their_preconditions() {
    let s = seeded();
    let time = s.finding(s.billing, "refs/heads/main", "RUSTSEC-2020-0071").id.0;
    // Acknowledged in the seed: acknowledging again is refused, reopening works.
    let err = s.app.acknowledge_finding(time, NOW).unwrap_err();
    assert!(matches!(err, ViewError::InvalidState(_)), "{err}");
    let reopened = s.app.reopen_finding(time, NOW).unwrap();
    assert_eq!((reopened.state, reopened.state_reason.as_deref()), ("open", None));
    let closed = s.app.close_finding(time, CloseReason::Mitigated, Some("  "), NOW).unwrap();
    assert_eq!((closed.state, closed.state_reason.as_deref()), ("closed", Some("mitigated")));

    for (until, why) in [("2026-11-21", "today"), ("2026-13-01", "no month 13"), ("soon", "text")] {
        let err = s.app.ignore_finding(time, "later", until, NOW).unwrap_err();
        assert!(matches!(err, ViewError::InvalidInput(_)), "{why}: {err}");
    }
    let err = s.app.ignore_finding(time, "  ", "2027-01-01", NOW).unwrap_err();
    assert!(matches!(err, ViewError::InvalidInput(_)), "{err}");
    let ignored = s.app.ignore_finding(time, "waiting for upstream", "2027-01-01", NOW).unwrap();
    assert_eq!(ignored.ignored_until.as_deref(), Some("2027-01-01"));

    // storefront's findings were fixed by a push: their state records the fix.
    let fixed = s.finding(s.storefront, "refs/heads/main", "RUSTSEC-2019-0009");
    assert_eq!(fixed.state.as_str(), "closed");
    let err = s.app.reopen_finding(fixed.id.0, NOW).unwrap_err();
    assert!(matches!(err, ViewError::InvalidState(_)), "{err}");
    assert!(matches!(s.app.reopen_finding(999_999, NOW), Err(ViewError::NotFound(_))));

    // The sweep reopens the ignore once its day starts, and only then.
    assert!(s.app.reopen_expired_ignores(NOW + 10 * DAY).unwrap().is_empty());
    let reopened = s.app.reopen_expired_ignores(1_798_761_600_000).unwrap(); // 2027-01-01
    assert_eq!(reopened.len(), 2, "billing main and release/1 (until 2026-12-31)");
}

#[test]
fn filters_and_lookups() {
    let s = seeded();
    let all = s.app.findings_view(&FindingFilter::default(), NOW).unwrap();
    assert!(all.windows(2).all(|w| {
        let rank = |sev: &str| {
            ["unknown", "low", "medium", "high", "critical"].iter().position(|x| *x == sev)
        };
        rank(w[0].severity) >= rank(w[1].severity)
    }));
    let by_alias = FindingFilter {
        advisory_id: Some("GHSA-mm7v-vpv8-xfc3".into()),
        ..FindingFilter::default()
    };
    let hits = s.app.findings_view(&by_alias, NOW).unwrap();
    assert_eq!(hits.len(), 3, "billing main, release/1, storefront (fixed)");
    assert!(hits.iter().all(|f| f.advisory_id == "RUSTSEC-2019-0009"));
    let open = FindingFilter {
        states: vec!["open".into()],
        kinds: vec!["vulnerability".into()],
        query: Some("BILLING".into()),
        ..FindingFilter::default()
    };
    assert!(s
        .app
        .findings_view(&open, NOW)
        .unwrap()
        .iter()
        .all(|f| f.state == "open" && f.slug == "billing"));
    let bad = FindingFilter { severities: vec!["severe".into()], ..FindingFilter::default() };
    assert!(matches!(s.app.findings_view(&bad, NOW), Err(ViewError::InvalidInput(_))));

    assert!(matches!(s.app.advisory_view("CVE-1999-0000", NOW), Err(ViewError::NotFound(_))));
    assert!(matches!(s.app.repository_view(424_242, NOW), Err(ViewError::NotFound(_))));
    assert!(matches!(
        s.app.dependencies_view(s.billing.0, "feature/x", NOW),
        Err(ViewError::NotFound(_))
    ));
    let pushes = s.app.pushes(Some(s.storefront.0), 1, NOW).unwrap();
    assert_eq!(pushes.len(), 1);
    assert_eq!((pushes[0].via, pushes[0].author.as_deref()), ("webhook", Some("Bob Builder")));
    assert!(pushes[0].introduced.is_empty() && pushes[0].fixed.len() >= 2);
}

#[test]
fn an_advisory_dropped_from_the_database_is_described_by_its_findings() {
    let s = seeded();
    let store = s.app.store();
    // The source's next full export no longer holds any record: they leave the database.
    let source = store.advisory_sources().unwrap().remove(0);
    store.import_advisories(source.id, &[], depwatch_store::ImportMode::FullSnapshot).unwrap();
    assert!(store.advisory("RUSTSEC-2019-0009").unwrap().is_none());
    let detail = s.app.advisory_view("CVE-2019-15551", NOW).unwrap();
    assert_eq!(detail.id, "RUSTSEC-2019-0009");
    assert_eq!((detail.severity, detail.kind), ("critical", "vulnerability"));
    assert_eq!(detail.summary, "Double-free and use-after-free in SmallVec::grow()");
    assert_eq!(detail.affected[0].fixed_versions, ["0.6.10"]);
    assert_eq!(detail.affected_repositories.len(), 2, "billing main and release/1");
    assert!(matches!(s.app.advisory_view("RUSTSEC-1999-0001", NOW), Err(ViewError::NotFound(_))));
}
