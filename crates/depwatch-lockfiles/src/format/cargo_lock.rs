//! `Cargo.lock` v1–v4, deserialized with `toml` into borrowed structs.
//!
//! Packages without a `source` are the workspace members (and path crates): they are the graph
//! roots, and their dependencies are the direct ones. The lock does not record dev-dependencies,
//! so scope comes from the companion `Cargo.toml` files when they are available.
//!
//! Only what depwatch uses is kept, borrowed from the text: this file is on the hot path of
//! every scan, and a generic lockfile model (the `cargo-lock` crate) cost a third more time
//! and many more allocations. Values are still checked the way Cargo and `cargo-lock` check
//! them (semver versions, dependency strings, source kinds, hex checksums), inside
//! deserialization so that a bad value is reported with its line.

use super::cargo_toml::{read_manifest, Manifest};
use crate::parsed::{line_at, scopes_by_reachability};
use crate::{join_path, Input};
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut out = Parsed::default();
    let text = match input.text() {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let lock = match read_lock(text) {
        Ok(lock) => lock,
        Err(e) => {
            out.diagnostics.push(e.into_diagnostic(input.path, text));
            return out;
        }
    };
    let packages = &lock.package;
    if packages.is_empty() {
        out.diagnostics.push(Diagnostic::info(input.path, "lists no packages"));
        return out;
    }

    let mut alternate = 0usize;
    out.packages.reserve_exact(packages.len());
    for (i, pkg) in packages.iter().enumerate() {
        let kind = pkg.source.as_ref().map_or(SourceKind::None, |s| s.kind);
        if kind == SourceKind::OtherRegistry {
            alternate += 1;
        }
        out.packages.push(
            Dependency::new(Ecosystem::CratesIo, &*pkg.name, &*pkg.version.0, input.path)
                .with_source(kind.source()),
        );
        if kind == SourceKind::None {
            out.roots.push(i);
        }
    }

    let index = NameIndex::new(packages);
    for (i, pkg) in packages.iter().enumerate() {
        for dep in &pkg.dependencies {
            match index.resolve(packages, dep) {
                Some(to) => out.edges.push(Edge { from: i, to }),
                None => out.diagnostics.push(Diagnostic::warning(
                    input.path,
                    format!(
                        "package {} {} depends on {}, which the lockfile does not list",
                        pkg.name, pkg.version.0, dep
                    ),
                )),
            }
        }
    }
    if alternate > 0 {
        out.diagnostics.push(Diagnostic::info(
            input.path,
            format!(
                "{alternate} package(s) come from a registry other than crates.io; they are \
                 listed but not matched against crates.io advisories"
            ),
        ));
    }

    let manifests = member_manifests(input, &out.packages, &mut out.diagnostics);
    classify(&mut out, &manifests);
    out
}

/// Why a lockfile could not be read.
#[derive(Debug)]
enum LockError {
    /// Syntax, shape or value errors, found while deserializing (usually with a span).
    Toml(toml::de::Error),
    /// Whole-document inconsistencies, found after.
    Document(&'static str),
}

impl LockError {
    fn into_diagnostic(self, path: &str, text: &str) -> Diagnostic {
        match self {
            Self::Toml(e) => {
                // The message carries a source snippet; keep the prose lines only. The
                // "parse error" wording is the one depwatch has always reported.
                let message = e.to_string();
                let prose: Vec<&str> = message
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.contains('|'))
                    .collect();
                let diag = Diagnostic::error(
                    path,
                    format!("invalid Cargo.lock: parse error: {}", prose.join(": ")),
                );
                match e.span() {
                    Some(span) => diag.at_line(line_at(text.as_bytes(), span.start)),
                    None => diag,
                }
            }
            Self::Document(message) => {
                Diagnostic::error(path, format!("invalid Cargo.lock: {message}"))
            }
        }
    }
}

fn read_lock(text: &str) -> Result<RawLock<'_>, LockError> {
    let lock: RawLock<'_> = toml::from_str(text).map_err(LockError::Toml)?;
    // Without a `version` line the format is v1 or v2, told apart by where checksums are; a
    // file with both is neither (the rule of Cargo and `cargo-lock`).
    if lock.version.is_none()
        && lock.metadata.has_checksums
        && lock.package.iter().any(|p| p.checksum.is_some())
    {
        return Err(LockError::Document(
            "contains checksums in both [[package]] and [metadata] sections",
        ));
    }
    Ok(lock)
}

