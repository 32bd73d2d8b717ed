use depwatch_lockfiles::Format;

#[test]
fn bun_lock_fixtures() {
    snapshot_fixtures!(Format::BunLock, "bun_lock/*.lock");
}

#[test]
fn bun_lockb_is_reported_as_binary() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bun_lock/binary.lockb");
    let bytes = std::fs::read(path).unwrap();
    let options = depwatch_lockfiles::ParseOptions::default();
    let input = depwatch_lockfiles::Input {
        path: "web/bun.lockb",
        bytes: &bytes,
        repo: &depwatch_lockfiles::NoFiles,
        options: &options,
    };
    assert_eq!(Format::detect(input.path), Some(Format::BunLock));
    let parsed = depwatch_lockfiles::parse(Format::BunLock, &input);
    assert!(parsed.packages.is_empty());
    assert_eq!(parsed.diagnostics.len(), 1);
    assert!(parsed.diagnostics[0].message.contains("--save-text-lockfile"));
}
