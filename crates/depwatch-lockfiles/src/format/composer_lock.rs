//! Composer's `composer.lock`, with `composer.json` beside it for direct dependencies.
//!
//! `packages` are prod and `packages-dev` dev for the whole graph. Versions lose a leading `v`
//! (`v7.3.4` → `7.3.4`) as advisories spell them; branch versions (`dev-main`, `2.x-dev`) have
//! no order, so they are kept as written, marked unpinned and reported.

use crate::inventory::{read_capped, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope, Source};
use serde_json::Value;
use std::collections::BTreeSet;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::Packagist, input.path);
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
    if !obj.contains_key("packages") {
        inv.error(None, "no `packages` key: this does not look like a composer.lock");
        return inv.finish();
    }
    let direct = companion_direct(input, &mut inv);

    let mut requires: Vec<(usize, Vec<String>)> = Vec::new();
    let mut branches: Vec<String> = Vec::new();
    for (key, scope) in [("packages", Scope::Prod), ("packages-dev", Scope::Dev)] {
        let list = match obj.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(list)) => list,
            Some(_) => {
                inv.warn(None, format!("`{key}` is not a list; skipped"));
                continue;
            }
        };
        for (n, pkg) in list.iter().enumerate() {
            let name = pkg.get("name").and_then(Value::as_str);
            let version = pkg.get("version").and_then(Value::as_str);
            let (Some(name), Some(version)) = (name, version) else {
                inv.warn(None, format!("`{key}[{n}]` has no string `name` and `version`; skipped"));
                continue;
            };
            let mut entry = Entry::registry(name, normalize_version(version));
            entry.scope = scope;
            entry.source = source_of(pkg);
            entry.direct = direct.as_ref().map(|d| d.contains(&name.to_ascii_lowercase()));
            if is_branch(version) {
                entry.pinned = false;
                branches.push(format!("{name} ({version})"));
            }
            let Some(idx) = inv.add(entry) else { continue };
            let deps = pkg
                .get("require")
                .and_then(Value::as_object)
                .map(|m| {
                    m.keys().filter(|k| !is_platform(k)).map(|k| k.to_ascii_lowercase()).collect()
                })
                .unwrap_or_default();
            requires.push((idx, deps));
        }
    }
    let by_name = inv.by_name();
    for (from, deps) in requires {
        for dep in deps {
            for &to in by_name.get(&dep).map(Vec::as_slice).unwrap_or(&[]) {
                inv.edge(from, to);
            }
        }
    }
    if !branches.is_empty() {
        inv.warn(
            None,
            format!("{} package(s) are locked to a branch, which has no release order and is not matched: {}", branches.len(), branches.join(", ")),
        );
    }
    inv.finish()
}

/// Names listed in `composer.json` `require`/`require-dev`, when that file is in the repository.
fn companion_direct(input: &Input<'_>, inv: &mut Inventory) -> Option<BTreeSet<String>> {
    let path = crate::join_path(input.dir(), "composer.json");
    let bytes = match read_capped(input.repo, &path, input.options.max_bytes) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(msg) => {
            inv.warn(None, msg);
            return None;
        }
    };
    let manifest: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            inv.warn(None, format!("{path} is not valid JSON ({e}); direct dependencies unknown"));
            return None;
        }
    };
    let mut names = BTreeSet::new();
    for key in ["require", "require-dev"] {
        if let Some(map) = manifest.get(key).and_then(Value::as_object) {
            names.extend(map.keys().map(|k| k.to_ascii_lowercase()));
        }
    }
    Some(names)
}

fn normalize_version(v: &str) -> String {
    match v.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest.to_owned(),
        _ => v.to_owned(),
    }
}

fn is_branch(v: &str) -> bool {
    v.starts_with("dev-") || v.ends_with("-dev")
}

/// `php`, `ext-*`, `lib-*`, `composer-plugin-api`, …: platform requirements, not packages.
fn is_platform(name: &str) -> bool {
    !name.contains('/')
}

fn source_of(pkg: &Value) -> Source {
    let dist_type = pkg.get("dist").and_then(|d| d.get("type")).and_then(Value::as_str);
    let source_type = pkg.get("source").and_then(|s| s.get("type")).and_then(Value::as_str);
    match (dist_type, source_type) {
        (Some("path"), _) | (None, Some("path")) => Source::Path,
        (None, Some("git" | "hg" | "svn" | "fossil")) => Source::Git,
        _ => Source::Registry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_branches() {
        assert_eq!(normalize_version("v7.3.4"), "7.3.4");
        assert_eq!(normalize_version("dev-main"), "dev-main");
        assert!(is_branch("dev-main"));
        assert!(is_branch("2.x-dev"));
        assert!(!is_branch("1.0.0"));
        assert!(is_platform("ext-json"));
        assert!(!is_platform("symfony/console"));
    }
}