/// The parts of a `Cargo.lock` depwatch reads. Other keys (`patch`, legacy `root`, the
/// `replace` of a package, future additions) are skipped.
#[derive(Deserialize)]
struct RawLock<'a> {
    /// Format version: absent for v1 and v2, `3` or `4` since.
    #[serde(default, deserialize_with = "format_version")]
    version: Option<u32>,
    #[serde(default, borrow)]
    package: Vec<RawPackage<'a>>,
    /// v1 keeps checksums here, as `"checksum <name> <version> (<source>)" = "<hash>"`;
    /// only their presence matters (it tells v1 from v2).
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize)]
struct RawPackage<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    version: Version<'a>,
    #[serde(default, borrow)]
    source: Option<SourceId<'a>>,
    #[serde(default)]
    checksum: Option<Checksum>,
    #[serde(default, borrow)]
    dependencies: Vec<DepSpec<'a>>,
}

fn format_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let n = u32::deserialize(d)?;
    if (1..=4).contains(&n) {
        Ok(Some(n))
    } else {
        Err(de::Error::custom(format!("invalid Cargo.lock format version: `{n}`")))
    }
}

/// A string borrowed from the text when it has no escapes, owned otherwise.
fn cow_str<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    struct CowVisitor;
    impl<'de> Visitor<'de> for CowVisitor {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v))
        }
    }
    d.deserialize_str(CowVisitor)
}

/// A package version, checked to be semver as Cargo writes it. The text is kept as written:
/// `semver` accepts only canonical spellings, so it equals what `Version::to_string` gives.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version<'a>(Cow<'a, str>);

impl<'a> Version<'a> {
    fn parse(text: Cow<'a, str>) -> Result<Self, semver::Error> {
        semver::Version::parse(&text)?;
        Ok(Self(text))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Version<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(cow_str(d)?).map_err(de::Error::custom)
    }
}

/// What a `source` names. Only the kind matters to depwatch; the text is kept to tell apart
/// same-named, same-versioned packages from different sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    /// No source: a workspace member or a path crate.
    None,
    /// crates.io, through its git index or its sparse index.
    CratesIo,
    /// Any other registry (alternate, local or directory registries are other namespaces).
    OtherRegistry,
    Git,
    Path,
}

impl SourceKind {
    fn source(self) -> Source {
        match self {
            Self::None => Source::Workspace,
            Self::CratesIo => Source::Registry,
            Self::OtherRegistry => Source::Url,
            Self::Git => Source::Git,
            Self::Path => Source::Path,
        }
    }
}

/// Cargo's two spellings of the default registry (`SourceId::is_default_registry`).
const CRATES_IO_GIT_INDEX: &str = "https://github.com/rust-lang/crates.io-index";
const CRATES_IO_SPARSE_INDEX: &str = "https://index.crates.io/";

#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceId<'a> {
    text: Cow<'a, str>,
    kind: SourceKind,
}

impl<'a> SourceId<'a> {
    /// `<kind>+<url>` as Cargo writes it; the same kinds and errors as `cargo-lock`.
    fn parse(text: Cow<'a, str>) -> Result<Self, String> {
        let Some((kind, url)) = text.split_once('+') else {
            return Err(format!("invalid source `{text}`"));
        };
        if !has_scheme(url) {
            return Err(format!("invalid source `{text}`: `{url}` is not a URL"));
        }
        let kind = match kind {
            "registry" if same_url(url, CRATES_IO_GIT_INDEX) => SourceKind::CratesIo,
            "sparse" if same_url(url, CRATES_IO_SPARSE_INDEX) => SourceKind::CratesIo,
            "registry" | "sparse" => SourceKind::OtherRegistry,
            "git" => SourceKind::Git,
            "path" => SourceKind::Path,
            _ => return Err(format!("unsupported source protocol: `{kind}` from `{text}`")),
        };
        Ok(Self { text, kind })
    }

    /// The text without a git `?query` or `#revision`: a dependency entry may name a git
    /// source without the revision its package carries.
    fn base(&self) -> &str {
        let end = self.text.find(['?', '#']).unwrap_or(self.text.len());
        self.text.get(..end).unwrap_or(&self.text)
    }

