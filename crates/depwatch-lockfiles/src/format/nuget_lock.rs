//! NuGet's `packages.lock.json`.
//!
//! The same package repeats under every target framework (`net8.0`, `net8.0/linux-x64`, …);
//! it is deduplicated on `(id, resolved)`. `Project` entries are project references inside the
//! repository and are skipped. Ids are case-insensitive and lowercased.

use crate::inventory::{Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed};
use serde_json::Value;
use std::collections::HashMap;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::NuGet, input.path);
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
    match root.get("version").and_then(Value::as_u64) {
        Some(1 | 2) => {}
        Some(other) => inv.warn(None, format!("lock file version {other} is newer than the versions known (1, 2); reading it as version 2")),
        None => inv.warn(None, "no numeric `version`; reading it as version 2"),
    }
    let Some(frameworks) = root.get("dependencies").and_then(Value::as_object) else {
        inv.error(None, "no `dependencies` object: this does not look like a packages.lock.json");
        return inv.finish();
    };
    for (tfm, packages) in frameworks {
        let Some(packages) = packages.as_object() else {
            inv.warn(None, format!("`dependencies.{tfm}` is not an object; skipped"));
            continue;
        };
        // Per framework: id → index, for resolving this framework's edges.
        let mut here: HashMap<String, usize> = HashMap::new();
        let mut deps: Vec<(usize, Vec<String>)> = Vec::new();
        for (id, info) in packages {
            let kind = info.get("type").and_then(Value::as_str).unwrap_or("");
            if kind == "Project" {
                continue;
            }
            let Some(resolved) = info.get("resolved").and_then(Value::as_str) else {
                inv.warn(None, format!("`{tfm}` › `{id}` has no `resolved` version; skipped"));
                continue;
            };
            let mut entry = Entry::registry(id.as_str(), resolved);
            entry.direct = match kind {
                "Direct" => Some(true),
                "Transitive" | "CentralTransitive" => Some(false),
                _ => None,
            };
            let Some(idx) = inv.add(entry) else { continue };
            here.insert(id.to_ascii_lowercase(), idx);
            if let Some(map) = info.get("dependencies").and_then(Value::as_object) {
                deps.push((idx, map.keys().map(|k| k.to_ascii_lowercase()).collect()));
            }
        }
        for (from, names) in deps {
            for name in names {
                if let Some(&to) = here.get(&name) {
                    inv.edge(from, to);
                }
            }
        }
    }
    inv.finish()
}
