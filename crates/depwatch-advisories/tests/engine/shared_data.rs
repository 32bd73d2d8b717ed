//! Locating the real OSV exports in `shared/data/advisories` (beside the checkout in CI,
//! `/work/shared` on a developer machine).

use std::path::PathBuf;

/// The directory holding `crates.io.zip`, `Go.zip` and `PyPI.zip`. Panics with a clear
/// message when it cannot be found: these tests must not pass silently without their data.
pub fn advisories_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DEPWATCH_SHARED_DIR") {
        return PathBuf::from(dir).join("data/advisories");
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|a| a.join("shared/data/advisories"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| {
            panic!(
                "shared/data/advisories not found above {}; set DEPWATCH_SHARED_DIR",
                manifest.display()
            )
        })
}

pub fn read_zip(name: &str) -> Vec<u8> {
    let path = advisories_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
