//! PEP 751 `pylock.toml` / `pylock.<name>.toml`.
//!
//! The lock does not record direct dependencies (read from `pyproject.toml` when present).
//! Dev vs prod is expressed through markers: a marker that tests `dependency_groups` makes the
//! package dev, one that tests `extras` optional, none (or only environment tests) prod.
//! A package without `version` (source trees, VCS) cannot be matched and is reported.

use super::pyproject::direct_names;
use crate::inventory::{input_text, line_of, redact_url, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope, Source};
use std::collections::BTreeSet;
use toml::{Table, Value};

/// A dependency reference: name and, when the lock says, the exact version.
type NameVersion = (String, Option<String>);

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::PyPI, input.path);
    if crate::parsed::is_blank(input.bytes) {
        return inv.finish();
    }
    let Some(content) = input_text(input, &mut inv) else {
        return inv.finish();
    };
    let doc: Table = match content.parse() {
        Ok(t) => t,
        Err(e) => {
            let line = e.span().map(|s| line_of(content, s.start));
            inv.error(line, format!("not valid TOML: {}", e.message().trim()));
            return inv.finish();
        }
    };
    let Some(lock_version) = doc.get("lock-version").and_then(Value::as_str) else {
        inv.error(None, "no `lock-version`: this does not look like a pylock.toml");
        return inv.finish();
    };
    if lock_version.split('.').next() != Some("1") {
        inv.warn(
            None,
            format!(
                "lock-version `{lock_version}` is not the known version 1.x; reading it anyway"
            ),
        );
    }
    let direct = direct_names(input, &mut inv);
    let list = doc.get("packages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let mut deps: Vec<(usize, Vec<NameVersion>)> = Vec::new();
    let mut indexes: BTreeSet<String> = BTreeSet::new();
    let mut unversioned: Vec<String> = Vec::new();
    for (n, pkg) in list.iter().enumerate() {
        let Some(name) = pkg.get("name").and_then(Value::as_str) else {
            inv.warn(None, format!("packages #{} has no `name`; skipped", n + 1));
            continue;
        };
        let version = pkg.get("version").and_then(Value::as_str);
        let mut entry = Entry::registry(name, version.unwrap_or(""));
        let marker = pkg.get("marker").and_then(Value::as_str).unwrap_or("");
        entry.scope = if marker.contains("dependency_groups") {
            Scope::Dev
        } else if marker.contains("extras") {
            Scope::Optional
        } else {
            Scope::Prod
        };
        entry.source = if pkg.get("vcs").is_some() {
            Source::Git
        } else if pkg.get("directory").is_some() {
            Source::Path
        } else if let Some(archive) = pkg.get("archive") {
            if archive.get("path").is_some() {
                Source::Path
            } else {
                Source::Url
            }
        } else {
            Source::Registry
        };
        if let Some(index) = pkg.get("index").and_then(Value::as_str) {
            if !index.contains("pypi.org") {
                indexes.insert(redact_url(index));
            }
        }
        entry.direct = direct.as_ref().map(|d| d.contains(&Ecosystem::PyPI.normalize_name(name)));
        if version.is_none() {
            entry.pinned = false;
            if entry.source == Source::Registry {
                unversioned.push(name.to_owned());
            }
        }
        let Some(idx) = inv.add(entry) else { continue };
        let refs = pkg
            .get("dependencies")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|d| {
                        let name = d.get("name")?.as_str()?.to_owned();
                        Some((name, d.get("version").and_then(Value::as_str).map(str::to_owned)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        deps.push((idx, refs));
    }
    for (from, refs) in deps {
        for (name, version) in refs {
            for to in inv.find(&name) {
                if version.as_ref().is_none_or(|v| inv.get(to).is_some_and(|p| p.version == *v)) {
                    inv.edge(from, to);
                }
            }
        }
    }
    if !unversioned.is_empty() {
        inv.warn(
            None,
            format!(
                "{} package(s) have no `version` and cannot be matched (unknown, not safe): {}",
                unversioned.len(),
                unversioned.join(", ")
            ),
        );
    }
    for url in indexes {
        inv.info(
            None,
            format!("packages from the index {url} may not be the PyPI packages of the same name"),
        );
    }
    inv.finish()
}
