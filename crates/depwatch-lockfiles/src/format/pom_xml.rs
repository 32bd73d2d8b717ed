//! Maven's `pom.xml`: the direct dependencies of one module.
//!
//! Versions are resolved as Maven would without a network: `${…}` from `<properties>` and the
//! `project.*` built-ins, missing versions from `<dependencyManagement>`, and both inherited
//! from parent POMs that live in the same repository (`<relativePath>`, default `../pom.xml`).
//! What stays unresolved (remote parents, imported BOMs, undefined properties) is reported and
//! listed unpinned. Transitive dependencies need a Maven registry and are not resolved here.

use crate::inventory::{
    input_text, line_of, read_capped, resolve_relative, text, Entry, Inventory,
};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Limits for hostile input: element nesting, element count, parent chain, interpolated length.
const MAX_DEPTH: usize = 64;
const MAX_NODES: usize = 200_000;
const MAX_PARENTS: usize = 10;
const MAX_VALUE_LEN: usize = 4096;

/// A minimal element tree: POMs are small, and a tree makes the lookups plain.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    /// Byte offset of the start tag, for line numbers.
    pos: usize,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn value(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.trim().to_owned())
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn parse_tree(content: &str) -> Result<Node, (String, usize)> {
    let mut reader = Reader::from_str(content);
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut count = 0usize;
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            (
                format!("not well-formed XML: {e}"),
                usize::try_from(reader.error_position()).unwrap_or(0),
            )
        })?;
        match event {
            Event::Start(e) => {
                count += 1;
                if stack.len() > MAX_DEPTH || count > MAX_NODES {
                    return Err((
                        format!("more than {MAX_DEPTH} levels or {MAX_NODES} elements"),
                        pos,
                    ));
                }
                stack.push(Node {
                    name: e.local_name().as_ref().to_owned(),
                    pos,
                    ..Node::default()
                });
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| ("unbalanced end tag".to_owned(), pos))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Err(("unbalanced end tag".to_owned(), pos)),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(top) = stack.last_mut() {
                    match resolved {
                        Some(c) => top.text.push(c),
                        None => {
                            top.text.push('&');
                            top.text.push_str(&r);
                            top.text.push(';');
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(("unexpected end of file inside an element".to_owned(), content.len()));
    }
    let root = stack.pop().unwrap_or_default();
    root.children
        .into_iter()
        .find(|c| c.name == "project")
        .ok_or_else(|| ("no <project> root element".to_owned(), 0))
}

#[derive(Debug, Clone)]
struct Dep {
    group: String,
    artifact: String,
    version: Option<String>,
    scope: Option<String>,
    kind: Option<String>,
    optional: bool,
    pos: usize,
}

fn deps_of(node: Option<&Node>) -> Vec<Dep> {
    node.map(|n| n.children_named("dependency").collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|d| Dep {
            group: d.value("groupId").unwrap_or_default(),
            artifact: d.value("artifactId").unwrap_or_default(),
            version: d.value("version").filter(|v| !v.is_empty()),
            scope: d.value("scope").filter(|v| !v.is_empty()),
            kind: d.value("type"),
            optional: d.value("optional").is_some_and(|o| o == "true"),
            pos: d.pos,
        })
        .collect()
}

/// What one POM file says, before inheritance.
struct Pom {
    group: Option<String>,
    artifact: Option<String>,
    version: Option<String>,
    parent: Option<ParentRef>,
    properties: Vec<(String, String)>,
    managed: Vec<Dep>,
    deps: Vec<Dep>,
    profile_deps: bool,
}

struct ParentRef {
    group: String,
    artifact: String,
    version: Option<String>,
    /// `None`: the default `../pom.xml`; `Some("")`: look only in repositories.
    relative_path: Option<String>,
}

fn pom_of(project: &Node) -> Pom {
    let parent = project.child("parent").map(|p| ParentRef {
        group: p.value("groupId").unwrap_or_default(),
        artifact: p.value("artifactId").unwrap_or_default(),
        version: p.value("version"),
        relative_path: p.value("relativePath"),
    });
    Pom {
        group: project.value("groupId"),
        artifact: project.value("artifactId"),
        version: project.value("version"),
        parent,
        properties: project
            .child("properties")
            .map(|p| {
                p.children.iter().map(|c| (c.name.clone(), c.text.trim().to_owned())).collect()
            })
            .unwrap_or_default(),
        managed: deps_of(
            project.child("dependencyManagement").and_then(|m| m.child("dependencies")),
        ),
        deps: deps_of(project.child("dependencies")),
        profile_deps: project.child("profiles").is_some_and(|ps| {
            ps.children_named("profile")
                .any(|p| p.child("dependencies").is_some_and(|d| !d.children.is_empty()))
        }),
    }
}

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::Maven, input.path);
    if crate::parsed::is_blank(input.bytes) {
        return inv.finish();
    }
    let Some(content) = input_text(input, &mut inv) else {
        return inv.finish();
    };
    let project = match parse_tree(content) {
        Ok(p) => p,
        Err((msg, pos)) => {
            inv.error(Some(line_of(content, pos)), msg);
            return inv.finish();
        }
    };
    let child = pom_of(&project);

    // The chain of in-repository parents, nearest first.
    let mut ancestors: Vec<Pom> = Vec::new();
    let mut visited: HashSet<String> = HashSet::from([input.path.to_owned()]);
    let mut unresolved_parent: Option<String> = None;
    let mut current_path = input.path.to_owned();
    let mut next = child
        .parent
        .as_ref()
        .map(|p| (p.group.clone(), p.artifact.clone(), p.version.clone(), p.relative_path.clone()));
    while let Some((group, artifact, version, relative)) = next.take() {
        let coordinates = format!("{group}:{artifact}:{}", version.as_deref().unwrap_or("?"));
        if ancestors.len() >= MAX_PARENTS {
            inv.warn(
                None,
                format!("parent chain longer than {MAX_PARENTS}; stopped at {coordinates}"),
            );
            break;
        }
        let relative = relative.unwrap_or_else(|| "../pom.xml".to_owned());
        let found = if relative.is_empty() {
            None
        } else {
            let rel = if relative.ends_with(".xml") {
                relative.clone()
            } else {
                format!("{}/pom.xml", relative.trim_end_matches('/'))
            };
            resolve_relative(&current_path, &rel)
        };
        let Some(parent_path) = found.filter(|p| !visited.contains(p)) else {
            unresolved_parent = Some(coordinates);
            break;
        };
        let bytes = match read_capped(input.repo, &parent_path, input.options.max_bytes) {
            Ok(Some(b)) => b,
            Ok(None) => {
                unresolved_parent = Some(coordinates);
                break;
            }
            Err(msg) => {
                inv.warn(None, msg);
                unresolved_parent = Some(coordinates);
                break;
            }
        };
        let parent_text = text(&bytes).into_owned();
        let parent = match parse_tree(&parent_text) {
            Ok(node) => pom_of(&node),
            Err((msg, pos)) => {
                inv.warn(
                    None,
                    format!("parent POM {parent_path}:{}: {msg}", line_of(&parent_text, pos)),
                );
                unresolved_parent = Some(coordinates);
                break;
            }
        };
        let parent_group =
            parent.group.clone().or_else(|| parent.parent.as_ref().map(|p| p.group.clone()));
        if parent.artifact.as_deref() != Some(artifact.as_str())
            || parent_group.as_deref() != Some(group.as_str())
        {
            // Maven ignores a relativePath that points at another project and goes remote.
            unresolved_parent = Some(coordinates);
            break;
        }
        visited.insert(parent_path.clone());
        current_path = parent_path;
        next = parent.parent.as_ref().map(|p| {
            (p.group.clone(), p.artifact.clone(), p.version.clone(), p.relative_path.clone())
        });
        ancestors.push(parent);
    }

    // Properties and management: farthest ancestor first, so nearer POMs override.
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    let mut managed: BTreeMap<(String, String), Dep> = BTreeMap::new();
    // Document order (parents' first), a nearer POM replacing an inherited entry in place.
    let mut deps: Vec<((String, String), Dep)> = Vec::new();
    let mut dep_index: HashMap<(String, String), usize> = HashMap::new();
    let mut boms: Vec<String> = Vec::new();
    for pom in ancestors.iter().rev().chain(std::iter::once(&child)) {
        props.extend(pom.properties.iter().cloned());
        for d in &pom.managed {
            if d.scope.as_deref() == Some("import") {
                boms.push(format!("{}:{}", d.group, d.artifact));
                continue;
            }
            managed.insert((d.group.clone(), d.artifact.clone()), d.clone());
        }
        for d in &pom.deps {
            let key = (d.group.clone(), d.artifact.clone());
            match dep_index.get(&key).and_then(|&i| deps.get_mut(i)) {
                Some(slot) => slot.1 = d.clone(),
                None => {
                    dep_index.insert(key.clone(), deps.len());
                    deps.push((key, d.clone()));
                }
            }
        }
        if pom.profile_deps {
            inv.info(None, "dependencies declared inside <profiles> are not included (profile activation is not known)");
        }
    }
    let parent = child.parent.as_ref();
    let version = child.version.clone().or_else(|| parent.and_then(|p| p.version.clone()));
    let group = child.group.clone().or_else(|| parent.map(|p| p.group.clone()));
    let builtins = [
        ("project.version", version),
        ("project.groupId", group),
        ("project.artifactId", child.artifact.clone()),
        ("project.parent.version", parent.and_then(|p| p.version.clone())),
        ("project.parent.groupId", parent.map(|p| p.group.clone())),
        ("project.parent.artifactId", parent.map(|p| p.artifact.clone())),
    ];
    for (key, value) in builtins {
        if let Some(value) = value {
            // `pom.*` and bare `version` are deprecated spellings still seen in old POMs.
            props.insert(key.replacen("project.", "pom.", 1), value.clone());
            props.insert(key.to_owned(), value);
        }
    }
    // Managed keys may themselves use properties (`${project.groupId}`).
    let managed: BTreeMap<(String, String), Dep> = managed
        .into_values()
        .map(|d| ((interpolate(&d.group, &props), interpolate(&d.artifact, &props)), d))
        .collect();

    let mut unresolved = 0usize;
    for (_, dep) in deps {
        let group = interpolate(&dep.group, &props);
        let artifact = interpolate(&dep.artifact, &props);
        let line = Some(line_of(content, dep.pos)).filter(|_| dep.pos > 0);
        if group.is_empty() || artifact.is_empty() {
            inv.warn(line, "dependency without groupId or artifactId; skipped");
            continue;
        }
        let name = format!("{group}:{artifact}");
        let managed_dep = managed.get(&(group.clone(), artifact.clone()));
        let raw_version =
            dep.version.clone().or_else(|| managed_dep.and_then(|m| m.version.clone()));
        let scope_text = dep.scope.clone().or_else(|| managed_dep.and_then(|m| m.scope.clone()));
        if scope_text.as_deref() == Some("import")
            || dep.kind.as_deref() == Some("pom") && scope_text.as_deref() == Some("import")
        {
            continue;
        }
        let mut entry = Entry::registry(name.clone(), "");
        entry.direct = Some(true);
        entry.scope = match scope_text.as_deref() {
            _ if dep.optional => Scope::Optional,
            Some("test") => Scope::Dev,
            _ => Scope::Prod,
        };
        match raw_version {
            None => {
                unresolved += 1;
                entry.pinned = false;
                inv.warn(line, format!("{name} has no version here or in the dependencyManagement of in-repository POMs"));
            }
            Some(raw) => {
                let v = interpolate(&raw, &props);
                entry.version.clone_from(&v);
                if v.contains("${") {
                    unresolved += 1;
                    entry.pinned = false;
                    inv.warn(line, format!("{name} version `{raw}` uses a property that is not defined in the repository's POMs"));
                } else if v.starts_with(['[', '(']) || v.contains(',') {
                    entry.pinned = false;
                    inv.warn(line, format!("{name} version `{v}` is a range; not matched"));
                } else if v.is_empty() {
                    unresolved += 1;
                    entry.pinned = false;
                    inv.warn(line, format!("{name} has an empty version"));
                }
            }
        }
        inv.add(entry);
    }
    if unresolved > 0 {
        if let Some(p) = unresolved_parent {
            inv.info(
                None,
                format!(
                    "parent POM {p} is not in the repository; the versions it manages are unknown"
                ),
            );
        }
        if !boms.is_empty() {
            inv.info(None, format!("imported BOMs are not read: {}", boms.join(", ")));
        }
    }
    if inv.len() > 0 {
        inv.info(
            None,
            "a POM lists direct dependencies only; transitive dependencies are not resolved",
        );
    }
    inv.finish()
}

