//! Loading the real OSV exports and small vendored records.

use crate::shared_data::read_zip;
use depwatch_advisories::load::{load_dir, load_file, load_zip};
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[track_caller]
fn check_zip(name: &str, records: usize, withdrawn: usize) {
    let loaded = load_zip(&read_zip(name), name).unwrap();
    assert_eq!(loaded.skipped, vec![], "{name}: nothing in the real data is unusable");
    assert_eq!(loaded.advisories.len(), records, "{name}");
    assert_eq!(loaded.withdrawn(), withdrawn, "{name}");
}

#[test]
fn crates_io_export_loads_completely() {
    check_zip("crates.io.zip", 1206, 13);
}

#[test]
fn go_export_loads_completely() {
    check_zip("Go.zip", 4291, 17);
}

#[test]
fn pypi_export_loads_completely() {
    check_zip("PyPI.zip", 2661, 10);
}

#[test]
fn a_directory_loads_recursively_and_reports_bad_files() {
    let loaded = load_dir(&fixture("osv/dir")).unwrap();
    let ids: Vec<&str> = loaded.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-dir-0001", "RUSTSEC-2099-0001"]);
    let skipped: Vec<(&str, &str)> =
        loaded.skipped.iter().map(|s| (s.record.as_str(), s.reason.as_str())).collect();
    assert_eq!(
        skipped,
        [
            (
                "broken.json",
                "not a valid OSV record: EOF while parsing an object at line 1 column 15"
            ),
            ("FUTURE-2099-0001", "schema_version 2.0.0 is not 1.x"),
        ]
    );
}

#[test]
fn a_single_file_loads() {
    let loaded = load_file(&fixture("osv/dir/nested/RUSTSEC-2099-0001.json")).unwrap();
    assert_eq!(loaded.advisories.len(), 1);
    assert!(loaded.skipped.is_empty());
}

#[test]
fn a_missing_directory_is_an_error_naming_it() {
    let err = load_dir(&fixture("osv/does-not-exist")).unwrap_err().to_string();
    assert!(err.contains("does-not-exist"), "{err}");
}
