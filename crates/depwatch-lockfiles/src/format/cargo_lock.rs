//! `Cargo.lock` v1–v4, read with the `cargo-lock` crate.
//!
//! Packages without a `source` are the workspace members (and path crates): they are the graph
//! roots, and their dependencies are the direct ones. The lock does not record dev-dependencies,
//! so scope comes from the companion `Cargo.toml` files when they are available.

use super::cargo_toml::{read_manifest, Manifest};
use crate::parsed::scopes_by_reachability;
use crate::{join_path, Input};
use cargo_lock::package::SourceId;
use cargo_lock::Lockfile;
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};
use std::collections::HashMap;
use std::str::FromStr;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut out = Parsed::default();
    let text = match input.text() {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    if let Some(diag) = non_ascii_checksum(input.path, text) {
        out.diagnostics.push(diag);
        return out;
    }
    let lock = match Lockfile::from_str(text) {
        Ok(lock) => lock,
        Err(e) => {
            let message = e.to_string();
            // toml's message carries a source snippet; keep the prose lines only.
            let prose: Vec<&str> = message
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.contains('|'))
                .collect();
            let mut diag =
                Diagnostic::error(input.path, format!("invalid Cargo.lock: {}", prose.join(": ")));
            if let Some(line) = toml_error_line(&message) {
                diag = diag.at_line(line);
            }
            out.diagnostics.push(diag);
            return out;
        }
    };

    if lock.packages.is_empty() {
        out.diagnostics.push(Diagnostic::info(input.path, "lists no packages"));
        return out;
    }
    let mut alternate = 0usize;
    let mut by_name_version: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, pkg) in lock.packages.iter().enumerate() {
        let source = source_kind(pkg.source.as_ref());
        if pkg.source.as_ref().is_some_and(|s| s.is_registry() && !s.is_default_registry()) {
            alternate += 1;
        }
        let version = pkg.version.to_string();
        by_name_version.entry((pkg.name.as_str().to_owned(), version.clone())).or_default().push(i);
        out.packages.push(
            Dependency::new(Ecosystem::CratesIo, pkg.name.as_str(), version, input.path)
                .with_source(source),
        );
        if source == Source::Workspace {
            out.roots.push(i);
        }
    }
    for (i, pkg) in lock.packages.iter().enumerate() {
        for dep in &pkg.dependencies {
            let key = (dep.name.as_str().to_owned(), dep.version.to_string());
            let Some(candidates) = by_name_version.get(&key) else {
                out.diagnostics.push(Diagnostic::warning(
                    input.path,
                    format!(
                        "package {} {} depends on {} {}, which the lockfile does not list",
                        pkg.name, pkg.version, dep.name, dep.version
                    ),
                ));
                continue;
            };
            let to = candidates
                .iter()
                .copied()
                .find(|&c| lock.packages.get(c).is_some_and(|p| p.source == dep.source))
                .or_else(|| candidates.first().copied());
            if let Some(to) = to {
                out.edges.push(Edge { from: i, to });
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

    let manifests = member_manifests(input, &lock, &mut out.diagnostics);
    classify(&mut out, &manifests, &lock);
    out
}

fn source_kind(source: Option<&SourceId>) -> Source {
    match source {
        None => Source::Workspace,
        Some(s) if s.is_default_registry() => Source::Registry,
        Some(s) if s.is_git() => Source::Git,
        Some(s) if s.is_path() => Source::Path,
        // Alternate registries (and local/directory registries) are other namespaces.
        Some(_) => Source::Url,
    }
}

/// `TOML parse error at line 3, column 1` → 3.
/// A `checksum` value with a non-ASCII character, as an Error diagnostic.
///
/// The `cargo-lock` crate slices 64-byte checksum strings at byte offsets and panics inside a
/// multi-byte character (found by fuzzing), so such values are refused before it sees them.
/// Pure-ASCII text without `\u` escapes cannot hold one, which keeps the check to one byte scan
/// for real lockfiles.
fn non_ascii_checksum(path: &str, text: &str) -> Option<Diagnostic> {
    if text.is_ascii() && !text.contains("\\u") && !text.contains("\\U") {
        return None;
    }
    // Let cargo-lock report syntax errors; only a well-formed document can reach the slicing.
    let doc: toml::Table = toml::from_str(text).ok()?;
    let mut stack: Vec<&toml::Value> = doc.values().collect();
    let mut found = None;
    for (key, value) in &doc {
        found = found.or_else(|| bad_checksum(key, value));
    }
    while let Some(value) = stack.pop() {
        match value {
            toml::Value::Table(t) => {
                for (key, v) in t {
                    found = found.or_else(|| bad_checksum(key, v));
                    stack.push(v);
                }
            }
            toml::Value::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    found.map(|key| {
        Diagnostic::error(
            path,
            format!("invalid Cargo.lock: `{key}` holds a non-ASCII character; checksums are hex"),
        )
    })
}

/// `key` when it names a checksum (`checksum`, or v1 `[metadata]` `"checksum <pkg>"`) whose
/// string value is not ASCII.
fn bad_checksum(key: &str, value: &toml::Value) -> Option<String> {
    let is_checksum_key = key == "checksum" || key.starts_with("checksum ");
    match value {
        toml::Value::String(s) if is_checksum_key && !s.is_ascii() => {
            Some(key.chars().take(80).collect())
        }
        _ => None,
    }
}

fn toml_error_line(message: &str) -> Option<u32> {
    let rest = &message[message.find("at line ")? + "at line ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Marks a glob candidate whose crate name is not known in advance.
const ANY_CRATE: &str = "";

/// The manifests of the workspace members, keyed by crate name: the `Cargo.toml` beside the
/// lockfile and the members it lists. A glob member (`crates/*`) is tried with each member
/// crate name the lockfile lists, and kept only when the manifest found names that crate.
fn member_manifests(
    input: &Input<'_>,
    lock: &Lockfile,
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
    let local_crates: Vec<&str> =
        lock.packages.iter().filter(|p| p.source.is_none()).map(|p| p.name.as_str()).collect();
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
fn classify(out: &mut Parsed, manifests: &HashMap<String, Manifest>, lock: &Lockfile) {
    let n = out.packages.len();
    let mut direct = vec![false; n];
    let (mut prod, mut dev, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for &root in &out.roots {
        let manifest = lock.packages.get(root).and_then(|p| manifests.get(p.name.as_str()));
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
    let scopes = scopes_by_reachability(n, &out.edges, &prod, &dev, &unknown);
    for (i, pkg) in out.packages.iter_mut().enumerate() {
        if pkg.source == Source::Workspace {
            pkg.scope = Scope::Prod;
            pkg.direct = direct.get(i).copied().filter(|d| *d);
        } else {
            pkg.direct = direct.get(i).copied();
            pkg.scope = if manifests.is_empty() {
                Scope::Unknown
            } else {
                scopes.get(i).copied().unwrap_or(Scope::Unknown)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_checksums_are_refused_in_every_spelling() {
        let hex = "0".repeat(63);
        let raw = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"\u{feff}{hex}\"\n"
        );
        let escaped = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"\\uFEFF{hex}\"\n"
        );
        let v1 = format!("[metadata]\n\"checksum a 1.0.0 (registry+x)\" = \"\u{e9}{hex}\"\n");
        for text in [raw, escaped, v1] {
            let diag = non_ascii_checksum("Cargo.lock", &text).expect("refused");
            assert!(diag.message.contains("non-ASCII"), "{}", diag.message);
        }
        let fine = format!(
            "# caf\u{e9}\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nchecksum = \"{hex}0\"\n"
        );
        assert!(non_ascii_checksum("Cargo.lock", &fine).is_none());
    }

    #[test]
    fn toml_error_lines_are_extracted() {
        assert_eq!(toml_error_line("parse error: TOML parse error at line 7, column 3"), Some(7));
        assert_eq!(toml_error_line("parse error: something"), None);
    }
}
