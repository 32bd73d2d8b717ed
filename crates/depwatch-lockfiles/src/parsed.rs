//! Rules shared by every format: line numbers for diagnostics, deduplication, and the
//! "never a silent zero" check, applied centrally by [`crate::parse`].

use crate::{Format, Input};
use depwatch_core::{Dependency, Diagnostic, Edge, Parsed, Scope};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::BTreeSet;

/// The 1-based line of byte `offset` in `bytes` (offsets past the end give the last line).
pub fn line_at(bytes: &[u8], offset: usize) -> u32 {
    let end = offset.min(bytes.len());
    let newlines = bytes.get(..end).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
    u32::try_from(newlines).map_or(u32::MAX, |n| n.saturating_add(1))
}

/// True when the file has nothing but whitespace.
pub fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b.is_ascii_whitespace())
}

/// Marks every package reachable from `starts` (inclusive) along `edges`, for `n` packages.
pub fn reachable(n: usize, edges: &[Edge], starts: impl IntoIterator<Item = usize>) -> Vec<bool> {
    let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges {
        if let Some(list) = adjacency.get_mut(e.from) {
            list.push(e.to);
        }
    }
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = starts.into_iter().filter(|&s| s < n).collect();
    while let Some(i) = stack.pop() {
        match seen.get_mut(i) {
            Some(flag) if !*flag => *flag = true,
            _ => continue,
        }
        if let Some(next) = adjacency.get(i) {
            stack.extend(next.iter().copied().filter(|&j| j < n));
        }
    }
    seen
}

/// Scope by reachability: prod if reachable from a prod start, else unknown if reachable from
/// a start of unknown kind, else dev if reachable from a dev start, else unknown.
pub fn scopes_by_reachability(
    n: usize,
    edges: &[Edge],
    prod: &[usize],
    dev: &[usize],
    unknown: &[usize],
) -> Vec<Scope> {
    let p = reachable(n, edges, prod.iter().copied());
    let d = reachable(n, edges, dev.iter().copied());
    let u = reachable(n, edges, unknown.iter().copied());
    (0..n)
        .map(|i| {
            if p.get(i) == Some(&true) {
                Scope::Prod
            } else if u.get(i) == Some(&true) {
                Scope::Unknown
            } else if d.get(i) == Some(&true) {
                Scope::Dev
            } else {
                Scope::Unknown
            }
        })
        .collect()
}

/// Post-processing applied to every parser's output by [`crate::parse`].
pub(crate) fn finish(format: Format, input: &Input<'_>, mut parsed: Parsed) -> Parsed {
    for dep in &mut parsed.packages {
        if dep.manifest.is_empty() {
            dep.manifest = input.path.to_owned();
        }
        dep.name = dep.ecosystem.normalize_name(&dep.name);
    }
    dedup(&mut parsed);
    if parsed.packages.is_empty() && parsed.diagnostics.is_empty() {
        parsed.diagnostics.push(if is_blank(input.bytes) {
            Diagnostic::info(input.path, "file is empty")
        } else {
            Diagnostic::warning(
                input.path,
                format!(
                    "recognised as {format} but no packages were found; if it lists \
                     dependencies, this variant of the format is not understood"
                ),
            )
        });
    }
    parsed
}

