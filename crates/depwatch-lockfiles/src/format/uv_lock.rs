//! uv's `uv.lock`.
//!
//! Project packages (an `editable` or `virtual` source, or a `[manifest] members` entry) are the
//! roots. Their `dependencies` are the direct prod dependencies, their `optional-dependencies`
//! the extras and their `dev-dependencies` the dependency groups; a package's scope is the
//! strongest way it can be reached from a root. Forked resolutions list several versions of one
//! name: each is kept, and a dependency entry's `version` picks among them.

use crate::inventory::{input_text, line_of, redact_url, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope, Source};
use std::collections::{BTreeSet, HashSet, VecDeque};
use toml::{Table, Value};

const PYPI: &str = "https://pypi.org/simple";

/// One `{ name, version?, extra? }` dependency entry.
struct DepRef {
    name: String,
    version: Option<String>,
    extras: Vec<String>,
}

struct Pkg {
    idx: usize,
    name: String,
    is_root: bool,
    deps: Vec<DepRef>,
    optional: Vec<(String, Vec<DepRef>)>,
    dev: Vec<DepRef>,
}

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
    match doc.get("version").and_then(Value::as_integer) {
        Some(1) => {}
        Some(v) => inv.warn(
            None,
            format!("uv.lock version {v} is not the known version 1; reading it anyway"),
        ),
        None => {
            inv.error(None, "no integer `version`: this does not look like a uv.lock");
            return inv.finish();
        }
    }
    let members: BTreeSet<String> = doc
        .get("manifest")
        .and_then(|m| m.get("members"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter().filter_map(Value::as_str).map(|s| Ecosystem::PyPI.normalize_name(s)).collect()
        })
        .unwrap_or_default();
    let list = doc.get("package").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let mut pkgs: Vec<Pkg> = Vec::new();
    let mut registries: BTreeSet<String> = BTreeSet::new();
    for (n, pkg) in list.iter().enumerate() {
        let Some(name) = pkg.get("name").and_then(Value::as_str) else {
            inv.warn(None, format!("package #{} has no `name`; skipped", n + 1));
            continue;
        };
        let source = pkg.get("source").and_then(Value::as_table);
        let has = |k: &str| source.is_some_and(|s| s.contains_key(k));
        let is_root = has("editable")
            || has("virtual")
            || members.contains(&Ecosystem::PyPI.normalize_name(name));
        let version = pkg.get("version").and_then(Value::as_str);
        let mut entry = Entry::registry(name, version.unwrap_or(""));
        entry.source = if is_root {
            Source::Workspace
        } else if has("git") {
            Source::Git
        } else if has("url") {
            Source::Url
        } else if has("path") || has("directory") {
            Source::Path
        } else {
            if let Some(url) = source.and_then(|s| s.get("registry")).and_then(Value::as_str) {
                if url.trim_end_matches('/') != PYPI {
                    registries.insert(redact_url(url));
                }
            }
            Source::Registry
        };
        if version.is_none() {
            entry.pinned = false;
            if entry.source == Source::Registry {
                inv.warn(None, format!("`{name}` has no version; it cannot be matched"));
            }
        }
        let Some(idx) = inv.add(entry) else { continue };
        let groups = |key: &str| -> Vec<(String, Vec<DepRef>)> {
            pkg.get(key)
                .and_then(Value::as_table)
                .map(|t| t.iter().map(|(g, v)| (g.clone(), dep_refs(Some(v)))).collect())
                .unwrap_or_default()
        };
        pkgs.push(Pkg {
            idx,
            name: Ecosystem::PyPI.normalize_name(name),
            is_root,
            deps: dep_refs(pkg.get("dependencies")),
            optional: groups("optional-dependencies"),
            dev: groups("dev-dependencies").into_iter().flat_map(|(_, d)| d).collect(),
        });
    }

    let resolve = |inv: &Inventory, d: &DepRef| -> Vec<usize> {
        let found = inv.find(&d.name);
        match &d.version {
            Some(v) => {
                let exact: Vec<usize> = found
                    .iter()
                    .copied()
                    .filter(|&i| inv.get(i).is_some_and(|p| p.version == *v))
                    .collect();
                if exact.is_empty() {
                    found
                } else {
                    exact
                }
            }
            None => found,
        }
    };
    // Extras somebody asks for: only those optional dependency groups are installed.
    let requested: HashSet<(String, String)> = pkgs
        .iter()
        .flat_map(|p| {
            p.deps.iter().chain(p.optional.iter().flat_map(|(_, d)| d)).chain(p.dev.iter())
        })
        .flat_map(|d| d.extras.iter().map(|e| (Ecosystem::PyPI.normalize_name(&d.name), e.clone())))
        .collect();

    let n = inv.len();
    let mut prod_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    // With every extra enabled: what an unrequested extra would install is optional, not unknown.
    let mut all_extras_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let (mut prod_starts, mut optional_starts, mut dev_starts) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut roots = Vec::new();
    for p in &pkgs {
        if p.is_root {
            roots.push(p.idx);
        }
        for d in &p.deps {
            for to in resolve(&inv, d) {
                inv.edge(p.idx, to);
                for adj in [&mut prod_adj, &mut all_extras_adj] {
                    if let Some(adj) = adj.get_mut(p.idx) {
                        adj.push(to);
                    }
                }
                if p.is_root {
                    prod_starts.push(to);
                }
            }
        }
        for (extra, list) in &p.optional {
            let wanted = requested.contains(&(p.name.clone(), extra.clone()));
            for d in list {
                for to in resolve(&inv, d) {
                    inv.edge(p.idx, to);
                    if let Some(adj) = all_extras_adj.get_mut(p.idx) {
                        adj.push(to);
                    }
                    if wanted {
                        if let Some(adj) = prod_adj.get_mut(p.idx) {
                            adj.push(to);
                        }
                    }
                    if p.is_root {
                        optional_starts.push(to);
                    }
                }
            }
        }
        for d in &p.dev {
            for to in resolve(&inv, d) {
                inv.edge(p.idx, to);
                if p.is_root {
                    dev_starts.push(to);
                }
            }
        }
    }
    if roots.is_empty() && n > 0 {
        inv.warn(None, "no project package (editable or virtual source): direct dependencies and dev vs prod unknown");
    } else {
        let prod = walk(&prod_adj, &prod_starts);
        let all_starts: Vec<usize> = prod_starts.iter().chain(&optional_starts).copied().collect();
        let optional = walk(&all_extras_adj, &all_starts);
        let dev = walk(&prod_adj, &dev_starts);
        let direct: HashSet<usize> =
            prod_starts.iter().chain(&optional_starts).chain(&dev_starts).copied().collect();
        let root_set: HashSet<usize> = roots.iter().copied().collect();
        for i in 0..n {
            let flag = |v: &Vec<bool>| v.get(i).copied().unwrap_or(false);
            if let Some(p) = inv.get_mut(i) {
                p.scope = if root_set.contains(&i) || flag(&prod) {
                    Scope::Prod
                } else if flag(&optional) {
                    Scope::Optional
                } else if flag(&dev) {
                    Scope::Dev
                } else {
                    Scope::Unknown
                };
                p.direct = if root_set.contains(&i) { None } else { Some(direct.contains(&i)) };
            }
        }
    }
    for r in roots {
        inv.root(r);
    }
    for url in registries {
        inv.info(
            None,
            format!("packages from the index {url} may not be the PyPI packages of the same name"),
        );
    }
    inv.finish()
}

fn dep_refs(value: Option<&Value>) -> Vec<DepRef> {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|d| {
            Some(DepRef {
                name: d.get("name")?.as_str()?.to_owned(),
                version: d.get("version").and_then(Value::as_str).map(str::to_owned),
                extras: d
                    .get("extra")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

fn walk(adj: &[Vec<usize>], starts: &[usize]) -> Vec<bool> {
    let mut seen = vec![false; adj.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for &s in starts {
        if let Some(f) = seen.get_mut(s) {
            if !*f {
                *f = true;
                queue.push_back(s);
            }
        }
    }
    while let Some(x) = queue.pop_front() {
        for &y in adj.get(x).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(f) = seen.get_mut(y) {
                if !*f {
                    *f = true;
                    queue.push_back(y);
                }
            }
        }
    }
    seen
}
