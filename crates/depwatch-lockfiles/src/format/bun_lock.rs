//! `bun.lock` (text, JSONC: comments and trailing commas allowed), Bun ≥ 1.2.
//!
//! `workspaces` holds each workspace's declared dependencies; `packages` maps an install key
//! (`name`, or `parent/name` when versions differ) to `[ident, registry, info, integrity]`,
//! where the ident is `name@version` or `name@<protocol>:…`. The binary `bun.lockb` is reported
//! as unsupported.

use super::package_json::{manifest_from_value, spec_source, Manifest};
use crate::parsed::scopes_by_reachability;
use crate::Input;
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut out = Parsed::default();
    if input.path.ends_with(".lockb") {
        out.diagnostics.push(Diagnostic::error(
            input.path,
            "bun.lockb is Bun's binary lockfile and cannot be read; run `bun install \
             --save-text-lockfile` (Bun ≥ 1.1.39) to write a text bun.lock",
        ));
        return out;
    }
    let text = match input.text() {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    if text.trim().is_empty() {
        out.diagnostics.push(Diagnostic::error(input.path, "invalid bun.lock: file is empty"));
        return out;
    }
    let json = strip_jsonc(text);
    let root: Value = match serde_json::from_str(&json) {
        Ok(v) => v,
        Err(e) => {
            // Stripping keeps every newline, so the line still points into the original file.
            out.diagnostics.push(
                Diagnostic::error(input.path, format!("invalid bun.lock (JSONC): {e}"))
                    .at_line(u32::try_from(e.line()).unwrap_or(u32::MAX)),
            );
            return out;
        }
    };
    let Some(obj) = root.as_object() else {
        out.diagnostics.push(Diagnostic::error(input.path, "invalid bun.lock: not an object"));
        return out;
    };
    match obj.get("lockfileVersion").and_then(Value::as_u64) {
        Some(0..=1) => {}
        Some(v) => out.diagnostics.push(Diagnostic::warning(
            input.path,
            format!("lockfileVersion {v} is newer than the versions depwatch knows (0-1)"),
        )),
        None => out.diagnostics.push(Diagnostic::warning(input.path, "no lockfileVersion")),
    }
    read(input, obj, &mut out);
    out
}

