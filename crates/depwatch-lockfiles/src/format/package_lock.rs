//! `package-lock.json` v1/v2/v3 and `npm-shrinkwrap.json` (the same format).
//!
//! v2/v3 list installed packages under `packages`, keyed by install path; the graph follows
//! Node's resolution (look in `<path>/node_modules`, then in each parent). v1 only has the
//! nested `dependencies` tree, walked recursively with the same resolution rule.

use super::package_json::{self, is_exact_version, spec_source, SECTIONS};
use crate::Input;
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut out = Parsed::default();
    let text = match input.text() {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    if text.trim().is_empty() {
        out.diagnostics.push(Diagnostic::error(input.path, "invalid lockfile: file is empty"));
        return out;
    }
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.diagnostics.push(
                Diagnostic::error(input.path, format!("invalid JSON: {e}"))
                    .at_line(u32::try_from(e.line()).unwrap_or(u32::MAX)),
            );
            return out;
        }
    };
    let Some(obj) = root.as_object() else {
        out.diagnostics.push(Diagnostic::error(
            input.path,
            "invalid lockfile: the top level is not an object",
        ));
        return out;
    };
    let version = obj.get("lockfileVersion").and_then(Value::as_u64);
    match version {
        Some(1..=3) => {}
        Some(v) => out.diagnostics.push(Diagnostic::warning(
            input.path,
            format!(
                "lockfileVersion {v} is newer than the versions depwatch knows (1-3); read as v3"
            ),
        )),
        None => out
            .diagnostics
            .push(Diagnostic::warning(input.path, "no numeric lockfileVersion; read by shape")),
    }
    if let Some(packages) = obj.get("packages").and_then(Value::as_object) {
        PackagesWalk::new(input, &mut out).run(packages);
    } else if let Some(deps) = obj.get("dependencies").and_then(Value::as_object) {
        parse_v1(input, obj, deps, &mut out);
    } else {
        out.diagnostics.push(Diagnostic::info(
            input.path,
            "lists no packages (neither `packages` nor `dependencies`)",
        ));
    }
    out
}

/// Where a locked package comes from, from its `resolved` URL (or a v1 `version` spec).
fn resolved_source(resolved: Option<&str>) -> Source {
    let Some(r) = resolved else { return Source::Registry };
    if r.starts_with("http://") || r.starts_with("https://") {
        // Registry tarballs look like `<registry>/<name>/-/<name>-<version>.tgz`.
        if r.contains("/-/") {
            Source::Registry
        } else {
            Source::Url
        }
    } else {
        match spec_source(r) {
            Source::Registry => Source::Path,
            other => other,
        }
    }
}

fn scope_from_flags(entry: &Map<String, Value>) -> Scope {
    let flag = |k: &str| entry.get(k).and_then(Value::as_bool) == Some(true);
    if flag("dev") {
        Scope::Dev
    } else if flag("devOptional") || flag("optional") {
        // devOptional: dev on one path, optional on another; either way not needed in prod.
        Scope::Optional
    } else if flag("peer") {
        Scope::Peer
    } else {
        Scope::Prod
    }
}

/// The parent install location of `path` for Node's module resolution:
/// `node_modules/a/node_modules/b` → `node_modules/a`; `node_modules/a` → `""`;
/// `packages/x` → `""`.
fn parent_location(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    match path.rfind("/node_modules/") {
        Some(i) => path.get(..i),
        None => Some(""),
    }
}

/// The installed name at `path`: the text after the last `node_modules/`.
fn name_from_path(path: &str) -> Option<&str> {
    let i = path.rfind("node_modules/")?;
    path.get(i + "node_modules/".len()..).filter(|n| !n.is_empty())
}

struct PackagesWalk<'a, 'b> {
    input: &'a Input<'b>,
    out: &'a mut Parsed,
    /// Install path → package index (links point at their target's index).
    at: HashMap<String, usize>,
}

impl<'a, 'b> PackagesWalk<'a, 'b> {
    fn new(input: &'a Input<'b>, out: &'a mut Parsed) -> Self {
        Self { input, out, at: HashMap::new() }
    }

