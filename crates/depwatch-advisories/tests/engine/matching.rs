//! Matching semantics on small records: real ones vendored from the shared exports under
//! `tests/fixtures/osv/matching/`, and synthetic ones written inline for each rule.

use depwatch_advisories::{Advisory, AdvisoryIndex, MatchReport};
use depwatch_core::{
    Dependency, DiagnosticLevel, Ecosystem, Finding, FindingKind, FixSuggestion, MatchedRange,
    RangeEvent, SeverityRating, SeveritySource, Source,
};
use std::path::Path;

fn vendored(id: &str) -> Advisory {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/osv/matching")
        .join(format!("{id}.json"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Advisory::from_json(&bytes).unwrap()
}

fn parse(json: &str) -> Advisory {
    Advisory::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// A record with one affected entry holding one range of `kind` with `events` (JSON).
fn record(id: &str, eco: &str, name: &str, kind: &str, events: &str) -> Advisory {
    parse(&format!(
        r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[
            {{"package":{{"ecosystem":"{eco}","name":"{name}"}},
              "ranges":[{{"type":"{kind}","events":{events}}}]}}]}}"#
    ))
}

fn index(records: Vec<Advisory>) -> AdvisoryIndex {
    AdvisoryIndex::from_records(records)
}

fn run(index: &AdvisoryIndex, eco: Ecosystem, name: &str, version: &str) -> MatchReport {
    index.match_package(eco, name, version, "lock")
}

/// Asserts which findings (by primary id) `name@version` gets, and that nothing was Unknown.
#[track_caller]
fn check(index: &AdvisoryIndex, eco: Ecosystem, name: &str, version: &str, ids: &[&str]) {
    let report = run(index, eco, name, version);
    let got: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(got, ids, "{eco} {name} {version}: {report:#?}");
    assert!(report.diagnostics.is_empty(), "{eco} {name} {version}: {:#?}", report.diagnostics);
}

#[track_caller]
fn only_finding(index: &AdvisoryIndex, eco: Ecosystem, name: &str, version: &str) -> Finding {
    let report = run(index, eco, name, version);
    assert_eq!(report.findings.len(), 1, "{report:#?}");
    report.findings.into_iter().next().unwrap()
}

#[track_caller]
fn check_unknown(index: &AdvisoryIndex, eco: Ecosystem, name: &str, version: &str, needle: &str) {
    let report = run(index, eco, name, version);
    assert!(report.findings.is_empty(), "{report:#?}");
    assert_eq!(report.diagnostics.len(), 1, "{report:#?}");
    let d = &report.diagnostics[0];
    assert_eq!(d.level, DiagnosticLevel::Warning);
    assert!(d.message.contains(needle), "{:?} lacks {needle:?}", d.message);
}

#[test]
fn introduced_and_fixed_bound_a_half_open_range() {
    let idx = index(vec![record(
        "X-1",
        "crates.io",
        "a",
        "SEMVER",
        r#"[{"introduced":"1.0.0"},{"fixed":"1.2.0"}]"#,
    )]);
    check(&idx, Ecosystem::CratesIo, "a", "0.9.9", &[]);
    check(&idx, Ecosystem::CratesIo, "a", "1.0.0", &["X-1"]);
    check(&idx, Ecosystem::CratesIo, "a", "1.1.9", &["X-1"]);
    check(&idx, Ecosystem::CratesIo, "a", "1.2.0-rc.1", &["X-1"]);
    check(&idx, Ecosystem::CratesIo, "a", "1.2.0", &[]);
    check(&idx, Ecosystem::CratesIo, "a", "2.0.0", &[]);
}

#[test]
fn introduced_zero_is_below_everything_and_no_fix_means_still_affected() {
    let idx = index(vec![record("X-2", "npm", "b", "SEMVER", r#"[{"introduced":"0"}]"#)]);
    check(&idx, Ecosystem::Npm, "b", "0.0.0-alpha", &["X-2"]);
    check(&idx, Ecosystem::Npm, "b", "99.0.0", &["X-2"]);
    assert_eq!(only_finding(&idx, Ecosystem::Npm, "b", "1.0.0").fix, FixSuggestion::NoFix);
}

#[test]
fn last_affected_is_inclusive_and_suggests_anything_above() {
    let idx = index(vec![vendored("PYSEC-2022-42969")]);
    // `py` lists 65 versions too; 1.11.0 is the last affected.
    let f = only_finding(&idx, Ecosystem::PyPI, "py", "1.11.0");
    assert_eq!(f.fix, FixSuggestion::AfterLastAffected { version: "1.11.0".into() });
    let idx = index(vec![record(
        "X-3",
        "PyPI",
        "c",
        "ECOSYSTEM",
        r#"[{"introduced":"0"},{"last_affected":"2.0"}]"#,
    )]);
    check(&idx, Ecosystem::PyPI, "c", "2.0", &["X-3"]);
    check(&idx, Ecosystem::PyPI, "c", "2.0.0", &["X-3"]);
    check(&idx, Ecosystem::PyPI, "c", "2.0.post1", &[]);
    check(&idx, Ecosystem::PyPI, "c", "2.0.1", &[]);
}

#[test]
fn limit_bounds_the_range_from_above() {
    let idx = index(vec![record(
        "X-4",
        "crates.io",
        "d",
        "SEMVER",
        r#"[{"introduced":"1.0.0"},{"limit":"1.5.0"}]"#,
    )]);
    check(&idx, Ecosystem::CratesIo, "d", "1.4.9", &["X-4"]);
    check(&idx, Ecosystem::CratesIo, "d", "1.5.0", &[]);
    let star = index(vec![record(
        "X-5",
        "crates.io",
        "d",
        "SEMVER",
        r#"[{"introduced":"1.0.0"},{"limit":"*"}]"#,
    )]);
    check(&star, Ecosystem::CratesIo, "d", "9.9.9", &["X-5"]);
}

#[test]
fn unsorted_events_are_sorted_by_the_ecosystem_order() {
    // Reversed pairs; string order would put "10.0" before "9.0".
    let idx = index(vec![record(
        "X-6",
        "PyPI",
        "e",
        "ECOSYSTEM",
        r#"[{"fixed":"10.0"},{"introduced":"9.0"},{"fixed":"2.0"},{"introduced":"1.0"}]"#,
    )]);
    check(&idx, Ecosystem::PyPI, "e", "1.5", &["X-6"]);
    check(&idx, Ecosystem::PyPI, "e", "5.0", &[]);
    check(&idx, Ecosystem::PyPI, "e", "9.5", &["X-6"]);
    check(&idx, Ecosystem::PyPI, "e", "10.0", &[]);
}

#[test]
fn rustsec_minus_zero_bounds_and_eight_pairs() {
    let idx = index(vec![vendored("RUSTSEC-2020-0071")]);
    for v in ["0.1.43", "0.2.1-alpha", "0.2.7", "0.2.22"] {
        check(&idx, Ecosystem::CratesIo, "time", v, &["RUSTSEC-2020-0071"]);
    }
    for v in ["0.2.0", "0.2.1", "0.2.6", "0.2.23", "0.3.0"] {
        check(&idx, Ecosystem::CratesIo, "time", v, &[]);
    }
    let f = only_finding(&idx, Ecosystem::CratesIo, "time", "0.1.43");
    assert_eq!(f.fix, FixSuggestion::FixedIn { version: "0.2.0".into() });
    assert_eq!(f.aliases, ["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"]);
    assert_eq!(f.severity.source, SeveritySource::CvssV3);
    assert_eq!(f.severity.score, Some(6.2));
    assert_eq!(f.severity.rating, SeverityRating::Medium);
    let Some(MatchedRange::Semver { advisory, events }) = f.matched.first() else {
        panic!("{:?}", f.matched)
    };
    assert_eq!(advisory, "RUSTSEC-2020-0071");
    assert_eq!(events.first(), Some(&RangeEvent::Introduced("0.0.0-0".into())));
    assert_eq!(events.len(), 16);
    // 0.2.7 is fixed only in 0.2.23: the lowest fix *above* the installed version.
    let f = only_finding(&idx, Ecosystem::CratesIo, "time", "0.2.7");
    assert_eq!(f.fix, FixSuggestion::FixedIn { version: "0.2.23".into() });
}

#[test]
fn withdrawn_records_never_match() {
    let idx = index(vec![vendored("RUSTSEC-2019-0031"), vendored("GO-2022-0617")]);
    assert_eq!(idx.stats().withdrawn, 2);
    assert!(idx.is_empty());
    check(&idx, Ecosystem::CratesIo, "spin", "0.0.0-0", &[]);
    check(&idx, Ecosystem::Go, "k8s.io/kubernetes", "v1.0.0", &[]);
}

#[test]
fn go_versions_match_with_or_without_v_and_incompatible_is_ignored() {
    let idx = index(vec![vendored("GO-2021-0072")]);
    let name = "github.com/docker/distribution";
    check(&idx, Ecosystem::Go, name, "v2.6.2+incompatible", &["GO-2021-0072"]);
    check(&idx, Ecosystem::Go, name, "2.6.2", &["GO-2021-0072"]);
    check(&idx, Ecosystem::Go, name, "v0.0.0-20191216044856-a8371794149d", &["GO-2021-0072"]);
    check(&idx, Ecosystem::Go, name, "v2.7.0-rc.0+incompatible", &[]);
    check(&idx, Ecosystem::Go, name, "v2.7.1+incompatible", &[]);
    let f = only_finding(&idx, Ecosystem::Go, name, "v2.6.2+incompatible");
    assert_eq!(f.fix, FixSuggestion::FixedIn { version: "2.7.0-rc.0+incompatible".into() });
    assert_eq!(f.severity.rating, SeverityRating::Unknown);
}

#[test]
fn git_first_pypa_entries_still_match_through_their_ecosystem_range() {
    let idx = index(vec![vendored("PYSEC-2019-227")]);
    check(&idx, Ecosystem::PyPI, "tensorflow-cpu", "1.14.0", &["PYSEC-2019-227"]);
    check(&idx, Ecosystem::PyPI, "Tensorflow_CPU", "1.14.0", &["PYSEC-2019-227"]);
    check(&idx, Ecosystem::PyPI, "tensorflow-cpu", "1.15.0", &[]);
    check(&idx, Ecosystem::PyPI, "tensorflow-cpu", "0.12.0", &[]);
}

#[test]
fn versions_list_matches_exactly_with_ecosystem_equality() {
    let idx = index(vec![parse(
        r#"{"id":"PYSEC-X","affected":[{"package":{"ecosystem":"PyPI","name":"Foo.Bar"},
            "ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"},{"fixed":"abc"}]}],
            "versions":["1.0","1.1rc1","2004d"]}]}"#,
    )]);
    check(&idx, Ecosystem::PyPI, "foo-bar", "1.0.0", &["PYSEC-X"]);
    check(&idx, Ecosystem::PyPI, "foo_bar", "1.1-rc.1", &["PYSEC-X"]);
    check(&idx, Ecosystem::PyPI, "foo-bar", "2004d", &["PYSEC-X"]);
    check(&idx, Ecosystem::PyPI, "foo-bar", "1.1", &[]);
    let f = only_finding(&idx, Ecosystem::PyPI, "foo-bar", "1.0");
    assert_eq!(f.matched, [MatchedRange::Versions { advisory: "PYSEC-X".into() }]);
    assert_eq!(f.fix, FixSuggestion::NoFix);
}