    fn matches(&self, other: &Self) -> bool {
        self.text == other.text || (self.kind == other.kind && self.base() == other.base())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for SourceId<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(cow_str(d)?).map_err(de::Error::custom)
    }
}

/// `scheme:…`, the least a URL has (RFC 3986 scheme characters).
fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// URL equality after the normalization `cargo-lock` gets from the `url` crate for an
/// `http(s)://host[:port]/path` URL: scheme and host are case-insensitive, the default port
/// and an empty path's `/` are implied. Cargo writes the canonical form, so the exact
/// comparison nearly always decides.
fn same_url(url: &str, canonical: &str) -> bool {
    if url == canonical {
        return true;
    }
    let split = |u: &str| -> Option<(String, String, String)> {
        let (scheme, rest) = u.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        let mut host = authority.to_ascii_lowercase();
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        if let Some(stripped) = host.strip_suffix(default_port) {
            host = stripped.to_owned();
        }
        Some((scheme, host, path.to_owned()))
    };
    matches!((split(url), split(canonical)), (Some(a), Some(b)) if a == b)
}

/// A checksum, checked to be 64 hex digits (SHA-256) and then dropped: depwatch does not
/// verify archives, but a value that is not a checksum means the file is not what it claims.
#[derive(Debug, Clone, Copy)]
struct Checksum;

impl Checksum {
    fn check(text: &str) -> Result<Self, String> {
        if !text.is_ascii() {
            return Err("`checksum` holds a non-ASCII character; checksums are hex".to_owned());
        }
        if text.len() != 64 {
            return Err(format!("invalid checksum: expected 64 hex chars, got {}", text.len()));
        }
        // Branch-free and without early exit, so that it vectorizes: this runs for every
        // package of every scan.
        let hex = |b: u8| b.wrapping_sub(b'0') < 10 || (b | 0x20).wrapping_sub(b'a') < 6;
        if !text.bytes().fold(true, |ok, b| ok & hex(b)) {
            return Err(format!("invalid checksum: `{text}` is not hexadecimal"));
        }
        Ok(Self)
    }
}

impl<'de> Deserialize<'de> for Checksum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::check(&cow_str(d)?).map_err(de::Error::custom)
    }
}

/// The v1 `[metadata]` table, read only for whether it holds checksum entries. Its values are
/// not used (`cargo-lock` ignored unreadable ones too).
#[derive(Default)]
struct Metadata {
    has_checksums: bool,
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MetadataVisitor;
        impl<'de> Visitor<'de> for MetadataVisitor {
            type Value = Metadata;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata, A::Error> {
                let mut has_checksums = false;
                while let Some(key) = map.next_key::<KeyProbe>()? {
                    has_checksums |= key.0;
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(Metadata { has_checksums })
            }
        }
        d.deserialize_map(MetadataVisitor)
    }
}

/// Whether a `[metadata]` key starts with `checksum `, read without copying the key.
struct KeyProbe(bool);

impl<'de> Deserialize<'de> for KeyProbe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(cow_str(d)?.starts_with("checksum ")))
    }
}

/// One `dependencies` entry: `"name"`, `"name version"` or `"name version (source)"`.
/// Since v2 Cargo leaves out the version when the lockfile has one package of that name, and
/// the source when name and version are enough.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DepSpec<'a> {
    name: Cow<'a, str>,
    version: Option<Version<'a>>,
    source: Option<SourceId<'a>>,
}

impl<'a> DepSpec<'a> {
    fn parse(text: &'a str) -> Result<Self, String> {
        let mut parts = text.split_whitespace();
        let name = parts.next().ok_or_else(|| "empty dependency string".to_owned())?;
        let version = parts
            .next()
            .map(|v| Version::parse(Cow::Borrowed(v)))
            .transpose()
            .map_err(|e| format!("invalid version in dependency `{text}`: {e}"))?;
        let source = parts
            .next()
            .map(|s| match s.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
                Some(inner) => SourceId::parse(Cow::Borrowed(inner)),
                None => Err(format!("malformed source in dependency: {s}")),
            })
            .transpose()?;
        if parts.next().is_some() {
            return Err(format!("malformed dependency: {text}"));
        }
        Ok(Self { name: Cow::Borrowed(name), version, source })
    }

    fn into_owned(self) -> DepSpec<'static> {
        DepSpec {
            name: Cow::Owned(self.name.into_owned()),
            version: self.version.map(|v| Version(Cow::Owned(v.0.into_owned()))),
            source: self
                .source
                .map(|s| SourceId { text: Cow::Owned(s.text.into_owned()), kind: s.kind }),
        }
    }
}

