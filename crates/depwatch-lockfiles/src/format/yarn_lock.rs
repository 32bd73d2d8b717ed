//! `yarn.lock`: classic v1 (its own indented syntax, read by a small hand-written parser, not
//! a YAML library) and berry (Yarn 2+, YAML with `__metadata`).
//!
//! Neither records direct or dev dependencies: those come from the workspaces' `package.json`
//! files (berry lists its workspaces; v1 only through the root manifest's `workspaces`), then
//! by reachability over the graph.

use super::package_json::{self, companion, spec_source, workspace_dirs, Manifest};
use crate::parsed::scopes_by_reachability;
use crate::{join_path, Input};
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};
use serde_json::Value;
use std::collections::HashMap;

/// One lock entry, before linking.
#[derive(Debug)]
struct Entry {
    /// The descriptors (`name@range`) this entry resolves.
    descriptors: Vec<String>,
    name: String,
    version: String,
    source: Source,
    /// `(name, range)` pairs; the descriptor is `name@range`.
    deps: Vec<(String, String)>,
    /// The folder of a workspace (`""` for the root), for workspace entries.
    workspace: Option<String>,
}

impl Default for Entry {
    fn default() -> Self {
        Self {
            descriptors: Vec::new(),
            name: String::new(),
            version: String::new(),
            source: Source::Registry,
            deps: Vec::new(),
            workspace: None,
        }
    }
}

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut out = Parsed::default();
    let text = match input.text() {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let is_berry = text.lines().any(|l| l.starts_with("__metadata:"));
    let entries = if is_berry {
        berry_entries(input, text, &mut out.diagnostics)
    } else {
        v1_entries(input, text, &mut out.diagnostics)
    };
    let Some(mut entries) = entries else { return out };
    if entries.is_empty() {
        if !text.trim().is_empty() && !is_berry && !text.contains("yarn lockfile v1") {
            out.diagnostics.push(Diagnostic::warning(
                input.path,
                "no entries found and no `# yarn lockfile v1` header: not a yarn.lock?",
            ));
        } else {
            out.diagnostics.push(Diagnostic::info(input.path, "lists no packages"));
        }
        return out;
    }
    let manifests = workspace_manifests(input, is_berry, &mut entries, &mut out.diagnostics);
    assemble(input, entries, &manifests, &mut out);
    out
}

/// The first `@` after position 0 separates the name from the range (`@scope/n@npm:x@^1`).
fn split_descriptor(d: &str) -> (&str, &str) {
    match d.get(1..).and_then(|rest| rest.find('@')) {
        Some(i) => (d.get(..=i).unwrap_or(d), d.get(i + 2..).unwrap_or("")),
        None => (d, ""),
    }
}

/// Where a `resolved` URL (v1) points.
fn resolved_source(resolved: Option<&str>) -> Source {
    match resolved {
        None => Source::Registry,
        Some(r) if r.contains("codeload.github.com") => Source::Git,
        Some(r) if (r.starts_with("https://") || r.starts_with("http://")) && r.contains("/-/") => {
            Source::Registry
        }
        Some(r) => match spec_source(r) {
            Source::Registry => Source::Path,
            other => other,
        },
    }
}

// ---------------------------------------------------------------- v1

/// Reads one possibly-quoted token from the start of `s`; returns it and the rest.
fn token(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(body) = s.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => return Some((value, body.get(i + 1..).unwrap_or(""))),
                _ => value.push(c),
            }
        }
        None
    } else {
        let end = s.find([' ', ',', '\t']).unwrap_or(s.len());
        let (tok, rest) = s.split_at(end);
        (!tok.is_empty()).then(|| (tok.to_owned(), rest))
    }
}

