//! Packages as lockfiles and manifests declare them.

use crate::{Diagnostic, Ecosystem};
use serde::{Deserialize, Serialize};

/// Where a package comes from. Only `Registry` packages are matched against advisories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Registry,
    Git,
    Path,
    Url,
    Workspace,
}

/// Why a package is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Prod,
    Dev,
    Optional,
    Peer,
    /// The file alone cannot tell.
    Unknown,
}

/// One package found in a lockfile or manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub ecosystem: Ecosystem,
    /// Normalized per [`Ecosystem::normalize_name`] (PEP 503 for PyPI, …).
    pub name: String,
    /// The exact version, or the declared range when `pinned` is false.
    pub version: String,
    /// False when `version` is a range from a manifest (`^1.2`, `>=2`): such packages are
    /// listed but not matched.
    pub pinned: bool,
    /// Direct dependency of a project in the repository; `None` when the file cannot tell.
    pub direct: Option<bool>,
    pub scope: Scope,
    pub source: Source,
    /// Repository-relative path of the file this came from.
    pub manifest: String,
}

/// A dependency edge between two entries of [`Parsed::packages`], by index: `from` depends on `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
}

/// What one parser made of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parsed {
    pub packages: Vec<Dependency>,
    /// Graph edges where the format records them; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<Edge>,
    /// Indices into `packages` of the project roots the edges start from (workspace members,
    /// importers), when the format records the graph.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<usize>,
    pub diagnostics: Vec<Diagnostic>,
}
