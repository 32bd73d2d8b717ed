use depwatch_lockfiles::Format;

#[test]
fn cargo_lock_fixtures() {
    snapshot_fixtures!(Format::CargoLock, "cargo_lock/*.lock");
}

#[test]
fn cargo_toml_fixtures() {
    snapshot_fixtures!(Format::CargoToml, "cargo_toml/*.toml");
}