fn v1_entries(
    input: &Input<'_>,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut section: Option<String> = None;
    // False after an unreadable header, so its fields do not land in the previous entry.
    let mut in_entry = false;
    let mut bad_lines = 0usize;
    let mut first_bad: Option<(u32, String)> = None;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        let mut bad = |why: &str| {
            bad_lines += 1;
            if first_bad.is_none() {
                first_bad = Some((line_no, why.to_owned()));
            }
        };
        match indent {
            0 => {
                in_entry = false;
                let Some(header) = content.trim_end().strip_suffix(':') else {
                    bad("an entry header must end with `:`");
                    continue;
                };
                let mut descriptors = Vec::new();
                let mut rest = header;
                while let Some((tok, after)) = token(rest) {
                    descriptors.push(tok);
                    rest = after.trim_start().strip_prefix(',').unwrap_or(after);
                    if rest.trim().is_empty() {
                        break;
                    }
                }
                if descriptors.is_empty() {
                    bad("entry header without descriptors");
                    continue;
                }
                let (name, range) = split_descriptor(descriptors.first().map_or("", |d| d));
                let name = match range.strip_prefix("npm:") {
                    Some(real) => split_descriptor(real).0.to_owned(),
                    None => name.to_owned(),
                };
                entries.push(Entry { descriptors, name, ..Entry::default() });
                in_entry = true;
                section = None;
            }
            2 => {
                let Some(entry) = entries.last_mut().filter(|_| in_entry) else {
                    bad("field outside of an entry");
                    continue;
                };
                let trimmed = content.trim_end();
                if let Some(name) = trimmed.strip_suffix(':') {
                    section = Some(name.trim_matches('"').to_owned());
                    continue;
                }
                section = None;
                let Some((key, rest)) = token(trimmed) else {
                    bad("unreadable field");
                    continue;
                };
                let value = token(rest).map(|(v, _)| v);
                match (key.as_str(), value) {
                    ("version", Some(v)) => entry.version = v,
                    ("resolved", Some(v)) => entry.source = resolved_source(Some(&v)),
                    _ => {}
                }
            }
            4 => {
                let Some(entry) = entries.last_mut().filter(|_| in_entry) else { continue };
                let Some(sec) = &section else {
                    bad("nested value outside of a section");
                    continue;
                };
                if !matches!(sec.as_str(), "dependencies" | "optionalDependencies") {
                    continue;
                }
                let Some((name, rest)) = token(content) else {
                    bad("unreadable dependency");
                    continue;
                };
                let range = token(rest).map(|(v, _)| v).unwrap_or_default();
                entry.deps.push((name, range));
            }
            _ => bad("unexpected indentation"),
        }
    }
    if let Some((line, why)) = first_bad {
        diagnostics.push(
            Diagnostic::warning(
                input.path,
                format!("{bad_lines} line(s) could not be read as yarn.lock v1 (first: {why})"),
            )
            .at_line(line),
        );
    }
    let before = entries.len();
    entries.retain(|e| !e.version.is_empty());
    if entries.len() < before {
        diagnostics.push(Diagnostic::warning(
            input.path,
            format!("{} entr(y/ies) without a `version` were skipped", before - entries.len()),
        ));
    }
    for e in &mut entries {
        // A range that is itself a non-registry spec (`file:`, git URL) says where it comes from.
        if let Some((_, range)) = e.descriptors.first().map(|d| split_descriptor(d)) {
            let from_spec = spec_source(range);
            if from_spec != Source::Registry && !range.starts_with("npm:") {
                e.source = from_spec;
            }
        }
    }
    Some(entries)
}

// ---------------------------------------------------------------- berry