/// Merges packages with the same `(ecosystem, name, version)`, keeping every install path,
/// remapping edges and roots, and widening scope and directness (a package that is prod on one
/// path is prod).
pub fn dedup(parsed: &mut Parsed) {
    // Keys borrow the packages (no copies); a package's new index is the order in which its
    // key was first seen, so the first of each key keeps its place.
    let remap: Vec<usize> = {
        let mut index: FxHashMap<(depwatch_core::Ecosystem, &str, &str), usize> =
            FxHashMap::with_capacity_and_hasher(parsed.packages.len(), FxBuildHasher);
        parsed
            .packages
            .iter()
            .map(|dep| {
                let next = index.len();
                *index.entry((dep.ecosystem, &dep.name, &dep.version)).or_insert(next)
            })
            .collect()
    };
    if remap.iter().enumerate().any(|(i, &to)| i != to) {
        let mut kept: Vec<Dependency> = Vec::with_capacity(parsed.packages.len());
        for (dep, &i) in std::mem::take(&mut parsed.packages).into_iter().zip(&remap) {
            match kept.get_mut(i) {
                Some(existing) => merge_into(existing, dep),
                None => kept.push(dep),
            }
        }
        parsed.packages = kept;
    }
    // Sorted and unique, as a set would give.
    let mut edges: Vec<Edge> = parsed
        .edges
        .iter()
        .filter_map(|e| {
            let from = *remap.get(e.from)?;
            let to = *remap.get(e.to)?;
            (from != to).then_some(Edge { from, to })
        })
        .collect();
    edges.sort_unstable();
    edges.dedup();
    parsed.edges = edges;
    let mut seen = BTreeSet::new();
    parsed.roots = parsed
        .roots
        .iter()
        .filter_map(|&r| remap.get(r).copied())
        .filter(|r| seen.insert(*r))
        .collect();
}

fn merge_into(existing: &mut Dependency, other: Dependency) {
    existing.direct = match (existing.direct, other.direct) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    };
    existing.scope = wider_scope(existing.scope, other.scope);
    existing.pinned |= other.pinned;
    for path in other.paths {
        if !existing.paths.contains(&path) {
            existing.paths.push(path);
        }
    }
}

/// The scope of a package seen with two scopes: prod beats everything, then "cannot tell"
/// (it might be prod), then optional, peer and dev.
pub fn wider_scope(a: Scope, b: Scope) -> Scope {
    fn rank(s: Scope) -> u8 {
        match s {
            Scope::Prod => 4,
            Scope::Unknown => 3,
            Scope::Optional => 2,
            Scope::Peer => 1,
            Scope::Dev => 0,
        }
    }
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depwatch_core::{Ecosystem, Source};

    fn dep(name: &str, version: &str, scope: Scope, path: &str) -> Dependency {
        Dependency::new(Ecosystem::Npm, name, version, "package-lock.json")
            .with_scope(scope)
            .with_direct(Some(false))
            .with_path(path)
    }

    #[test]
    fn line_numbers_are_one_based() {
        let text = b"a\nbb\nccc";
        assert_eq!(line_at(text, 0), 1);
        assert_eq!(line_at(text, 2), 2);
        assert_eq!(line_at(text, 5), 3);
        assert_eq!(line_at(text, 1000), 3);
    }

    #[test]
    fn duplicates_merge_paths_scopes_and_edges() {
        let mut parsed = Parsed {
            packages: vec![
                dep("root", "1.0.0", Scope::Prod, "").with_source(Source::Workspace),
                dep("a", "1.0.0", Scope::Dev, "node_modules/a"),
                dep("b", "2.0.0", Scope::Prod, "node_modules/b"),
                dep("a", "1.0.0", Scope::Prod, "node_modules/b/node_modules/a"),
            ],
            edges: vec![Edge { from: 0, to: 1 }, Edge { from: 0, to: 2 }, Edge { from: 2, to: 3 }],
            roots: vec![0],
            diagnostics: vec![],
        };
        dedup(&mut parsed);
        assert_eq!(parsed.packages.len(), 3);
        let a = &parsed.packages[1];
        assert_eq!(a.scope, Scope::Prod);
        assert_eq!(a.paths, ["node_modules/a", "node_modules/b/node_modules/a"]);
        assert_eq!(
            parsed.edges,
            [Edge { from: 0, to: 1 }, Edge { from: 0, to: 2 }, Edge { from: 2, to: 1 }]
        );
        assert_eq!(parsed.roots, [0]);
    }

    #[test]
    fn unknown_scope_beats_dev_but_not_prod() {
        assert_eq!(wider_scope(Scope::Dev, Scope::Unknown), Scope::Unknown);
        assert_eq!(wider_scope(Scope::Unknown, Scope::Prod), Scope::Prod);
        assert_eq!(wider_scope(Scope::Optional, Scope::Dev), Scope::Optional);
    }
}
