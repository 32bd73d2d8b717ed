//! Pipenv's `Pipfile.lock`, with `Pipfile` beside it for direct dependencies.
//!
//! `default` is prod, `develop` dev; any other top-level key except `_meta` is a custom package
//! category (newer pipenv), installed only on request, so its scope is `Unknown`. The lock does
//! not record the graph.

use crate::inventory::{read_capped, text, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope, Source};
use serde_json::Value;
use std::collections::BTreeSet;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::PyPI, input.path);
    if crate::parsed::is_blank(input.bytes) {
        return inv.finish();
    }
    let root: Value = match serde_json::from_slice(input.bytes) {
        Ok(v) => v,
        Err(e) => {
            inv.error(Some(e.line()), format!("not valid JSON: {e}"));
            return inv.finish();
        }
    };
    let Some(obj) = root.as_object() else {
        inv.error(None, "expected a JSON object at the top level");
        return inv.finish();
    };
    if !obj.contains_key("_meta") && !obj.contains_key("default") {
        inv.error(None, "neither `_meta` nor `default`: this does not look like a Pipfile.lock");
        return inv.finish();
    }
    if let Some(spec) = obj.get("_meta").and_then(|m| m.get("pipfile-spec")).and_then(Value::as_u64)
    {
        if spec != 6 {
            inv.warn(
                None,
                format!("pipfile-spec {spec} is not the known version 6; reading it anyway"),
            );
        }
    }
    let direct = companion_direct(input, &mut inv);
    for (category, packages) in obj {
        if category == "_meta" {
            continue;
        }
        let scope = match category.as_str() {
            "default" => Scope::Prod,
            "develop" => Scope::Dev,
            _ => Scope::Unknown,
        };
        let Some(packages) = packages.as_object() else {
            inv.warn(None, format!("`{category}` is not an object; skipped"));
            continue;
        };
        for (name, info) in packages {
            let mut entry = Entry::registry(name.as_str(), "");
            entry.scope = scope;
            entry.direct =
                direct.as_ref().map(|d| d.contains(&Ecosystem::PyPI.normalize_name(name)));
            match info.get("version").and_then(Value::as_str) {
                Some(v) => match v.strip_prefix("===").or_else(|| v.strip_prefix("==")) {
                    Some(exact) => entry.version = exact.trim().to_owned(),
                    None => {
                        entry.version = v.to_owned();
                        entry.pinned = false;
                        inv.warn(None, format!("`{category}` › `{name}` has version `{v}`, not an exact pin; not matched"));
                    }
                },
                None => {
                    entry.pinned = false;
                    entry.source = if info.get("git").is_some()
                        || info.get("hg").is_some()
                        || info.get("svn").is_some()
                    {
                        Source::Git
                    } else if info.get("path").is_some() {
                        Source::Path
                    } else if info.get("file").is_some() {
                        Source::Url
                    } else {
                        inv.warn(None, format!("`{category}` › `{name}` has neither a version nor a source; it cannot be matched"));
                        Source::Registry
                    };
                    if let Some(reference) = info.get("ref").and_then(Value::as_str) {
                        entry.version = reference.to_owned();
                    }
                }
            }
            inv.add(entry);
        }
    }
    inv.finish()
}

/// Normalized names from `Pipfile` `[packages]`, `[dev-packages]` and custom category tables.
fn companion_direct(input: &Input<'_>, inv: &mut Inventory) -> Option<BTreeSet<String>> {
    let path = crate::join_path(input.dir(), "Pipfile");
    let bytes = match read_capped(input.repo, &path, input.options.max_bytes) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(msg) => {
            inv.warn(None, msg);
            return None;
        }
    };
    let doc: toml::Table = match text(&bytes).parse() {
        Ok(t) => t,
        Err(e) => {
            inv.warn(
                None,
                format!("{path} is not valid TOML ({}); direct dependencies unknown", e.message()),
            );
            return None;
        }
    };
    let mut names = BTreeSet::new();
    for (key, value) in &doc {
        if matches!(key.as_str(), "source" | "requires" | "scripts" | "pipenv") {
            continue;
        }
        if let Some(table) = value.as_table() {
            names.extend(table.keys().map(|k| Ecosystem::PyPI.normalize_name(k)));
        }
    }
    Some(names)
}