impl fmt::Display for DepSpec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(version) = &self.version {
            write!(f, " {}", version.0)?;
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for DepSpec<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match cow_str(d)? {
            Cow::Borrowed(text) => DepSpec::parse(text),
            // An escaped string: rare enough that copying the parts is fine.
            Cow::Owned(text) => DepSpec::parse(&text).map(DepSpec::into_owned),
        }
        .map_err(de::Error::custom)
    }
}

/// Packages by name: the first index of each name, and for each package the next one of the
/// same name, so that lookups follow lockfile order without a map of owned keys.
struct NameIndex<'p> {
    first: FxHashMap<&'p str, usize>,
    next: Vec<usize>,
}

impl<'p> NameIndex<'p> {
    const END: usize = usize::MAX;

    fn new(packages: &'p [RawPackage<'_>]) -> Self {
        let mut first = FxHashMap::with_capacity_and_hasher(packages.len(), FxBuildHasher);
        let mut next = vec![Self::END; packages.len()];
        // Backwards, so that each chain ends up in lockfile order.
        for (i, pkg) in packages.iter().enumerate().rev() {
            if let (Some(prev), Some(slot)) = (first.insert(&*pkg.name, i), next.get_mut(i)) {
                *slot = prev;
            }
        }
        Self { first, next }
    }

    fn named(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.first.get(name).copied(), |&i| {
            self.next.get(i).copied().filter(|&j| j != Self::END)
        })
    }

    /// The package a dependency entry means, as Cargo resolves it: the first of that name
    /// (and version, when given); with a source, the one from that source, else the first.
    fn resolve(&self, packages: &[RawPackage<'_>], dep: &DepSpec<'_>) -> Option<usize> {
        let mut candidates = self.named(&dep.name).filter(|&i| {
            dep.version.as_ref().is_none_or(|v| packages.get(i).is_some_and(|p| p.version == *v))
        });
        let first = candidates.next()?;
        let Some(source) = &dep.source else { return Some(first) };
        let from_source = |i: usize| {
            packages.get(i).and_then(|p| p.source.as_ref()).is_some_and(|s| s.matches(source))
        };
        if from_source(first) {
            return Some(first);
        }
        candidates.find(|&i| from_source(i)).or(Some(first))
    }
}

/// Marks a glob candidate whose crate name is not known in advance.
const ANY_CRATE: &str = "";

/// The manifests of the workspace members, keyed by crate name: the `Cargo.toml` beside the
/// lockfile and the members it lists. A glob member (`crates/*`) is tried with each member
/// crate name the lockfile lists, and kept only when the manifest found names that crate.
fn member_manifests(
    input: &Input<'_>,
    packages: &[Dependency],
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<String, Manifest> {
    let mut found = HashMap::new();
    let root_path = join_path(input.dir(), "Cargo.toml");
    let Some(root) = read_companion(input, &root_path, diagnostics) else {
        diagnostics.push(Diagnostic::info(
            input.path,
            "no Cargo.toml beside the lockfile: dev-dependencies cannot be told apart (scope \
             unknown)",
        ));
        return found;
    };
    let local_crates: Vec<&str> = packages
        .iter()
        .filter(|p| p.source == Source::Workspace)
        .map(|p| p.name.as_str())
        .collect();
    let mut candidates = Vec::new();
    for member in &root.members {
        let member = member.trim_end_matches('/');
        if let Some(prefix) = member.strip_suffix("/*") {
            // Expand through the listing when the repository knows it; else guess that each
            // member folder is named after its crate (checked against the manifest found).
            match input.repo.list(&join_path(input.dir(), prefix)) {
                Some(children) => {
                    for child in children {
                        candidates.push((join_path(prefix, &child), Some(ANY_CRATE)));
                    }
                }
                None => {
                    for name in &local_crates {
                        candidates.push((join_path(prefix, name), Some(*name)));
                    }
                }
            }
        } else if !member.contains(['*', '?', '[']) {
            candidates.push((member.to_owned(), None));
        }
    }
    if let Some(name) = &root.package {
        found.insert(name.clone(), root.clone());
    }
    for (dir, expected) in candidates {
        if dir.split('/').any(|seg| seg == "..") {
            continue;
        }
        let path = join_path(&join_path(input.dir(), &dir), "Cargo.toml");
        // Glob guesses that miss are expected: stay quiet about them.
        let manifest = match expected {
            Some(_) => input
                .repo
                .read(&path)
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| read_manifest(&path, &t).ok()),
            None => read_companion(input, &path, diagnostics),
        };
        let Some(manifest) = manifest else { continue };
        match (&manifest.package, expected) {
            (Some(name), Some(expected)) if name != expected && expected != ANY_CRATE => {}
            (Some(name), _) => {
                found.insert(name.clone(), manifest);
            }
            (None, _) => {}
        }
    }
    found
}

