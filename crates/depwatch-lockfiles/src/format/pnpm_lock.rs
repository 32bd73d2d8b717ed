//! `pnpm-lock.yaml` v5.x, v6 and v9, including the two-document form of pnpm 11+.
//!
//! * v5: `packages` keys `/name/1.2.3_peer@1.0.0`; dependency refs are bare versions.
//! * v6: keys `/name@1.2.3(peer@1.0.0)`; importer deps are `{specifier, version}`.
//! * v9: keys `name@1.2.3` in `packages` (metadata only) and the graph in `snapshots`; there
//!   is no `dev` flag, so dev-only means "not reachable from any importer's prod deps".
//!
//! Every document of the YAML stream is read: the last is the project lockfile, an earlier
//! "env" document lists pnpm's own config dependencies, which are real packages too.

use super::package_json::companion;
use crate::parsed::scopes_by_reachability;
use crate::{join_path, Input};
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};
use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    V5,
    V6,
    V9,
}

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut out = Parsed::default();
    let text = match input.text() {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let docs = match crate::yaml::documents(input.path, text) {
        Ok(d) => d,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let docs: Vec<&Map<String, Value>> = docs.iter().filter_map(Value::as_object).collect();
    if docs.is_empty() {
        if !text.trim().is_empty() {
            out.diagnostics.push(Diagnostic::error(input.path, "no YAML mapping found"));
        }
        return out;
    }
    let last = docs.len() - 1;
    for (i, doc) in docs.iter().enumerate() {
        Document::read(input, doc, i < last, &mut out);
    }
    out
}

/// `lockfileVersion` as written: a number (`5.4`) or a string (`'6.0'`, `'9.0'`).
fn dialect(doc: &Map<String, Value>) -> Result<(Dialect, String), String> {
    let raw = match doc.get("lockfileVersion") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err("no lockfileVersion".to_owned()),
    };
    let major: u32 = raw
        .split('.')
        .next()
        .and_then(|m| m.trim().parse().ok())
        .ok_or_else(|| format!("unreadable lockfileVersion `{raw}`"))?;
    let d = match major {
        0..=4 => return Err(format!("lockfileVersion {raw} predates the supported 5.x")),
        5 => Dialect::V5,
        6..=8 => Dialect::V6,
        _ => Dialect::V9,
    };
    Ok((d, raw))
}

/// Strips a v6/v9 `(peer@x)` suffix and a v5 `_peer@x` suffix from a version ref.
fn strip_peers(version: &str) -> &str {
    let v = version.split('(').next().unwrap_or(version);
    // v5 peer suffixes follow an `_` after the version; versions themselves have none.
    match v.find('_') {
        Some(i) if !v.contains(':') => v.get(..i).unwrap_or(v),
        _ => v,
    }
}

/// Splits `name@version` at the first `@` after position 0 (scoped names start with `@`;
/// URL versions may contain `@`).
fn split_at_version(s: &str) -> (&str, &str) {
    match s.get(1..).and_then(|rest| rest.find('@')) {
        Some(i) => (s.get(..=i).unwrap_or(s), s.get(i + 2..).unwrap_or("")),
        None => (s, ""),
    }
}

/// Name and version from a package key of the given dialect.
fn key_name_version(key: &str, dialect: Dialect) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    if dialect == Dialect::V5 && key.starts_with('/') {
        // /name/1.2.3_peer or /@scope/name/1.2.3_peer
        let (name, rest) = if k.starts_with('@') {
            let mut parts = k.splitn(3, '/');
            let scope = parts.next()?;
            let name = parts.next()?;
            (format!("{scope}/{name}"), parts.next()?)
        } else {
            let (name, rest) = k.split_once('/')?;
            (name.to_owned(), rest)
        };
        let version = strip_peers(rest);
        return (!name.is_empty() && !version.is_empty()).then(|| (name, version.to_owned()));
    }
    let base = k.split('(').next().unwrap_or(k);
    let (name, version) = split_at_version(base);
    (!name.is_empty() && !version.is_empty()).then(|| (name.to_owned(), version.to_owned()))
}

struct Document<'a, 'b> {
    input: &'a Input<'b>,
    dialect: Dialect,
    /// Package key → index in `out.packages`.
    nodes: HashMap<String, usize>,
    /// Importer path → index of its root package.
    importers: HashMap<String, usize>,
    is_env: bool,
}