    fn run(mut self, packages: &Map<String, Value>) {
        let mut links: Vec<(&str, &str)> = Vec::new();
        let mut skipped = 0usize;
        for (path, entry) in packages {
            let Some(entry) = entry.as_object() else {
                self.warn(format!("entry `{path}` is not an object; skipped"));
                continue;
            };
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                // A link to a workspace folder: the folder's own entry is the package.
                if let Some(target) = entry.get("resolved").and_then(Value::as_str) {
                    links.push((path.as_str(), target));
                }
                continue;
            }
            let is_installed = path.starts_with("node_modules/") || path.contains("/node_modules/");
            if is_installed {
                let Some(installed) = name_from_path(path) else {
                    self.warn(format!("entry `{path}` has no package name; skipped"));
                    continue;
                };
                let name = entry.get("name").and_then(Value::as_str).unwrap_or(installed);
                let Some(version) = entry.get("version").and_then(Value::as_str) else {
                    skipped += 1;
                    continue;
                };
                let resolved = entry.get("resolved").and_then(Value::as_str);
                let mut source = resolved_source(resolved);
                if source == Source::Registry && !is_exact_version(version) {
                    source = spec_source(version);
                }
                let dep = Dependency::new(Ecosystem::Npm, name, version, self.input.path)
                    .with_scope(scope_from_flags(entry))
                    .with_direct(Some(false))
                    .with_source(source)
                    .with_path(path.as_str());
                self.push(path, dep);
            } else {
                // The root ("") or a workspace folder: a project, and a graph root.
                let dir = if path.is_empty() { self.input.dir().to_owned() } else { path.clone() };
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| if dir.is_empty() { "(root)".to_owned() } else { dir });
                let version = entry.get("version").and_then(Value::as_str).unwrap_or("0.0.0");
                let mut dep = Dependency::new(Ecosystem::Npm, name, version, self.input.path)
                    .with_scope(Scope::Prod)
                    .with_source(Source::Workspace)
                    .with_pinned(false);
                if !path.is_empty() {
                    dep.paths.push(path.clone());
                }
                let i = self.push(path, dep);
                self.out.roots.push(i);
            }
        }
        for (path, target) in links {
            if let Some(&i) = self.at.get(target) {
                self.at.insert(path.to_owned(), i);
            }
        }
        if skipped > 0 {
            self.warn(format!("{skipped} installed entr(y/ies) without a `version` were skipped"));
        }
        self.edges(packages);
    }

    fn push(&mut self, path: &str, dep: Dependency) -> usize {
        let i = self.out.packages.len();
        self.out.packages.push(dep);
        self.at.insert(path.to_owned(), i);
        i
    }

    fn warn(&mut self, message: String) {
        self.out.diagnostics.push(Diagnostic::warning(self.input.path, message));
    }

    /// Resolves `name` from `from` the way Node does: `<from>/node_modules/<name>`, then in each
    /// parent location, up to the root.
    fn resolve(&self, from: &str, name: &str) -> Option<usize> {
        let mut location = Some(from);
        while let Some(loc) = location {
            let candidate = if loc.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{loc}/node_modules/{name}")
            };
            if let Some(&i) = self.at.get(&candidate) {
                return Some(i);
            }
            location = parent_location(loc);
        }
        None
    }

    fn edges(&mut self, packages: &Map<String, Value>) {
        let roots = self.out.roots.clone();
        let mut unresolved = 0usize;
        for (path, entry) in packages {
            let Some(&from) = self.at.get(path.as_str()) else { continue };
            let Some(entry) = entry.as_object() else { continue };
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let is_root = roots.contains(&from);
            for (section, _) in SECTIONS {
                let Some(deps) = entry.get(section).and_then(Value::as_object) else { continue };
                for name in deps.keys() {
                    match self.resolve(path, name) {
                        Some(to) => {
                            self.out.edges.push(Edge { from, to });
                            if is_root {
                                if let Some(p) = self.out.packages.get_mut(to) {
                                    if p.source != Source::Workspace {
                                        p.direct = Some(true);
                                    }
                                }
                            }
                        }
                        // Optional and peer dependencies may legitimately be absent.
                        None if section == "dependencies" && !is_root => unresolved += 1,
                        None => {}
                    }
                }
            }
        }
        if unresolved > 0 {
            self.warn(format!(
                "{unresolved} dependenc(y/ies) could not be resolved to an installed entry"
            ));
        }
    }
}