#[test]
fn ecosystem_is_matched_before_the_name() {
    let idx = index(vec![record("PY-1", "PyPI", "foo", "ECOSYSTEM", r#"[{"introduced":"0"}]"#)]);
    check(&idx, Ecosystem::Npm, "foo", "1.0.0", &[]);
    check(&idx, Ecosystem::PyPI, "foo", "1.0.0", &["PY-1"]);
}

#[test]
fn suffixed_and_unknown_ecosystems_are_ignored() {
    let idx = index(vec![
        record(
            "M-1",
            "Maven:https://maven.google.com",
            "g:a",
            "ECOSYSTEM",
            r#"[{"introduced":"0"}]"#,
        ),
        record("D-1", "Debian:12", "openssl", "ECOSYSTEM", r#"[{"introduced":"0"}]"#),
    ]);
    assert_eq!(idx.stats().entries_ignored, 2);
    check(&idx, Ecosystem::Maven, "g:a", "1.0", &[]);
}

#[test]
fn several_affected_entries_for_one_package_are_ored_into_one_finding() {
    // GHSA emits one entry per range (log4j-core has three).
    let idx = index(vec![parse(
        r#"{"id":"GHSA-jfh8-c2jp-5v3q","aliases":["CVE-2021-44228"],
            "database_specific":{"severity":"CRITICAL"},
            "affected":[
              {"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.13.0"},{"fixed":"2.15.0"}]}]},
              {"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.3.1"}]}]},
              {"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.4"},{"fixed":"2.12.2"}]}]}]}"#,
    )]);
    let name = "org.apache.logging.log4j:log4j-core";
    for (v, fix) in [("2.14.1", "2.15.0"), ("2.0", "2.3.1"), ("2.11.0", "2.12.2")] {
        let f = only_finding(&idx, Ecosystem::Maven, name, v);
        assert_eq!(f.fix, FixSuggestion::FixedIn { version: fix.into() }, "{v}");
        assert_eq!(f.matched.len(), 1);
        assert_eq!(f.severity.source, SeveritySource::Ghsa);
        assert_eq!(f.severity.rating, SeverityRating::Critical);
    }
    check(&idx, Ecosystem::Maven, name, "2.0-beta8", &[]);
    check(&idx, Ecosystem::Maven, name, "2.3.1", &[]);
    check(&idx, Ecosystem::Maven, name, "2.12.2", &[]);
    check(&idx, Ecosystem::Maven, name, "2.15.0", &[]);
}

