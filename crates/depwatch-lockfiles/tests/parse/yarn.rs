use depwatch_lockfiles::Format;

#[test]
fn yarn_lock_fixtures() {
    snapshot_fixtures!(Format::YarnLock, "yarn_lock/*.lock");
}