/// v1: a nested `dependencies` tree; `requires` name the edges. Direct and dev need the
/// companion `package.json` for the root; the per-entry `dev`/`optional` flags give scope.
fn parse_v1(
    input: &Input<'_>,
    top: &Map<String, Value>,
    deps: &Map<String, Value>,
    out: &mut Parsed,
) {
    let manifest = package_json::companion(input, input.dir(), &mut out.diagnostics);
    let root_name = top
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| manifest.as_ref().and_then(|m| m.name.clone()))
        .unwrap_or_else(|| "(root)".to_owned());
    let root_version = top
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| manifest.as_ref().and_then(|m| m.version.clone()))
        .unwrap_or_else(|| "0.0.0".to_owned());
    out.packages.push(
        Dependency::new(Ecosystem::Npm, root_name, root_version, input.path)
            .with_scope(Scope::Prod)
            .with_source(Source::Workspace)
            .with_pinned(false),
    );
    out.roots.push(0);

    // Flatten the tree: (install path, parent location, entry).
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut nodes: Vec<(String, &Map<String, Value>)> = Vec::new();
    let mut stack: Vec<(String, &Map<String, Value>)> = vec![(String::new(), deps)];
    while let Some((prefix, level)) = stack.pop() {
        for (key, entry) in level {
            let Some(entry) = entry.as_object() else { continue };
            let path = if prefix.is_empty() {
                format!("node_modules/{key}")
            } else {
                format!("{prefix}/node_modules/{key}")
            };
            let Some(version) = entry.get("version").and_then(Value::as_str) else {
                out.diagnostics.push(Diagnostic::warning(
                    input.path,
                    format!("entry `{path}` has no `version`; skipped"),
                ));
                continue;
            };
            let (name, version, spec_src) = match version.strip_prefix("npm:") {
                Some(alias) => {
                    let (n, v) = package_json::split_name_version(alias);
                    (n.to_owned(), v.to_owned(), Source::Registry)
                }
                None => (key.clone(), version.to_owned(), spec_source(version)),
            };
            let mut source = resolved_source(entry.get("resolved").and_then(Value::as_str));
            if spec_src != Source::Registry && !is_exact_version(&version) {
                source = spec_src;
            }
            let i = out.packages.len();
            out.packages.push(
                Dependency::new(Ecosystem::Npm, name, version, input.path)
                    .with_scope(scope_from_flags(entry))
                    .with_direct(
                        manifest.as_ref().map(|m| {
                            prefix.is_empty() && m.dependencies.iter().any(|d| &d.key == key)
                        }),
                    )
                    .with_source(source)
                    .with_path(path.as_str()),
            );
            at.insert(path.clone(), i);
            if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                stack.push((path.clone(), nested));
            }
            nodes.push((path, entry));
        }
    }
    let resolve = |from: &str, name: &str| -> Option<usize> {
        let mut location = Some(from);
        while let Some(loc) = location {
            let candidate = if loc.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{loc}/node_modules/{name}")
            };
            if let Some(&i) = at.get(&candidate) {
                return Some(i);
            }
            location = parent_location(loc);
        }
        None
    };
    for (path, entry) in &nodes {
        let Some(&from) = at.get(path) else { continue };
        let Some(requires) = entry.get("requires").and_then(Value::as_object) else { continue };
        for name in requires.keys() {
            if let Some(to) = resolve(path, name) {
                out.edges.push(Edge { from, to });
            }
        }
    }
    match &manifest {
        Some(m) => {
            for d in &m.dependencies {
                if let Some(to) = resolve("", &d.key) {
                    out.edges.push(Edge { from: 0, to });
                }
            }
        }
        None => out.diagnostics.push(Diagnostic::info(
            input.path,
            "lockfileVersion 1 without a package.json beside it: direct dependencies unknown",
        )),
    }
    out.edges.sort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_locations_walk_up() {
        assert_eq!(parent_location("node_modules/a/node_modules/b"), Some("node_modules/a"));
        assert_eq!(parent_location("node_modules/a"), Some(""));
        assert_eq!(parent_location("packages/x"), Some(""));
        assert_eq!(parent_location(""), None);
        assert_eq!(name_from_path("node_modules/a/node_modules/@s/b"), Some("@s/b"));
        assert_eq!(name_from_path("packages/x"), None);
    }

    #[test]
    fn sources_come_from_resolved() {
        assert_eq!(
            resolved_source(Some("https://registry.npmjs.org/a/-/a-1.0.0.tgz")),
            Source::Registry
        );
        assert_eq!(resolved_source(Some("https://example.org/a.tgz")), Source::Url);
        assert_eq!(resolved_source(Some("git+ssh://git@github.com/u/r.git#abc")), Source::Git);
        assert_eq!(resolved_source(Some("file:../local")), Source::Path);
        assert_eq!(resolved_source(None), Source::Registry);
    }
}