fn read_companion(
    input: &Input<'_>,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Manifest> {
    let bytes = input.repo.read(path)?;
    let Ok(text) = String::from_utf8(bytes) else {
        diagnostics.push(Diagnostic::warning(path, "companion Cargo.toml is not valid UTF-8"));
        return None;
    };
    match read_manifest(path, &text) {
        Ok(m) => Some(m),
        Err(mut d) => {
            d.level = depwatch_core::DiagnosticLevel::Warning;
            d.message = format!("{} (companion of {}; scope left unknown)", d.message, input.path);
            diagnostics.push(d);
            None
        }
    }
}

/// Sets `direct` from the roots' edges and `scope` from what each root's manifest declares.
fn classify(out: &mut Parsed, manifests: &HashMap<String, Manifest>) {
    let n = out.packages.len();
    let mut direct = vec![false; n];
    let (mut prod, mut dev, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for &root in &out.roots {
        let manifest = out.packages.get(root).and_then(|p| manifests.get(p.name.as_str()));
        for edge in out.edges.iter().filter(|e| e.from == root) {
            if let Some(flag) = direct.get_mut(edge.to) {
                *flag = true;
            }
            let Some(manifest) = manifest else {
                unknown.push(edge.to);
                continue;
            };
            let name = out.packages.get(edge.to).map(|p| p.name.as_str()).unwrap_or_default();
            let scopes: Vec<Scope> =
                manifest.dependencies.iter().filter(|d| d.name == name).map(|d| d.scope).collect();
            if scopes.iter().any(|s| matches!(s, Scope::Prod | Scope::Optional)) {
                prod.push(edge.to);
            } else if scopes.contains(&Scope::Dev) {
                dev.push(edge.to);
            } else {
                unknown.push(edge.to);
            }
        }
    }
    // Without manifests every scope stays unknown: skip the three graph walks.
    let scopes = if manifests.is_empty() {
        Vec::new()
    } else {
        scopes_by_reachability(n, &out.edges, &prod, &dev, &unknown)
    };
    for (i, pkg) in out.packages.iter_mut().enumerate() {
        if pkg.source == Source::Workspace {
            pkg.scope = Scope::Prod;
            pkg.direct = direct.get(i).copied().filter(|d| *d);
        } else {
            pkg.direct = direct.get(i).copied();
            pkg.scope = scopes.get(i).copied().unwrap_or(Scope::Unknown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NoFiles, ParseOptions};
    use depwatch_core::DiagnosticLevel;

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789ABCDEF0123456789abcdef";

    fn run(text: &str) -> Parsed {
        let options = ParseOptions::default();
        let input =
            Input { path: "Cargo.lock", bytes: text.as_bytes(), repo: &NoFiles, options: &options };
        parse(&input)
    }

    /// The single Error diagnostic of a refused file.
    fn refused(text: &str) -> Diagnostic {
        let parsed = run(text);
        assert!(parsed.packages.is_empty(), "{:?}", parsed.packages);
        let errors: Vec<_> =
            parsed.diagnostics.into_iter().filter(|d| d.level == DiagnosticLevel::Error).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.into_iter().next().unwrap_or_else(|| Diagnostic::info("", ""))
    }

    fn kind(source: &str) -> Result<SourceKind, String> {
        SourceId::parse(Cow::Borrowed(source)).map(|s| s.kind)
    }

    fn names(parsed: &Parsed) -> Vec<String> {
        parsed.packages.iter().map(|p| format!("{} {}", p.name, p.version)).collect()
    }

    fn edges(parsed: &Parsed) -> Vec<(usize, usize)> {
        parsed.edges.iter().map(|e| (e.from, e.to)).collect()
    }

    #[test]
    fn dependency_strings_have_one_to_three_parts() {
        let dep = DepSpec::parse("serde").expect("name only");
        assert_eq!((&*dep.name, dep.version, dep.source), ("serde", None, None));

        let dep = DepSpec::parse("serde 1.0.100").expect("name and version");
        assert_eq!(dep.version.map(|v| v.0), Some(Cow::Borrowed("1.0.100")));
        assert!(dep.source.is_none());

        let text = format!("serde 1.0.100 ({CRATES_IO})");
        let dep = DepSpec::parse(&text).expect("all three");
        assert_eq!(dep.source.map(|s| s.kind), Some(SourceKind::CratesIo));
        assert_eq!(
            DepSpec::parse("  a\t0.1.0-rc.1+build.5 ").map(|d| d.to_string()).ok(),
            Some("a 0.1.0-rc.1+build.5".to_owned())
        );
    }

    #[test]
    fn malformed_dependency_strings_are_errors() {
        for (text, expected) in [
            ("", "empty dependency string"),
            ("   ", "empty dependency string"),
            ("a 1.0", "invalid version in dependency `a 1.0`"),
            ("a v1.0.0", "invalid version"),
            ("a 1.0.0 registry+x:y", "malformed source in dependency"),
            ("a 1.0.0 (", "malformed source in dependency"),
            ("a 1.0.0 (ftp+x:y)", "unsupported source protocol: `ftp`"),
            ("a 1.0.0 (nokind)", "invalid source `nokind`"),
            (&format!("a 1.0.0 ({CRATES_IO}) extra"), "malformed dependency"),
        ] {
            let err = DepSpec::parse(text).expect_err(text);
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn source_kinds_follow_cargo() {
        assert_eq!(kind(CRATES_IO), Ok(SourceKind::CratesIo));
        assert_eq!(kind("sparse+https://index.crates.io/"), Ok(SourceKind::CratesIo));
        // What the `url` crate normalizes for cargo-lock's `is_default_registry`.
        assert_eq!(kind("sparse+https://index.crates.io"), Ok(SourceKind::CratesIo));
        assert_eq!(kind("sparse+HTTPS://Index.Crates.IO:443/"), Ok(SourceKind::CratesIo));
        assert_eq!(
            kind("registry+https://GitHub.com/rust-lang/crates.io-index"),
            Ok(SourceKind::CratesIo)
        );
        // A different path, or the sparse index under the git kind, is another registry.
        for other in [
            "registry+https://github.com/rust-lang/crates.io-index/",
            "registry+https://index.crates.io/",
            "sparse+https://github.com/rust-lang/crates.io-index",
            "sparse+https://index.crates.io/extra/",
            "sparse+https://my-registry.example/index/",
            "registry+https://gitlab.example/crates-index",
            "registry+file:///srv/index",
        ] {
            assert_eq!(kind(other), Ok(SourceKind::OtherRegistry), "{other}");
        }
        assert_eq!(kind("git+https://github.com/a/b?branch=main#0123abcd"), Ok(SourceKind::Git));
        assert_eq!(kind("path+file:///home/me/crate"), Ok(SourceKind::Path));
        assert!(kind("svn+https://x.example/").is_err_and(|e| e.contains("unsupported")));
        assert!(kind("https://index.crates.io/").is_err_and(|e| e.contains("invalid source")));
        assert!(kind("git+not a url").is_err_and(|e| e.contains("is not a URL")));
    }

    #[test]
    fn source_kinds_map_to_dependency_sources() {
        let text = format!(
            "version = 4\n\
             [[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
             [[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"sparse+https://index.crates.io/\"\n\
             [[package]]\nname = \"c\"\nversion = \"1.0.0\"\nsource = \"sparse+https://corp.example/index/\"\n\
             [[package]]\nname = \"d\"\nversion = \"1.0.0\"\nsource = \"git+https://g.example/d#abc\"\n\
             [[package]]\nname = \"e\"\nversion = \"1.0.0\"\nsource = \"path+file:///e\"\n"
        );
        let parsed = run(&text);
        let sources: Vec<Source> = parsed.packages.iter().map(|p| p.source).collect();
        assert_eq!(
            sources,
            [
                Source::Workspace,
                Source::Registry,
                Source::Registry,
                Source::Url,
                Source::Git,
                Source::Path
            ]
        );
        assert_eq!(parsed.roots, [0]);
        assert!(parsed.diagnostics.iter().any(|d| d.message.starts_with("1 package(s) come from")));
    }

    #[test]
    fn short_dependency_entries_resolve_to_the_listed_package() {
        let text = format!(
            "version = 3\n\
             [[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
             dependencies = [\"log\", \"rand 0.7.3\", \"rand 0.8.5\", \"dup 1.0.0 (git+https://g.example/dup?branch=x)\"]\n\
             [[package]]\nname = \"rand\"\nversion = \"0.8.5\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"log\"\nversion = \"0.4.20\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"rand\"\nversion = \"0.7.3\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"dup\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             [[package]]\nname = \"dup\"\nversion = \"1.0.0\"\nsource = \"git+https://g.example/dup?branch=x#0123abc\"\n"
        );
        let parsed = run(&text);
        assert_eq!(edges(&parsed), [(0, 2), (0, 3), (0, 1), (0, 5)]);
        assert!(
            parsed.diagnostics.iter().all(|d| d.level == DiagnosticLevel::Info),
            "{:?}",
            parsed.diagnostics
        );
    }

    #[test]
    fn dependencies_the_lockfile_does_not_list_are_warnings() {
        let text = "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                    dependencies = [\"ghost\", \"log 9.9.9\", \"log\"]\n\
                    [[package]]\nname = \"log\"\nversion = \"0.4.20\"\n";
        let parsed = run(text);
        assert_eq!(edges(&parsed), [(0, 1)]);
        let warnings: Vec<&str> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.level == DiagnosticLevel::Warning)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "package app 0.1.0 depends on ghost, which the lockfile does not list",
                "package app 0.1.0 depends on log 9.9.9, which the lockfile does not list",
            ]
        );
    }

    #[test]
    fn every_format_version_is_read() {
        let v1 = format!(
            "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
             dependencies = [\"a 1.0.0 ({CRATES_IO})\"]\n\
             [[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             [metadata]\n\"checksum a 1.0.0 ({CRATES_IO})\" = \"{HEX}\"\n"
        );
        let v2 = format!(
            "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"a\"]\n\
             [[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             checksum = \"{HEX}\"\n"
        );
        let v3 = format!("version = 3\n{v2}");
        let v4 = format!("version = 4\n{v2}");
        for text in [v1, v2, v3, v4] {
            let parsed = run(&text);
            assert_eq!(names(&parsed), ["app 0.1.0", "a 1.0.0"], "{text}");
            assert_eq!(edges(&parsed), [(0, 1)], "{text}");
            assert_eq!(parsed.packages.get(1).and_then(|p| p.direct), Some(true));
        }
    }

    #[test]
    fn escaped_strings_are_read_like_plain_ones() {
        let text = "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                    dependencies = [\"\\u0061 1.0.0\"]\n\
                    [[package]]\nname = \"\\u0061\"\nversion = \"1.0\\u002E0\"\n";
        let parsed = run(text);
        assert_eq!(names(&parsed), ["app 0.1.0", "a 1.0.0"]);
        assert_eq!(edges(&parsed), [(0, 1)]);
    }

    #[test]
    fn unreadable_values_are_errors_with_their_line() {
        let pkg = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        for (text, line, expected) in [
            (format!("version = 5\n{pkg}"), 1, "invalid Cargo.lock format version: `5`"),
            (format!("version = -1\n{pkg}"), 1, "TOML parse error at line 1"),
            (format!("{pkg}[[package]]\nversion = \"1.0.0\"\n"), 4, "missing field `name`"),
            (format!("{pkg}[[package]]\nname = \"b\"\n"), 4, "missing field `version`"),
            (format!("{pkg}[[package]]\nname = \"b\"\nversion = \"1\"\n"), 6, "unexpected end"),
            (format!("{pkg}[[package]]\nname = \"b\"\nversion = 1\n"), 6, "invalid type"),
            (format!("{pkg}dependencies = [\"b 1 2 3\"]\n"), 4, "invalid version in dependency"),
            (format!("{pkg}dependencies = [\"\"]\n"), 4, "empty dependency string"),
            (format!("{pkg}source = \"svn+x:y\"\n"), 4, "unsupported source protocol"),
            (format!("{pkg}checksum = \"abc\"\n"), 4, "expected 64 hex chars, got 3"),
            (format!("{pkg}checksum = \"{}\"\n", "g".repeat(64)), 4, "is not hexadecimal"),
            (format!("{pkg}[metadata]\nchecksum = 1\nx = 2\n[[package]]\n"), 7, "missing field"),
        ] {
            let diag = refused(&text);
            assert_eq!(diag.source, "Cargo.lock");
            assert!(diag.message.starts_with("invalid Cargo.lock: "), "{}", diag.message);
            assert!(diag.message.contains(expected), "{text}\n{}", diag.message);
            assert_eq!(diag.line, Some(line), "{text}\n{}", diag.message);
        }
    }

    #[test]
    fn checksum_digits_are_exactly_the_hex_digits() {
        for b in 0u8..=127 {
            let text = format!("{}{}", &HEX[1..], char::from(b));
            assert_eq!(Checksum::check(&text).is_ok(), b.is_ascii_hexdigit(), "byte {b}");
        }
    }

    #[test]
    fn checksums_in_both_places_without_a_version_are_refused() {
        let text = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"{HEX}\"\n\
             [metadata]\n\"checksum a 1.0.0 ({CRATES_IO})\" = \"{HEX}\"\n"
        );
        assert!(refused(&text).message.contains("checksums in both"));
        // With a version line the format says where checksums are; stray metadata is ignored.
        assert_eq!(names(&run(&format!("version = 3\n{text}"))), ["a 1.0.0"]);
    }

    /// `cargo-lock` sliced 64-byte checksums at byte offsets and panicked inside a multi-byte
    /// character (found by fuzzing). Here every spelling is refused with a clear message, or,
    /// in v1 `[metadata]` (whose values depwatch does not use), ignored.
    #[test]
    fn non_ascii_checksums_never_panic() {
        let hex = "0".repeat(63);
        let raw = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"\u{feff}{hex}\"\n"
        );
        let escaped = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"\\uFEFF{hex}\"\n"
        );
        for text in [raw, escaped] {
            let diag = refused(&text);
            assert!(diag.message.contains("`checksum` holds a non-ASCII character"), "{diag:?}");
            assert_eq!(diag.line, Some(4));
        }
        let v1 = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             [metadata]\n\"checksum a 1.0.0 ({CRATES_IO})\" = \"\u{e9}{hex}\"\n"
        );
        assert_eq!(names(&run(&v1)), ["a 1.0.0"]);
        let fine = format!(
            "# caf\u{e9}\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"{hex}0\"\n"
        );
        assert_eq!(names(&run(&fine)), ["a 1.0.0"]);
    }

    #[test]
    fn unknown_tables_and_keys_are_skipped() {
        let text = format!(
            "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\n\
             replace = \"b 1.0.0\"\nfuture = {{ x = 1 }}\n\
             [[patch.unused]]\nname = \"p\"\nversion = \"0.1.0\"\n\
             [root]\nname = \"r\"\n[extra]\nk = [1, 2]\n"
        );
        let parsed = run(&text);
        assert_eq!(names(&parsed), ["a 1.0.0"]);
        assert!(parsed.diagnostics.iter().all(|d| d.level == DiagnosticLevel::Info));
    }

    #[test]
    fn versions_are_kept_as_written() {
        for version in ["0.0.0", "1.2.3-alpha.1", "1.2.3+build.007", "10.20.30-rc.1+x-y"] {
            let text = format!("[[package]]\nname = \"a\"\nversion = \"{version}\"\n");
            let parsed = run(&text);
            assert_eq!(parsed.packages.first().map(|p| p.version.as_str()), Some(version));
            let canonical = semver::Version::parse(version).map(|v| v.to_string()).ok();
            assert_eq!(canonical.as_deref(), Some(version));
        }
    }
}
