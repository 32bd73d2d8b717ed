//! depwatch's offline advisory engine.
//!
//! * [`version`]: version ordering per ecosystem, each by its own specification.
//! * [`osv`]: OSV records as tolerant serde structs ([`Advisory::from_json`]).
//! * [`load`]: importing records from an `all.zip`, a directory or a file; bad records are
//!   reported and skipped, never fatal.
//!
//! Everything here is pure: no IO besides reading what callers point at, no clocks, no
//! randomness, so results are deterministic.

pub mod load;
pub mod osv;
pub mod version;

pub use load::{
    load_dir, load_file, load_json, load_zip, LoadError, Loaded, RawRecord, SkippedRecord,
};
pub use osv::{Advisory, RecordError};
pub use version::{compare, Version, VersionError};
