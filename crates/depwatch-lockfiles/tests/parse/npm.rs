use depwatch_lockfiles::Format;

#[test]
fn package_lock_fixtures() {
    snapshot_fixtures!(Format::PackageLock, "package_lock/*.json");
}

#[test]
fn package_json_fixtures() {
    snapshot_fixtures!(Format::PackageJson, "package_json/*.json");
}