#[test]
fn aliases_merge_records_into_one_finding_listing_every_id() {
    let ghsa = parse(
        r#"{"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2024-0001"],
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected":[{"package":{"ecosystem":"PyPI","name":"jinja2"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.11.3"}]}]}]}"#,
    );
    // PYSEC names the CVE only: GHSA and PYSEC are linked through it (transitive).
    let pysec = parse(
        r#"{"id":"PYSEC-2024-1","aliases":["CVE-2024-0001"],"summary":"sandbox escape",
            "affected":[{"package":{"ecosystem":"PyPI","name":"Jinja2"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.11.3"}]}]}]}"#,
    );
    let idx = index(vec![ghsa, pysec]);
    let f = only_finding(&idx, Ecosystem::PyPI, "jinja2", "2.10");
    assert_eq!(f.id, "PYSEC-2024-1");
    assert_eq!(f.aliases, ["CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"]);
    assert_eq!(f.matched.len(), 2);
    assert_eq!(f.summary.as_deref(), Some("sandbox escape"));
    // PYSEC has no severity of its own: the highest aliased one is used, marked as such.
    assert_eq!(f.severity.source, SeveritySource::Alias);
    assert_eq!(f.severity.rating, SeverityRating::Critical);
    assert_eq!(f.severity.score, Some(9.8));
}

#[test]
fn unparsable_installed_version_is_unknown_not_a_miss() {
    let idx = index(vec![record(
        "X-7",
        "crates.io",
        "f",
        "SEMVER",
        r#"[{"introduced":"0"},{"fixed":"1.0.0"}]"#,
    )]);
    check_unknown(&idx, Ecosystem::CratesIo, "f", "not-a-version", "X-7");
    // A package without advisories needs no version at all.
    check(&idx, Ecosystem::CratesIo, "unrelated", "not-a-version", &[]);
}

#[test]
fn unparsable_installed_version_against_a_versions_list_is_unknown() {
    let idx = index(vec![parse(
        r#"{"id":"X-14","affected":[{"package":{"ecosystem":"npm","name":"m"},
            "versions":["1.0.0","1.0.1"]}]}"#,
    )]);
    check(&idx, Ecosystem::Npm, "m", "1.0.1", &["X-14"]);
    check(&idx, Ecosystem::Npm, "m", "1.0.2", &[]);
    check_unknown(&idx, Ecosystem::Npm, "m", "1.0.x", "X-14");
}

