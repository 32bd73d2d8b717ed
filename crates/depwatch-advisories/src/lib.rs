//! depwatch's offline advisory engine.
//!
//! * [`version`]: version ordering per ecosystem, each by its own specification.
//!
//! Everything here is pure: no IO besides what callers hand in as bytes, no clocks, no
//! randomness, so results are deterministic.

pub mod version;

pub use version::{compare, Version, VersionError};