impl<'a, 'b> Document<'a, 'b> {
    fn read(input: &'a Input<'b>, doc: &Map<String, Value>, is_env: bool, out: &mut Parsed) {
        let (dialect, raw) = match dialect(doc) {
            Ok(d) => d,
            Err(why) => {
                out.diagnostics.push(Diagnostic::error(
                    input.path,
                    format!("{why}; this pnpm lockfile is not understood"),
                ));
                return;
            }
        };
        if dialect == Dialect::V9 && !matches!(raw.as_str(), "9.0" | "9") {
            out.diagnostics.push(Diagnostic::warning(
                input.path,
                format!("lockfileVersion {raw} is newer than 9.0; read as 9.0"),
            ));
        }
        let mut d =
            Document { input, dialect, nodes: HashMap::new(), importers: HashMap::new(), is_env };
        d.read_nodes(doc, out);
        d.read_importers(doc, out);
        d.read_edges_and_scopes(doc, out);
    }

    fn read_nodes(&mut self, doc: &Map<String, Value>, out: &mut Parsed) {
        let packages = doc.get("packages").and_then(Value::as_object);
        let snapshots = doc.get("snapshots").and_then(Value::as_object);
        // v9: every snapshot is a node; its metadata is under the peer-less key in `packages`.
        // Before v9: every `packages` key is a node.
        let keys: Vec<&String> = match (self.dialect, snapshots) {
            (Dialect::V9, Some(s)) => s.keys().collect(),
            _ => packages.map(|p| p.keys().collect()).unwrap_or_default(),
        };
        let mut unreadable = 0usize;
        for key in keys {
            let meta_key = if self.dialect == Dialect::V9 {
                key.split('(').next().unwrap_or(key)
            } else {
                key.as_str()
            };
            let meta = packages.and_then(|p| p.get(meta_key)).and_then(Value::as_object);
            let field = |f: &str| meta.and_then(|m| m.get(f)).and_then(Value::as_str);
            let parsed_key = key_name_version(key, self.dialect);
            let name =
                field("name").map(str::to_owned).or(parsed_key.as_ref().map(|k| k.0.clone()));
            let version =
                field("version").map(str::to_owned).or(parsed_key.as_ref().map(|k| k.1.clone()));
            let (Some(name), Some(version)) = (name, version) else {
                unreadable += 1;
                continue;
            };
            let source = source_of(meta, &version, key);
            let i = out.packages.len();
            out.packages.push(
                Dependency::new(Ecosystem::Npm, name, version, self.input.path)
                    .with_source(source)
                    .with_direct(Some(false))
                    .with_path(key.as_str()),
            );
            self.nodes.insert(key.clone(), i);
        }
        if unreadable > 0 {
            out.diagnostics.push(Diagnostic::warning(
                self.input.path,
                format!(
                    "{unreadable} package key(s) without a readable name and version were skipped"
                ),
            ));
        }
    }

    fn importer_sections(doc: &Map<String, Value>) -> Vec<(String, &Map<String, Value>)> {
        match doc.get("importers").and_then(Value::as_object) {
            Some(importers) => importers
                .iter()
                .filter_map(|(path, v)| v.as_object().map(|o| (path.clone(), o)))
                .collect(),
            // A single project keeps its sections at the top level (v5, v6).
            None => vec![(".".to_owned(), doc)],
        }
    }

    fn read_importers(&mut self, doc: &Map<String, Value>, out: &mut Parsed) {
        for (path, _) in Self::importer_sections(doc) {
            let dir = if path == "." { String::new() } else { path.clone() };
            let full = join_path(self.input.dir(), &dir);
            let mut quiet = Vec::new();
            let name = if self.is_env {
                "(pnpm configuration)".to_owned()
            } else {
                companion(self.input, &full, &mut quiet).and_then(|m| m.name).unwrap_or_else(|| {
                    if dir.is_empty() {
                        "(root)".to_owned()
                    } else {
                        dir.clone()
                    }
                })
            };
            let i = out.packages.len();
            let mut root = Dependency::new(Ecosystem::Npm, name, "0.0.0", self.input.path)
                .with_source(Source::Workspace)
                .with_scope(Scope::Prod)
                .with_pinned(false);
            if !dir.is_empty() {
                root.paths.push(dir.clone());
            }
            out.packages.push(root);
            out.roots.push(i);
            self.importers.insert(path, i);
        }
    }