#[test]
fn unparsable_event_version_is_unknown_and_reported_at_index_time() {
    let idx =
        index(vec![record("X-8", "npm", "g", "SEMVER", r#"[{"introduced":"0"},{"fixed":"1.x"}]"#)]);
    assert_eq!(idx.stats().unusable_ranges, 1);
    assert!(idx.diagnostics().iter().any(|d| d.source.contains("X-8")));
    check_unknown(&idx, Ecosystem::Npm, "g", "0.5.0", "1.x");
}

#[test]
fn legacy_pypi_versions_are_unknown_in_ranges() {
    let idx = index(vec![record(
        "X-9",
        "PyPI",
        "h",
        "ECOSYSTEM",
        r#"[{"introduced":"0"},{"fixed":"2.0"}]"#,
    )]);
    check_unknown(&idx, Ecosystem::PyPI, "h", "1.0-foo-bar", "legacy");
}

#[test]
fn unknown_range_types_and_invalid_ranges_are_skipped_not_fatal() {
    let idx = index(vec![parse(
        r#"{"id":"X-10","affected":[{"package":{"ecosystem":"crates.io","name":"i"},"ranges":[
            {"type":"FUTURE_TYPE","events":[{"introduced":"0"}]},
            {"type":"SEMVER","events":[{"fixed":"1.0.0"}]},
            {"type":"SEMVER","events":[{"introduced":"2.0.0","fixed":"3.0.0"}]},
            {"type":"SEMVER","events":[{"introduced":"5.0.0"},{"fixed":"6.0.0"}]}]}]}"#,
    )]);
    assert_eq!(idx.stats().invalid_ranges, 2);
    check(&idx, Ecosystem::CratesIo, "i", "0.5.0", &[]);
    check(&idx, Ecosystem::CratesIo, "i", "2.5.0", &[]);
    check(&idx, Ecosystem::CratesIo, "i", "5.5.0", &["X-10"]);
}

