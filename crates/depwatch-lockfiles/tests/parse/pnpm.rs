use depwatch_lockfiles::Format;

#[test]
fn pnpm_lock_fixtures() {
    snapshot_fixtures!(Format::PnpmLock, "pnpm_lock/*.yaml");
}
