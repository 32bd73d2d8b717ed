//! `depwatch advisories …` and `depwatch scan …` as a user runs them, each test in its own
//! `--data-dir`.

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn depwatch(data: &tempfile::TempDir) -> Command {
    let mut cmd = Command::cargo_bin("depwatch").unwrap();
    cmd.arg("--data-dir").arg(data.path()).env_remove("DEPWATCH_DATA_DIR").env("NO_COLOR", "1");
    cmd
}

fn import(data: &tempfile::TempDir, zips: &[&str]) {
    let mut cmd = depwatch(data);
    cmd.args(["advisories", "import"]);
    for zip in zips {
        cmd.arg(fixtures().join("advisories").join(zip));
    }
    cmd.assert().success();
}

fn scan_json(data: &tempfile::TempDir, dir: &Path, target: &str, extra: &[&str]) -> (Value, i32) {
    let out = depwatch(data)
        .current_dir(dir)
        .args(["scan", target, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, out.status.code().unwrap_or(-1))
}

#[test]
fn import_reports_counts_and_skipped_records() {
    let data = tempfile::tempdir().unwrap();
    depwatch(&data)
        .args(["advisories", "import"])
        .arg(fixtures().join("advisories/PyPI.zip"))
        .assert()
        .success()
        .stdout(contains("skipped PYSEC-0000-BROKEN: not a valid OSV record"));
    // The same zip again writes nothing.
    depwatch(&data)
        .args(["advisories", "import"])
        .arg(fixtures().join("advisories/PyPI.zip"))
        .assert()
        .success()
        .stdout(contains(": 0 new, 0 updated,"));
    let out = depwatch(&data).args(["advisories", "info", "--format", "json"]).output().unwrap();
    assert!(out.status.success());
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pypi = info["ecosystems"].as_array().unwrap().iter().find(|e| e["ecosystem"] == "PyPI");
    assert!(pypi.is_some_and(|e| e["records"].as_u64() > Some(40)), "{info}");
    assert_eq!(info["sources"][0]["kind"], "zip");
    assert_eq!(info["sources"][0]["lastResult"], "imported");
    assert_eq!(info["sources"][0]["skippedCount"], 1);
}

#[test]
fn scanning_the_rustsec_lockfile_finds_its_advisories() {
    let data = tempfile::tempdir().unwrap();
    import(&data, &["crates.io.zip"]);
    let lockfiles = fixtures().join("lockfiles");
    let (json, code) = scan_json(&data, &lockfiles, "rustsec.Cargo.lock", &[]);
    assert_eq!(code, 0, "no --fail-on: findings alone do not fail");
    assert_eq!(
        json["packages"].as_array().map(Vec::len),
        Some(json["summary"]["packages"].as_u64().unwrap() as usize)
    );
    assert!(json["summary"]["packages"].as_u64() > Some(400));
    let first = &json["packages"][0];
    for key in ["ecosystem", "name", "version", "direct", "scope", "source"] {
        assert!(first.get(key).is_some(), "packages[0] lacks {key}: {first}");
    }
    let view = serde_json::json!({
        "target": json["target"],
        "manifests": json["manifests"],
        "summary": json["summary"],
        "findings": json["findings"],
        "diagnostics": json["diagnostics"],
    });
    insta::assert_json_snapshot!("rustsec_cargo_lock", view);
}

#[test]
fn fail_on_sets_the_exit_code() {
    let data = tempfile::tempdir().unwrap();
    import(&data, &["crates.io.zip"]);
    let lockfiles = fixtures().join("lockfiles");
    let (json, _) = scan_json(&data, &lockfiles, "rustsec.Cargo.lock", &[]);
    let findings = json["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    let worst = ["critical", "high", "medium", "low"]
        .into_iter()
        .position(|r| {
            findings.iter().any(|f| f["kind"] == "vulnerability" && f["severity"]["rating"] == r)
        })
        .map(|i| 4 - i);
    let unrated = findings
        .iter()
        .any(|f| f["kind"] == "vulnerability" && f["severity"]["rating"] == "unknown");
    for (threshold, level) in [("low", 1), ("medium", 2), ("high", 3), ("critical", 4)] {
        let expected = if unrated || worst.is_some_and(|w| w >= level) { 1 } else { 0 };
        let (_, code) =
            scan_json(&data, &lockfiles, "rustsec.Cargo.lock", &["--fail-on", threshold]);
        assert_eq!(code, expected, "--fail-on {threshold}");
    }
    let (_, code) = scan_json(&data, &lockfiles, "rustsec.Cargo.lock", &["--fail-on", "any"]);
    assert_eq!(code, 1);

    // A lockfile without vulnerable packages passes every threshold.
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(
        clean.path().join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.228\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let (json, code) = scan_json(&data, clean.path(), "Cargo.lock", &["--fail-on", "any"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["summary"]["findings"], 0);
}

#[test]
fn a_directory_scan_covers_every_format_and_reports_unreadable_files() {
    let data = tempfile::tempdir().unwrap();
    import(&data, &["crates.io.zip", "Go.zip", "PyPI.zip"]);
    let repo = tempfile::tempdir().unwrap();
    let lockfiles = fixtures().join("lockfiles");
    for (from, to) in [
        ("rustsec.Cargo.lock", "Cargo.lock"),
        ("cli-cli.go.mod", "tools/gh/go.mod"),
        ("poetry.poetry.lock", "py/poetry.lock"),
    ] {
        let to = repo.path().join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(lockfiles.join(from), to).unwrap();
    }
    // The poetry.lock is current; an old pin shows that PyPI records match too.
    std::fs::create_dir_all(repo.path().join("scripts")).unwrap();
    std::fs::write(repo.path().join("scripts/requirements.txt"), "requests==2.19.0\n").unwrap();
    std::fs::create_dir_all(repo.path().join("web")).unwrap();
    std::fs::write(repo.path().join("web/package-lock.json"), "{ this is not json").unwrap();
    // Vendored trees are skipped by default.
    std::fs::create_dir_all(repo.path().join("web/node_modules/x")).unwrap();
    std::fs::write(repo.path().join("web/node_modules/x/package-lock.json"), "{}").unwrap();

    let (json, code) = scan_json(&data, repo.path(), ".", &[]);
    assert_eq!(code, 0);
    let manifests: Vec<&str> =
        json["manifests"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(
        manifests,
        [
            "Cargo.lock",
            "py/poetry.lock",
            "scripts/requirements.txt",
            "tools/gh/go.mod",
            "web/package-lock.json"
        ]
    );
    for ecosystem in ["crates.io", "Go", "PyPI"] {
        assert!(
            json["findings"].as_array().unwrap().iter().any(|f| f["ecosystem"] == ecosystem),
            "no {ecosystem} finding"
        );
    }
    let diagnostics = json["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics.iter().any(|d| d["source"] == "web/package-lock.json" && d["level"] == "error"),
        "{diagnostics:?}"
    );

    // The table says the same, with the diagnostics listed.
    depwatch(&data)
        .current_dir(repo.path())
        .args(["scan", "."])
        .assert()
        .success()
        .stdout(contains("SEVERITY"))
        .stdout(contains("packages in 5 files"))
        .stdout(contains("error: web/package-lock.json"));
}

#[test]
fn unreadable_or_unknown_files_and_missing_advisories_are_never_silent() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), "[[package]]\nname = 1\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();

    let (json, code) = scan_json(&data, dir.path(), "Cargo.lock", &[]);
    assert_eq!(code, 0);
    assert_eq!(json["summary"]["packages"], 0);
    assert!(json["summary"]["errors"].as_u64() >= Some(1), "{json}");

    let (json, _) = scan_json(&data, dir.path(), "notes.txt", &[]);
    assert_eq!(json["diagnostics"][0]["level"], "error");
    assert!(json["diagnostics"][0]["message"].as_str().unwrap().contains("not a lockfile"));

    // Packages found, but no advisories imported for them: a warning, not a clean bill.
    let lockfiles = fixtures().join("lockfiles");
    let (json, _) = scan_json(&data, &lockfiles, "rustsec.Cargo.lock", &[]);
    let warned = json["diagnostics"].as_array().unwrap().iter().any(|d| {
        d["message"].as_str().unwrap_or("").contains("no crates.io advisories are imported")
    });
    assert!(warned, "{}", json["diagnostics"]);

    depwatch(&data)
        .args(["scan", "does/not/exist"])
        .assert()
        .code(2)
        .stderr(contains("does/not/exist"));
}