/// Replaces `${name}` from `props`, recursively, with bounded passes and length.
fn interpolate(value: &str, props: &BTreeMap<String, String>) -> String {
    let mut out = value.to_owned();
    for _ in 0..10 {
        if !out.contains("${") {
            break;
        }
        let mut next = String::with_capacity(out.len());
        let mut rest = out.as_str();
        let mut changed = false;
        while let Some(start) = rest.find("${") {
            next.push_str(rest.get(..start).unwrap_or(""));
            let after = rest.get(start + 2..).unwrap_or("");
            match after.find('}') {
                Some(end) => {
                    let key = after.get(..end).unwrap_or("");
                    match props.get(key) {
                        Some(v) => {
                            next.push_str(v);
                            changed = true;
                        }
                        None => {
                            next.push_str("${");
                            next.push_str(key);
                            next.push('}');
                        }
                    }
                    rest = after.get(end + 1..).unwrap_or("");
                }
                None => {
                    next.push_str(rest.get(start..).unwrap_or(""));
                    rest = "";
                }
            }
            if next.len() > MAX_VALUE_LEN {
                return next.chars().take(MAX_VALUE_LEN).collect();
            }
        }
        next.push_str(rest);
        out = next;
        if !changed {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_is_recursive_and_bounded() {
        let mut props = BTreeMap::new();
        props.insert("a".to_owned(), "${b}.${b}".to_owned());
        props.insert("b".to_owned(), "1".to_owned());
        assert_eq!(interpolate("${a}", &props), "1.1");
        assert_eq!(interpolate("${missing}", &props), "${missing}");
        assert_eq!(interpolate("x${", &props), "x${");
        let mut bomb = BTreeMap::new();
        bomb.insert("x".to_owned(), "${x}${x}".to_owned());
        assert!(interpolate("${x}", &bomb).len() <= MAX_VALUE_LEN);
    }

    #[test]
    fn malformed_xml_is_an_error_with_a_position() {
        assert!(parse_tree("<project><dependencies></project>").is_err());
        assert!(parse_tree("<notpom/>").is_err());
        assert!(parse_tree("<project><version>1 &amp; 2</version></project>").is_ok());
    }
}
