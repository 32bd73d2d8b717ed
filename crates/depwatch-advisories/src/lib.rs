//! depwatch's offline advisory engine.
//!
//! * [`version`]: version ordering per ecosystem, each by its own specification.
//! * [`osv`]: OSV records as tolerant serde structs ([`Advisory::from_json`]).
//! * [`load`]: importing records from an `all.zip`, a directory or a file; bad records are
//!   reported and skipped, never fatal.
//! * [`AdvisoryIndex`]: records keyed by (ecosystem, normalized name), built with
//!   [`AdvisoryIndex::from_records`], matched with [`AdvisoryIndex::match_dependencies`] or
//!   [`AdvisoryIndex::match_package`] into [`depwatch_core::Finding`]s.
//! * [`severity`]: CVSS scoring of OSV severity vectors.
//!
//! Everything here is deterministic: no clocks, no randomness, no IO besides reading what
//! callers point the loaders at.

mod alias;
mod index;
pub mod load;
mod matcher;
pub mod osv;
pub mod severity;
pub mod version;

pub use index::{AdvisoryIndex, IndexStats};
pub use load::{
    load_dir, load_file, load_json, load_zip, read_zip, LoadError, Loaded, RawRecord, SkippedRecord,
};
pub use matcher::MatchReport;
pub use osv::{Advisory, RecordError};
pub use version::{compare, Version, VersionError};
