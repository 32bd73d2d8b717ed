use depwatch_lockfiles::Format;

#[test]
fn cargo_lock_fixtures() {
    snapshot_fixtures!(Format::CargoLock, "cargo_lock/*.lock");
}

#[test]
fn cargo_toml_fixtures() {
    snapshot_fixtures!(Format::CargoToml, "cargo_toml/*.toml");
}

/// Found by `cargo fuzz` (target `cargo_lock`): a 64-byte checksum with a multi-byte character
/// made the `cargo-lock` crate slice inside the character and panic.
#[test]
fn fuzz_regression_non_ascii_checksum_is_an_error_not_a_panic() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz_regressions/cargo_lock-non-ascii-checksum.lock");
    let bytes = std::fs::read(path).expect("fixture is readable");
    let options = depwatch_lockfiles::ParseOptions::default();
    let input = depwatch_lockfiles::Input {
        path: "Cargo.lock",
        bytes: &bytes,
        repo: &depwatch_lockfiles::NoFiles,
        options: &options,
    };
    let parsed = depwatch_lockfiles::parse(Format::CargoLock, &input);
    let messages: Vec<&str> = parsed.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(messages.iter().all(|m| !m.contains("internal error")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("`checksum` holds a non-ASCII character")),
        "{messages:?}"
    );
}