fn berry_entries(
    input: &Input<'_>,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<Entry>> {
    let docs = match crate::yaml::documents(input.path, text) {
        Ok(d) => d,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let Some(root) = docs.last().and_then(Value::as_object) else {
        diagnostics.push(Diagnostic::error(input.path, "yarn berry lockfile is not a mapping"));
        return None;
    };
    let mut entries = Vec::new();
    let mut unreadable = 0usize;
    for (key, value) in root {
        if key == "__metadata" {
            continue;
        }
        let Some(obj) = value.as_object() else {
            unreadable += 1;
            continue;
        };
        let Some(resolution) = obj.get("resolution").and_then(Value::as_str) else {
            unreadable += 1;
            continue;
        };
        let (name, reference) = split_descriptor(resolution);
        let (protocol, rest) = reference.split_once(':').unwrap_or(("", reference));
        let version = obj.get("version").map(scalar).unwrap_or_default();
        let mut entry = Entry {
            descriptors: key.split(", ").map(|d| d.trim().to_owned()).collect(),
            name: name.to_owned(),
            version: version.clone(),
            ..Entry::default()
        };
        entry.source = match protocol {
            "npm" => {
                // An alias resolves to `real@npm:1.2.3`: already the real name.
                if !rest.is_empty() {
                    entry.version = rest.to_owned();
                }
                Source::Registry
            }
            // A patched package is the underlying npm package once more: same name and
            // version, so deduplication counts it once.
            "patch" => Source::Registry,
            "workspace" => {
                entry.workspace = Some(if rest == "." { String::new() } else { rest.to_owned() });
                Source::Workspace
            }
            "link" | "portal" => Source::Workspace,
            "file" => Source::Path,
            "exec" => Source::Url,
            "git" | "git+ssh" | "git+https" | "github" => Source::Git,
            "http" | "https" => {
                if reference.contains(".git#") || reference.contains("#commit=") {
                    Source::Git
                } else {
                    Source::Url
                }
            }
            _ => spec_source(reference),
        };
        if entry.version.is_empty() {
            unreadable += 1;
            continue;
        }
        if protocol == "patch" {
            // The patched package depends on what it patches, so that the plain entry is
            // reached (and classified) through the patch.
            for d in &entry.descriptors {
                let inner = split_descriptor(d).1.strip_prefix("patch:").unwrap_or("");
                let inner = percent_decode(inner.split('#').next().unwrap_or(""));
                let (n, r) = split_descriptor(&inner);
                if !n.is_empty() && !r.is_empty() {
                    entry.deps.push((n.to_owned(), r.to_owned()));
                }
            }
        }
        for section in ["dependencies", "optionalDependencies"] {
            let Some(deps) = obj.get(section).and_then(Value::as_object) else { continue };
            for (dep, range) in deps {
                entry.deps.push((dep.clone(), scalar(range)));
            }
        }
        entries.push(entry);
    }
    if unreadable > 0 {
        diagnostics.push(Diagnostic::warning(
            input.path,
            format!(
                "{unreadable} entr(y/ies) without a readable `resolution`/`version` were skipped"
            ),
        ));
    }
    Some(entries)
}

/// Decodes `%XX` escapes (berry writes `npm%3A^2.3.3` inside patch descriptors).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A YAML scalar as text (versions like `1.0` may load as numbers).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------- linking

/// The manifests of the workspaces, keyed by workspace folder. For v1, synthetic workspace
/// entries are added from the manifests, since the lock does not list workspaces.
fn workspace_manifests(
    input: &Input<'_>,
    is_berry: bool,
    entries: &mut Vec<Entry>,
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<String, Manifest> {
    let mut manifests = HashMap::new();
    if is_berry {
        for e in entries.iter() {
            if let Some(dir) = &e.workspace {
                let full = join_path(input.dir(), dir);
                if let Some(m) = companion(input, &full, diagnostics) {
                    manifests.insert(dir.clone(), m);
                }
            }
        }
        return manifests;
    }
    let Some(root) = companion(input, input.dir(), diagnostics) else {
        diagnostics.push(Diagnostic::info(
            input.path,
            "no package.json beside yarn.lock: direct and dev dependencies unknown",
        ));
        return manifests;
    };
    let mut dirs = vec![String::new()];
    dirs.extend(workspace_dirs(input, input.dir(), &root.workspaces));
    if !root.workspaces.is_empty() && dirs.len() == 1 {
        diagnostics.push(Diagnostic::info(
            input.path,
            "the workspaces of package.json could not be listed: packages only they use have \
             unknown scope",
        ));
    }
    let mut root = Some(root);
    for dir in dirs {
        let manifest = if dir.is_empty() {
            root.take()
        } else {
            companion(input, &join_path(input.dir(), &dir), diagnostics)
        };
        let Some(m) = manifest else { continue };
        let name = m.name.clone().unwrap_or_else(|| {
            if dir.is_empty() {
                "(root)".to_owned()
            } else {
                dir.clone()
            }
        });
        entries.push(Entry {
            descriptors: Vec::new(),
            name,
            version: m.version.clone().unwrap_or_else(|| "0.0.0".to_owned()),
            source: Source::Workspace,
            deps: m.dependencies.iter().map(|d| (d.key.clone(), d.spec.clone())).collect(),
            workspace: Some(dir.clone()),
        });
        manifests.insert(dir, m);
    }
    manifests
}

fn assemble(
    input: &Input<'_>,
    entries: Vec<Entry>,
    manifests: &HashMap<String, Manifest>,
    out: &mut Parsed,
) {
    let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        for d in &e.descriptors {
            by_descriptor.insert(d.as_str(), i);
        }
    }
    // A `resolutions` override keeps the original range in `dependencies` but locks another
    // one: when a name has a single entry, that entry is the one installed.
    let mut by_name: HashMap<&str, Option<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(d) = e.descriptors.first() {
            let name = split_descriptor(d).0;
            by_name.entry(name).and_modify(|slot| *slot = None).or_insert(Some(i));
        }
    }
    let mut unresolved = 0usize;
    let mut edges = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        for (name, range) in &e.deps {
            let descriptor = format!("{name}@{range}");
            let found = by_descriptor
                .get(descriptor.as_str())
                .copied()
                .or_else(|| by_name.get(name.as_str()).copied().flatten());
            match found {
                Some(to) => edges.push(Edge { from: i, to }),
                // Workspace and local links are not always locked; registry ones must be.
                None if e.workspace.is_some()
                    && package_json::spec_source(range) != Source::Registry => {}
                None => unresolved += 1,
            }
        }
    }
    if unresolved > 0 {
        out.diagnostics.push(Diagnostic::warning(
            input.path,
            format!("{unresolved} dependenc(y/ies) have no matching lock entry"),
        ));
    }

    let n = entries.len();
    let roots: Vec<usize> =
        entries.iter().enumerate().filter(|(_, e)| e.workspace.is_some()).map(|(i, _)| i).collect();
    let mut direct = vec![false; n];
    let (mut prod, mut dev, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for &r in &roots {
        let manifest =
            entries.get(r).and_then(|e| e.workspace.as_ref()).and_then(|d| manifests.get(d));
        let Some(entry) = entries.get(r) else { continue };
        for edge in edges.iter().filter(|e| e.from == r) {
            if let Some(flag) = direct.get_mut(edge.to) {
                *flag = true;
            }
            let key = entries
                .get(edge.to)
                .and_then(|t| {
                    entry.deps.iter().find(|(_, range)| {
                        t.descriptors.iter().any(|d| split_descriptor(d).1 == range)
                    })
                })
                .map(|(k, _)| k.as_str());
            match manifest.zip(key).and_then(|(m, k)| m.scope_of(k)) {
                Some(Scope::Dev) => dev.push(edge.to),
                Some(_) => prod.push(edge.to),
                None => unknown.push(edge.to),
            }
        }
    }
    let workspaces_unlisted =
        manifests.get("").is_some_and(|m| !m.workspaces.is_empty() && manifests.len() == 1);
    if workspaces_unlisted {
        // Unlisted workspaces may use anything "dev-only" from the root: say unknown instead.
        unknown.append(&mut dev);
    }
    let scopes = scopes_by_reachability(n, &edges, &prod, &dev, &unknown);
    let known = !roots.is_empty();
    for (i, e) in entries.into_iter().enumerate() {
        let is_root = e.workspace.is_some();
        let mut dep =
            Dependency::new(Ecosystem::Npm, e.name, e.version, input.path).with_source(e.source);
        dep.paths = e.descriptors;
        if is_root {
            dep.scope = Scope::Prod;
            dep.pinned = false;
            if let Some(dir) = e.workspace.filter(|d| !d.is_empty()) {
                dep.paths.push(dir);
            }
        } else if known {
            dep.direct = direct.get(i).copied();
            dep.scope = scopes.get(i).copied().unwrap_or(Scope::Unknown);
        }
        out.packages.push(dep);
    }
    out.edges = edges;
    out.roots = roots;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_split_at_the_first_unscoped_at() {
        assert_eq!(split_descriptor("@babel/core@^7.0.0"), ("@babel/core", "^7.0.0"));
        assert_eq!(split_descriptor("a@npm:@s/b@^1"), ("a", "npm:@s/b@^1"));
        assert_eq!(split_descriptor("x@git+ssh://git@h/x.git"), ("x", "git+ssh://git@h/x.git"));
        assert_eq!(split_descriptor("@"), ("@", ""));
        assert_eq!(percent_decode("fsevents@npm%3A^2.3.3"), "fsevents@npm:^2.3.3");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn tokens_unquote_and_unescape() {
        assert_eq!(token(r#""a \"b\"", c"#), Some((r#"a "b""#.to_owned(), ", c")));
        assert_eq!(token("plain rest"), Some(("plain".to_owned(), " rest")));
        assert_eq!(token(r#""unterminated"#), None);
        assert_eq!(token("   "), None);
    }
}
