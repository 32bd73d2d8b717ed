//! Poetry's `poetry.lock`, lock versions 1.x, 2.0 and 2.1.
//!
//! Dev vs prod: 2.1 has `groups` (prod if `main` is among them); 1.x and early 2.0 have
//! `category`; later 2.0 files have neither, and then the scope comes from walking the graph
//! from `pyproject.toml`'s direct dependencies, or stays `Unknown` without it.

use super::pyproject::direct_names;
use crate::inventory::{input_text, line_of, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope, Source};
use std::collections::BTreeSet;
use toml::{Table, Value};

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
    let lock_version = doc
        .get("metadata")
        .and_then(|m| m.get("lock-version"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match lock_version.split('.').next() {
        Some("1" | "2") => {}
        _ => inv.warn(None, format!("lock-version `{lock_version}` is not a known Poetry lock version (1.x, 2.x); reading it as 2.x")),
    }
    let Some(packages) = doc.get("package").and_then(Value::as_array) else {
        if doc.get("metadata").is_none() {
            inv.error(
                None,
                "no `[[package]]` and no `[metadata]`: this does not look like a poetry.lock",
            );
        }
        return inv.finish();
    };
    let direct = direct_names(input, &mut inv);
    let mut deps: Vec<(usize, Vec<String>)> = Vec::new();
    let mut private_sources: BTreeSet<String> = BTreeSet::new();
    let mut scope_unknown = 0usize;
    for (n, pkg) in packages.iter().enumerate() {
        let name = pkg.get("name").and_then(Value::as_str);
        let version = pkg.get("version").and_then(Value::as_str);
        let (Some(name), Some(version)) = (name, version) else {
            inv.warn(
                None,
                format!("package #{} has no string `name` and `version`; skipped", n + 1),
            );
            continue;
        };
        let mut entry = Entry::registry(name, version);
        entry.scope = scope_of(pkg);
        if entry.scope == Scope::Unknown {
            scope_unknown += 1;
        }
        if pkg.get("optional").and_then(Value::as_bool) == Some(true) && entry.scope != Scope::Dev {
            entry.scope = Scope::Optional;
        }
        let source = pkg.get("source");
        entry.source = match source.and_then(|s| s.get("type")).and_then(Value::as_str) {
            None => Source::Registry,
            Some("git") => Source::Git,
            Some("directory" | "file") => Source::Path,
            Some("url") => Source::Url,
            Some(other) => {
                let label = source
                    .and_then(|s| s.get("reference"))
                    .and_then(Value::as_str)
                    .unwrap_or(other);
                private_sources.insert(label.to_owned());
                Source::Registry
            }
        };
        entry.direct = direct.as_ref().map(|d| d.contains(&Ecosystem::PyPI.normalize_name(name)));
        let Some(idx) = inv.add(entry) else { continue };
        let names = pkg
            .get("dependencies")
            .and_then(Value::as_table)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        deps.push((idx, names));
    }
    let by_name = inv.by_name();
    for (from, names) in deps {
        for name in names {
            for &to in by_name
                .get(&Ecosystem::PyPI.normalize_name(&name))
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                inv.edge(from, to);
            }
        }
    }
    if scope_unknown > 0 {
        match &direct {
            Some(names) => scopes_from_graph(&mut inv, &names.prod, &names.dev),
            None => inv.info(
                None,
                format!("{scope_unknown} package(s) have no `category`/`groups` and pyproject.toml is not available: dev vs prod unknown"),
            ),
        }
    }
    for label in private_sources {
        inv.info(None, format!("packages from the private source `{label}` may not be the PyPI packages of the same name"));
    }
    inv.finish()
}

fn scope_of(pkg: &Value) -> Scope {
    if let Some(groups) = pkg.get("groups").and_then(Value::as_array) {
        if groups.iter().any(|g| g.as_str() == Some("main")) {
            return Scope::Prod;
        }
        if !groups.is_empty() {
            return Scope::Dev;
        }
    }
    match pkg.get("category").and_then(Value::as_str) {
        Some("main") => Scope::Prod,
        Some("dev") => Scope::Dev,
        _ => Scope::Unknown,
    }
}

/// For packages without a recorded scope: reachable from a prod direct dependency → prod,
/// else reachable from a dev one → dev.
fn scopes_from_graph(inv: &mut Inventory, prod: &BTreeSet<String>, dev: &BTreeSet<String>) {
    let starts = |names: &BTreeSet<String>, inv: &Inventory| -> Vec<usize> {
        names.iter().flat_map(|n| inv.find(n)).collect()
    };
    let prod_reach = inv.reachable(&starts(prod, inv));
    let dev_reach = inv.reachable(&starts(dev, inv));
    for i in 0..inv.len() {
        if let Some(p) = inv.get_mut(i) {
            if p.scope != Scope::Unknown {
                continue;
            }
            if prod_reach.get(i) == Some(&true) {
                p.scope = Scope::Prod;
            } else if dev_reach.get(i) == Some(&true) {
                p.scope = Scope::Dev;
            }
        }
    }
}