/// Removes `//` and `/* */` comments and trailing commas outside strings, keeping newlines so
/// that line numbers still match.
fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut in_string = false;
    while let Some(&b) = bytes.get(i) {
        if in_string {
            out.push(b);
            if b == b'\\' {
                if let Some(&next) = bytes.get(i + 1) {
                    out.push(next);
                    i += 1;
                }
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match (b, bytes.get(i + 1)) {
            (b'"', _) => {
                in_string = true;
                out.push(b);
                i += 1;
            }
            (b'/', Some(b'/')) => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                i += 2;
                while let Some(&c) = bytes.get(i) {
                    if c == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        i += 2;
                        break;
                    }
                    if c == b'\n' {
                        out.push(b'\n');
                    }
                    i += 1;
                }
            }
            (b'}' | b']', _) => {
                // Drop a trailing comma before the closer (whitespace may sit between).
                let mut j = out.len();
                while j > 0 && out.get(j - 1).is_some_and(u8::is_ascii_whitespace) {
                    j -= 1;
                }
                if j > 0 && out.get(j - 1) == Some(&b',') {
                    out.remove(j - 1);
                }
                out.push(b);
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits an ident at the first `@` after position 0.
fn split_ident(s: &str) -> (&str, &str) {
    match s.get(1..).and_then(|rest| rest.find('@')) {
        Some(i) => (s.get(..=i).unwrap_or(s), s.get(i + 2..).unwrap_or("")),
        None => (s, ""),
    }
}

fn ident_source(reference: &str) -> Source {
    if reference.starts_with("workspace:") || reference.starts_with("root:") {
        Source::Workspace
    } else {
        spec_source(reference)
    }
}

/// The third element of a `packages` tuple: `{dependencies, optionalDependencies, bin, …}`.
type PackageInfo<'a> = Option<&'a Map<String, Value>>;

fn read(input: &Input<'_>, obj: &Map<String, Value>, out: &mut Parsed) {
    let empty = Map::new();
    let workspaces = obj.get("workspaces").and_then(Value::as_object).unwrap_or(&empty);
    let packages = obj.get("packages").and_then(Value::as_object).unwrap_or(&empty);

    // Workspace roots.
    let mut roots: Vec<(usize, Manifest)> = Vec::new();
    let mut root_by_dir: HashMap<&str, usize> = HashMap::new();
    for (dir, ws) in workspaces {
        let Some(manifest) = manifest_from_value(ws) else { continue };
        let name = manifest.name.clone().unwrap_or_else(|| {
            if dir.is_empty() {
                "(root)".to_owned()
            } else {
                dir.clone()
            }
        });
        let version = manifest.version.clone().unwrap_or_else(|| "0.0.0".to_owned());
        let i = out.packages.len();
        let mut dep = Dependency::new(Ecosystem::Npm, name, version, input.path)
            .with_source(Source::Workspace)
            .with_scope(Scope::Prod)
            .with_pinned(false);
        if !dir.is_empty() {
            dep.paths.push(dir.clone());
        }
        out.packages.push(dep);
        out.roots.push(i);
        root_by_dir.insert(dir.as_str(), i);
        roots.push((i, manifest));
    }

    // Installed packages, by install key.
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut infos: Vec<(usize, &str, PackageInfo<'_>)> = Vec::new();
    let mut unreadable = 0usize;
    for (key, entry) in packages {
        let tuple = entry.as_array();
        let Some(ident) = tuple.and_then(|t| t.first()).and_then(Value::as_str) else {
            unreadable += 1;
            continue;
        };
        let (name, reference) = split_ident(ident);
        if name.is_empty() || reference.is_empty() {
            unreadable += 1;
            continue;
        }
        let source = ident_source(reference);
        if let Some(dir) = reference.strip_prefix("workspace:") {
            // The workspace's own entry: point the key at its root.
            if let Some(&r) = root_by_dir.get(dir) {
                at.insert(key.as_str(), r);
                continue;
            }
        }
        let info = tuple.and_then(|t| t.iter().find_map(Value::as_object));
        let i = out.packages.len();
        out.packages.push(
            Dependency::new(Ecosystem::Npm, name, reference, input.path)
                .with_source(source)
                .with_direct(Some(false))
                .with_path(key.as_str()),
        );
        at.insert(key.as_str(), i);
        infos.push((i, key.as_str(), info));
    }
    if unreadable > 0 {
        out.diagnostics.push(Diagnostic::warning(
            input.path,
            format!("{unreadable} package entr(y/ies) without a readable `name@version` ident were skipped"),
        ));
    }

    // Bun's nested keys: `parent/child` shadows `child` for `parent` and its descendants.
    let resolve = |from: &str, name: &str| -> Option<usize> {
        let mut scope = from;
        loop {
            let candidate =
                if scope.is_empty() { name.to_owned() } else { format!("{scope}/{name}") };
            if let Some(&i) = at.get(candidate.as_str()) {
                return Some(i);
            }
            if scope.is_empty() {
                return None;
            }
            // The parent scope is the longest proper prefix that is itself a key.
            let mut next = "";
            let mut cut = scope.len();
            while let Some(pos) = scope.get(..cut).and_then(|s| s.rfind('/')) {
                let prefix = scope.get(..pos).unwrap_or("");
                if at.contains_key(prefix) {
                    next = prefix;
                    break;
                }
                cut = pos;
            }
            scope = next;
        }
    };

    let mut edges = Vec::new();
    let mut unresolved = 0usize;
    for (from, key, info) in &infos {
        let Some(info) = info else { continue };
        for section in ["dependencies", "optionalDependencies"] {
            let Some(deps) = info.get(section).and_then(Value::as_object) else { continue };
            for name in deps.keys() {
                match resolve(key, name) {
                    Some(to) => edges.push(Edge { from: *from, to }),
                    None if section == "optionalDependencies" => {}
                    None => unresolved += 1,
                }
            }
        }
    }
    let (mut prod, mut dev) = (Vec::new(), Vec::new());
    let mut direct = vec![false; out.packages.len()];
    for (root, manifest) in &roots {
        let ws_name = manifest.name.as_deref().unwrap_or("");
        for d in &manifest.dependencies {
            let found = if ws_name.is_empty() { None } else { resolve(ws_name, &d.key) }
                .or_else(|| resolve("", &d.key));
            let Some(to) = found else {
                if ident_source(&d.spec) == Source::Registry && d.scope != Scope::Peer {
                    unresolved += 1;
                }
                continue;
            };
            edges.push(Edge { from: *root, to });
            if let Some(flag) = direct.get_mut(to) {
                *flag = true;
            }
            match d.scope {
                Scope::Dev => dev.push(to),
                _ => prod.push(to),
            }
        }
    }
    if unresolved > 0 {
        out.diagnostics.push(Diagnostic::warning(
            input.path,
            format!("{unresolved} dependenc(y/ies) match no package entry"),
        ));
    }
    let scopes = scopes_by_reachability(out.packages.len(), &edges, &prod, &dev, &[]);
    for (i, pkg) in out.packages.iter_mut().enumerate() {
        if pkg.source == Source::Workspace && out.roots.contains(&i) {
            continue;
        }
        pkg.direct = direct.get(i).copied();
        pkg.scope = if roots.is_empty() {
            Scope::Unknown
        } else {
            scopes.get(i).copied().unwrap_or(Scope::Unknown)
        };
    }
    out.edges = edges;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonc_comments_and_trailing_commas_are_removed() {
        let text = "{\n  // c\n  \"a\": [1, 2,], /* x\n y */ \"b\": \"//not, a comment,\",\n}";
        let v: Value = serde_json::from_str(&strip_jsonc(text)).unwrap();
        assert_eq!(v["a"], serde_json::json!([1, 2]));
        assert_eq!(v["b"], "//not, a comment,");
        assert_eq!(strip_jsonc("\"esc\\\"aped,]\""), "\"esc\\\"aped,]\"");
    }

    #[test]
    fn idents_split_at_the_first_unscoped_at() {
        assert_eq!(split_ident("@types/node@20.1.0"), ("@types/node", "20.1.0"));
        assert_eq!(split_ident("x@github:u/r#abc"), ("x", "github:u/r#abc"));
        assert_eq!(ident_source("workspace:packages/a"), Source::Workspace);
        assert_eq!(ident_source("1.0.0"), Source::Registry);
    }
}