    /// The node a dependency ref points at, from an importer or a package.
    fn resolve(&self, from_importer: Option<&str>, name: &str, reference: &str) -> Option<usize> {
        if let Some(target) = reference.strip_prefix("link:") {
            let base = from_importer.unwrap_or(".");
            return self.importers.get(&normalize_importer(base, target)).copied();
        }
        let candidates: Vec<String> = match self.dialect {
            Dialect::V5 => {
                if reference.starts_with('/') || reference.contains('/') {
                    vec![reference.to_owned(), format!("/{name}/{reference}")]
                } else {
                    vec![format!("/{name}/{reference}")]
                }
            }
            Dialect::V6 => vec![
                reference.to_owned(),
                format!("/{name}@{reference}"),
                format!("{name}@{reference}"),
            ],
            Dialect::V9 => {
                let base = reference.split('(').next().unwrap_or(reference);
                if split_at_version(base).1.is_empty()
                    || base.starts_with(|c: char| c.is_ascii_digit())
                {
                    vec![format!("{name}@{reference}")]
                } else {
                    // An alias: the ref is the real `name@version(peers)` key.
                    vec![reference.to_owned(), format!("{name}@{reference}")]
                }
            }
        };
        candidates.iter().find_map(|k| self.nodes.get(k).copied())
    }

    fn read_edges_and_scopes(&mut self, doc: &Map<String, Value>, out: &mut Parsed) {
        let graph = match self.dialect {
            Dialect::V9 => doc.get("snapshots").and_then(Value::as_object),
            _ => doc.get("packages").and_then(Value::as_object),
        };
        let mut unresolved = 0usize;
        let mut edges = Vec::new();
        if let Some(graph) = graph {
            for (key, entry) in graph {
                let Some(&from) = self.nodes.get(key) else { continue };
                let Some(entry) = entry.as_object() else { continue };
                for section in ["dependencies", "optionalDependencies"] {
                    let Some(deps) = entry.get(section).and_then(Value::as_object) else {
                        continue;
                    };
                    for (name, reference) in deps {
                        let reference = ref_text(reference);
                        match self.resolve(None, name, &reference) {
                            Some(to) => edges.push(Edge { from, to }),
                            None => unresolved += 1,
                        }
                    }
                }
            }
        }
        let (mut prod, mut dev) = (Vec::new(), Vec::new());
        let sections: [(&str, bool); 5] = [
            ("dependencies", true),
            ("optionalDependencies", true),
            ("devDependencies", false),
            // The env document: pnpm's own tooling, never shipped.
            ("configDependencies", false),
            ("packageManagerDependencies", false),
        ];
        for (path, importer) in Self::importer_sections(doc) {
            let Some(&root) = self.importers.get(&path) else { continue };
            for (section, is_prod) in sections {
                let Some(deps) = importer.get(section).and_then(Value::as_object) else { continue };
                for (name, dep) in deps {
                    let reference = ref_text(dep);
                    match self.resolve(Some(&path), name, &reference) {
                        Some(to) => {
                            edges.push(Edge { from: root, to });
                            if let Some(p) = out.packages.get_mut(to) {
                                if p.source != Source::Workspace {
                                    p.direct = Some(true);
                                }
                            }
                            if is_prod {
                                prod.push(to);
                            } else {
                                dev.push(to);
                            }
                        }
                        None if reference.starts_with("link:") => {}
                        None => unresolved += 1,
                    }
                }
            }
        }
        if unresolved > 0 {
            out.diagnostics.push(Diagnostic::warning(
                self.input.path,
                format!("{unresolved} dependency reference(s) match no package entry"),
            ));
        }
        // Scopes: v5/v6 carry `dev` flags; v9 needs reachability. Compute reachability over
        // this document's nodes for both and let the flags win where present.
        let n = out.packages.len();
        let scopes = scopes_by_reachability(n, &edges, &prod, &dev, &[]);
        let packages = doc.get("packages").and_then(Value::as_object);
        for (key, &i) in &self.nodes {
            let entry = match self.dialect {
                Dialect::V9 => graph.and_then(|g| g.get(key)),
                _ => packages.and_then(|p| p.get(key)),
            }
            .and_then(Value::as_object);
            let flag = |f: &str| entry.and_then(|e| e.get(f)).and_then(Value::as_bool);
            let mut scope = match flag("dev") {
                Some(true) => Scope::Dev,
                Some(false) => Scope::Prod,
                None => scopes.get(i).copied().unwrap_or(Scope::Unknown),
            };
            if scope == Scope::Prod && flag("optional") == Some(true) {
                scope = Scope::Optional;
            }
            if let Some(p) = out.packages.get_mut(i) {
                p.scope = scope;
            }
        }
        out.edges.extend(edges);
    }
}

