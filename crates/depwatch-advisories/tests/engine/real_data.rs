//! The index over the three real exports: what it holds, and what it could not use.

use crate::shared_data::read_zip;
use depwatch_advisories::{load_zip, AdvisoryIndex};
use depwatch_core::{Ecosystem, FixSuggestion};
use std::sync::OnceLock;

/// Built once for every test of this module (debug builds parse ~8000 records in seconds).
pub fn shared_index() -> &'static AdvisoryIndex {
    static INDEX: OnceLock<AdvisoryIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut all = Vec::new();
        for name in ["crates.io.zip", "Go.zip", "PyPI.zip"] {
            let loaded = load_zip(&read_zip(name), name).unwrap();
            all.extend(loaded.advisories);
        }
        AdvisoryIndex::from_records(all)
    })
}

#[test]
fn every_real_range_and_vector_is_usable() {
    let idx = shared_index();
    let stats = idx.stats();
    assert_eq!(stats.withdrawn, 13 + 17 + 10);
    assert_eq!(stats.records, 1206 + 4291 + 2661 - 40);
    assert_eq!(stats.invalid_ranges, 0, "{:#?}", idx.diagnostics());
    assert_eq!(stats.unusable_ranges, 0, "{:#?}", idx.diagnostics());
    assert_eq!(stats.entries_ignored, 0);
    let problems: Vec<_> =
        idx.diagnostics().iter().filter(|d| d.message.contains("severity")).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    insta::assert_json_snapshot!("real_index_stats", stats);
}

#[test]
fn known_vulnerable_pins_match_real_records() {
    let idx = shared_index();
    let r = idx.match_package(Ecosystem::CratesIo, "time", "0.1.45", "Cargo.lock");
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"RUSTSEC-2020-0071"), "{ids:?}");

    let r = idx.match_package(Ecosystem::PyPI, "Jinja2", "2.10", "requirements.txt");
    assert!(!r.findings.is_empty(), "{r:#?}");
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);

    let r = idx.match_package(Ecosystem::Go, "golang.org/x/text", "v0.3.6", "go.mod");
    let f = r.findings.iter().find(|f| f.aliases.iter().any(|a| a == "CVE-2021-38561"));
    let f = f.unwrap_or_else(|| panic!("{r:#?}"));
    assert_eq!(f.fix, FixSuggestion::FixedIn { version: "0.3.7".into() });
}
