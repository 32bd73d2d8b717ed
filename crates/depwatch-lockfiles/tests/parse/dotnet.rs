use depwatch_lockfiles::Format;

#[test]
fn nuget_lock_fixtures() {
    snapshot_fixtures!(Format::NugetLock, "nuget_lock/*.json");
}
