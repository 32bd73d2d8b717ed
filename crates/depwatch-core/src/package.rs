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
    /// Where the file records this package, for "why is this here?": npm install paths
    /// (`node_modules/a/node_modules/b`), yarn descriptors, pnpm keys, … Several when duplicate
    /// entries were merged; empty when the format has only one place per package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl Dependency {
    /// A pinned registry package with unknown directness and scope; adjust the public fields
    /// (or use the `with_*` setters) for anything else.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
        manifest: impl Into<String>,
    ) -> Self {
        Self {
            ecosystem,
            name: name.into(),
            version: version.into(),
            pinned: true,
            direct: None,
            scope: Scope::Unknown,
            source: Source::Registry,
            manifest: manifest.into(),
            paths: Vec::new(),
        }
    }

    /// Sets [`Dependency::direct`].
    pub fn with_direct(mut self, direct: Option<bool>) -> Self {
        self.direct = direct;
        self
    }

    /// Sets [`Dependency::scope`].
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Sets [`Dependency::source`].
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// Sets [`Dependency::pinned`].
    pub fn with_pinned(mut self, pinned: bool) -> Self {
        self.pinned = pinned;
        self
    }

    /// Adds one entry to [`Dependency::paths`].
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.paths.push(path.into());
        self
    }
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
