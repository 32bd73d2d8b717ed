//! Domain types shared by every depwatch crate.
//!
//! This crate does no IO and has no async, Tauri, SQL or HTTP dependencies: it is the
//! vocabulary the parsers, the matcher, the store and the shells agree on.

pub mod diagnostic;
pub mod ecosystem;
pub mod finding;
pub mod package;

pub use diagnostic::{Diagnostic, DiagnosticLevel};
pub use ecosystem::Ecosystem;
pub use finding::{
    Finding, FindingKind, FixSuggestion, MatchedRange, RangeEvent, Severity, SeverityRating,
    SeveritySource,
};
pub use package::{Dependency, Edge, Parsed, Scope, Source};