/// An importer or package dependency value: a bare ref (v5, v9 packages) or `{version}`.
fn ref_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => o.get("version").map(ref_text).unwrap_or_default(),
        _ => String::new(),
    }
}

/// `link:../shared` from importer `packages/vue` → `packages/shared`.
fn normalize_importer(base: &str, target: &str) -> String {
    let mut parts: Vec<&str> =
        if base == "." { Vec::new() } else { base.split('/').filter(|s| !s.is_empty()).collect() };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Where a package comes from, by its `resolution` and its version or key.
fn source_of(meta: Option<&Map<String, Value>>, version: &str, key: &str) -> Source {
    let resolution = meta.and_then(|m| m.get("resolution")).and_then(Value::as_object);
    if let Some(r) = resolution {
        if r.get("type").and_then(Value::as_str) == Some("git") || r.contains_key("repo") {
            return Source::Git;
        }
        if r.get("type").and_then(Value::as_str) == Some("directory") || r.contains_key("directory")
        {
            return Source::Path;
        }
        if let Some(tarball) = r.get("tarball").and_then(Value::as_str) {
            if tarball.contains("codeload.github.com") || tarball.contains("gitlab.com") {
                return Source::Git;
            }
            if tarball.starts_with("file:") {
                return Source::Path;
            }
            if !tarball.contains("/-/") {
                return Source::Url;
            }
        }
    }
    let v = version.trim();
    if v.starts_with("file:") || key.contains("@file:") || key.starts_with("file:") {
        Source::Path
    } else if v.starts_with("link:") {
        Source::Workspace
    } else if v.contains("://") || v.starts_with("github.com/") || key.contains("github.com/") {
        if v.contains("codeload.github.com") || v.contains("git") || key.contains("github.com/") {
            Source::Git
        } else {
            Source::Url
        }
    } else {
        Source::Registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_each_dialect() {
        let kv = |k, d| key_name_version(k, d);
        assert_eq!(kv("/@s/n/1.2.3_p@1.0.0", Dialect::V5), Some(("@s/n".into(), "1.2.3".into())));
        assert_eq!(kv("/n/1.2.3", Dialect::V5), Some(("n".into(), "1.2.3".into())));
        assert_eq!(kv("/@s/n@1.2.3(p@1.0.0)", Dialect::V6), Some(("@s/n".into(), "1.2.3".into())));
        assert_eq!(kv("n@1.2.3(p@1)(q@2)", Dialect::V9), Some(("n".into(), "1.2.3".into())));
        assert_eq!(kv("@", Dialect::V9), None);
        assert_eq!(strip_peers("6.0.0(rollup@4.62.4)"), "6.0.0");
        assert_eq!(strip_peers("1.2.3_react@18.0.0"), "1.2.3");
    }

    #[test]
    fn links_resolve_relative_to_the_importer() {
        assert_eq!(normalize_importer("packages/vue", "../shared"), "packages/shared");
        assert_eq!(
            normalize_importer("packages-private/dts", "../../packages/vue"),
            "packages/vue"
        );
        assert_eq!(normalize_importer(".", "packages/a"), "packages/a");
        assert_eq!(normalize_importer("a", ".."), ".");
    }

    #[test]
    fn versions_of_each_major() {
        let doc = |v: Value| {
            let mut m = Map::new();
            m.insert("lockfileVersion".into(), v);
            dialect(&m).map(|d| d.0)
        };
        assert_eq!(doc(Value::from(5.4)), Ok(Dialect::V5));
        assert_eq!(doc(Value::from("6.0")), Ok(Dialect::V6));
        assert_eq!(doc(Value::from("9.0")), Ok(Dialect::V9));
        assert!(doc(Value::from(3)).is_err());
        assert!(doc(Value::Null).is_err());
    }
}