#[test]
fn informational_rustsec_advisories_are_warnings_with_their_kind() {
    let idx = index(vec![vendored("RUSTSEC-2016-0004")]);
    let f = only_finding(&idx, Ecosystem::CratesIo, "libusb", "0.3.0");
    assert_eq!(f.kind, FindingKind::Unmaintained);
    assert!(f.kind.is_informational());
    check(&idx, Ecosystem::CratesIo, "libusb", "0.3.1", &[]);
    // The `0.3.1-0` bound is shown as the release it stands for.
    assert_eq!(f.fix, FixSuggestion::FixedIn { version: "0.3.1".into() });
}

#[test]
fn semver_ranges_in_other_ecosystems_use_semver_rules() {
    let idx = index(vec![record(
        "X-11",
        "PyPI",
        "j",
        "SEMVER",
        r#"[{"introduced":"1.0.0"},{"fixed":"1.2.0"}]"#,
    )]);
    check(&idx, Ecosystem::PyPI, "j", "1.1.0", &["X-11"]);
    check_unknown(&idx, Ecosystem::PyPI, "j", "1.1", "not");
}

#[test]
fn only_pinned_registry_dependencies_are_matched_and_the_rest_is_counted() {
    let idx = index(vec![record("X-12", "npm", "k", "SEMVER", r#"[{"introduced":"0"}]"#)]);
    let pinned = Dependency::new(Ecosystem::Npm, "k", "1.0.0", "package-lock.json");
    let mut range = pinned.clone();
    range.pinned = false;
    range.version = "^1.0.0".into();
    let mut git = pinned.clone();
    git.source = Source::Git;
    let report = idx.match_dependencies(&[pinned.clone(), pinned, range, git]);
    assert_eq!(report.findings.len(), 1, "duplicates collapse: {report:#?}");
    let levels: Vec<(DiagnosticLevel, &str)> =
        report.diagnostics.iter().map(|d| (d.level, d.message.as_str())).collect();
    assert_eq!(
        levels,
        [
            (
                DiagnosticLevel::Warning,
                "1 packages have no pinned version and were not checked against advisories"
            ),
            (
                DiagnosticLevel::Info,
                "1 packages from git, path, url or workspace sources were not checked against advisories"
            ),
        ]
    );
}

#[test]
fn duplicate_records_keep_the_newest_and_results_do_not_depend_on_input_order() {
    let old = parse(
        r#"{"id":"X-13","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"l"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#,
    );
    let new = parse(
        r#"{"id":"X-13","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"l"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}"#,
    );
    for records in [vec![old.clone(), new.clone()], vec![new, old]] {
        let idx = index(records);
        assert_eq!(idx.len(), 1);
        check(&idx, Ecosystem::Npm, "l", "1.5.0", &["X-13"]);
    }
}

#[test]
fn aliased_records_of_different_kinds_stay_separate_findings() {
    // RUSTSEC-2019-0036 (unsound) and RUSTSEC-2020-0036 (unmaintained) share CVE-2019-25010.
    let unsound = parse(
        r#"{"id":"RUSTSEC-2019-0036","aliases":["CVE-2019-25010"],"affected":[{"package":{"ecosystem":"crates.io","name":"failure"},
            "database_specific":{"informational":"unsound"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"}]}]}]}"#,
    );
    let unmaintained = parse(
        r#"{"id":"RUSTSEC-2020-0036","aliases":["CVE-2019-25010"],"affected":[{"package":{"ecosystem":"crates.io","name":"failure"},
            "database_specific":{"informational":"unmaintained"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"}]}]}]}"#,
    );
    let idx = index(vec![unsound, unmaintained]);
    let report = run(&idx, Ecosystem::CratesIo, "failure", "0.1.8");
    let got: Vec<(&str, FindingKind)> =
        report.findings.iter().map(|f| (f.id.as_str(), f.kind)).collect();
    assert_eq!(
        got,
        [
            ("RUSTSEC-2019-0036", FindingKind::Unsound),
            ("RUSTSEC-2020-0036", FindingKind::Unmaintained)
        ]
    );
    assert!(report.findings[1].aliases.contains(&"RUSTSEC-2019-0036".to_owned()));
}

#[test]
fn unscorable_vectors_are_told_once_with_the_records_that_match() {
    // Two packages of one record, each matched; a second record with the same bad vector
    // does not match and says nothing (its vectors are never scored).
    let bad = |id: &str, names: &[&str]| {
        let affected: Vec<String> = names
            .iter()
            .map(|n| {
                format!(
                    r#"{{"package":{{"ecosystem":"npm","name":"{n}"}},
                         "ranges":[{{"type":"SEMVER","events":[{{"introduced":"0"}},{{"fixed":"2.0.0"}}]}}]}}"#
                )
            })
            .collect();
        parse(&format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z",
                 "severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:Q"}}],
                 "affected":[{}]}}"#,
            affected.join(",")
        ))
    };
    let idx = index(vec![bad("X-30", &["m", "n"]), bad("X-31", &["o"])]);
    assert!(idx.diagnostics().is_empty(), "{:#?}", idx.diagnostics());
    let deps = [
        Dependency::new(Ecosystem::Npm, "m", "1.0.0", "package-lock.json"),
        Dependency::new(Ecosystem::Npm, "n", "1.0.0", "package-lock.json"),
        Dependency::new(Ecosystem::Npm, "o", "3.0.0", "package-lock.json"),
    ];
    let report = idx.match_dependencies(&deps);
    assert_eq!(report.findings.len(), 2, "{report:#?}");
    assert!(report.findings.iter().all(|f| f.severity.rating == SeverityRating::Unknown));
    let told: Vec<(&str, &str)> =
        report.diagnostics.iter().map(|d| (d.source.as_str(), d.message.as_str())).collect();
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(told[0].0, "X-30");
    assert!(
        told[0].1.starts_with("severity vector `CVSS:3.1/AV:Q` cannot be scored: "),
        "{told:?}"
    );
}
