//! `package.json` alone: the declared (direct) dependencies of one npm project.
//!
//! Also the companion manifest the npm lockfile parsers read to tell direct and dev
//! dependencies apart when the lock itself does not record it.

use crate::Input;
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Parsed, Scope, Source};
use serde_json::Value;

/// The dependency sections of a `package.json`, with the scope each implies.
pub(crate) const SECTIONS: [(&str, Scope); 4] = [
    ("dependencies", Scope::Prod),
    ("optionalDependencies", Scope::Optional),
    ("devDependencies", Scope::Dev),
    ("peerDependencies", Scope::Peer),
];

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared {
    /// The key in the manifest (an alias name for `npm:` specs).
    pub key: String,
    /// The spec as written (`^1.2.0`, `npm:real@^1`, `workspace:*`, `github:u/r`).
    pub spec: String,
    pub scope: Scope,
}

/// The parts of a `package.json` that matter to depwatch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    pub name: Option<String>,
    pub version: Option<String>,
    pub dependencies: Vec<Declared>,
    /// `workspaces` globs (array form or `{packages: […]}` form).
    pub workspaces: Vec<String>,
}

impl Manifest {
    /// The widest scope `key` is declared with, if declared at all.
    pub fn scope_of(&self, key: &str) -> Option<Scope> {
        self.dependencies
            .iter()
            .filter(|d| d.key == key)
            .map(|d| d.scope)
            .reduce(crate::parsed::wider_scope)
    }
}

/// Reads a manifest from JSON text; the error names the line.
pub(crate) fn read_manifest(path: &str, text: &str) -> Result<Manifest, Diagnostic> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Diagnostic::error(path, format!("invalid package.json: {e}"))
            .at_line(u32::try_from(e.line()).unwrap_or(u32::MAX))
    })?;
    manifest_from_value(&value).ok_or_else(|| {
        Diagnostic::error(path, "invalid package.json: the top level is not an object")
    })
}

/// Reads the manifest fields from an already parsed object (bun and npm lockfiles embed them).
pub(crate) fn manifest_from_value(value: &Value) -> Option<Manifest> {
    let obj = value.as_object()?;
    let mut m = Manifest {
        name: obj.get("name").and_then(Value::as_str).map(str::to_owned),
        version: obj.get("version").and_then(Value::as_str).map(str::to_owned),
        ..Manifest::default()
    };
    for (section, scope) in SECTIONS {
        let Some(deps) = obj.get(section).and_then(Value::as_object) else { continue };
        for (key, spec) in deps {
            let spec = spec.as_str().unwrap_or("*").to_owned();
            m.dependencies.push(Declared { key: key.clone(), spec, scope });
        }
    }
    let workspaces = match obj.get("workspaces") {
        Some(Value::Array(a)) => Some(a),
        Some(Value::Object(o)) => o.get("packages").and_then(Value::as_array),
        _ => None,
    };
    if let Some(list) = workspaces {
        m.workspaces = list.iter().filter_map(Value::as_str).map(str::to_owned).collect();
    }
    Some(m)
}

/// Reads the companion `package.json` of `dir` (`""` = repository root) through the
/// repository; a broken one becomes a Warning and `None`.
pub(crate) fn companion(
    input: &Input<'_>,
    dir: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Manifest> {
    let path = crate::join_path(dir, "package.json");
    let bytes = input.repo.read(&path)?;
    let text = String::from_utf8_lossy(&bytes);
    match read_manifest(&path, &text) {
        Ok(m) => Some(m),
        Err(mut d) => {
            d.level = depwatch_core::DiagnosticLevel::Warning;
            d.message = format!("{} (companion of {})", d.message, input.path);
            diagnostics.push(d);
            None
        }
    }
}

/// The folders (relative to `dir`) of the workspaces matching `patterns`: literal folders and
/// globs, with `*` inside a name (`packages/*`, `apps/web-*`) and `**` for any number of
/// folders (`packages/**`, `libs/**/pkg`), expanded through [`crate::RepoFiles::list`] the way
/// npm and yarn do: `node_modules` and hidden folders are never entered. Patterns that leave
/// the repository or cannot be listed are left out.
pub(crate) fn workspace_dirs(input: &Input<'_>, dir: &str, patterns: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut budget = GlobBudget { lists: 0 };
    for pattern in patterns {
        let pattern = pattern.trim().trim_start_matches("./").trim_end_matches('/');
        if pattern.is_empty()
            || pattern.starts_with('!')
            || pattern.starts_with('/')
            || pattern.split('/').any(|s| s == "..")
        {
            continue;
        }
        let segments: Vec<&str> =
            pattern.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
        expand_glob(input.repo, dir, String::new(), &segments, 0, &mut budget, &mut found);
    }
    found.sort();
    found.dedup();
    found
}

/// Bounds one manifest's glob expansion, whatever the tree looks like.
struct GlobBudget {
    lists: usize,
}

/// Most folders listed while expanding one manifest's workspace globs.
const MAX_GLOB_LISTS: usize = 10_000;
/// Deepest folder a `**` descends to, below where it starts.
const MAX_GLOB_DEPTH: usize = 16;
/// Most workspace folders one manifest can declare.
const MAX_WORKSPACES: usize = 5_000;

/// Appends to `out` the folders below `dir`/`rel` matching `segments`.
fn expand_glob(
    repo: &dyn crate::RepoFiles,
    dir: &str,
    rel: String,
    segments: &[&str],
    depth: usize,
    budget: &mut GlobBudget,
    out: &mut Vec<String>,
) {
    if out.len() >= MAX_WORKSPACES {
        return;
    }
    let Some((first, rest)) = segments.split_first() else {
        if !rel.is_empty() {
            out.push(rel);
        }
        return;
    };
    if !first.contains('*') {
        expand_glob(repo, dir, crate::join_path(&rel, first), rest, depth, budget, out);
        return;
    }
    if budget.lists >= MAX_GLOB_LISTS {
        return;
    }
    budget.lists += 1;
    let Some(children) = repo.list(&crate::join_path(dir, &rel)) else { return };
    let children: Vec<String> = children
        .into_iter()
        .filter(|c| c != "node_modules" && !c.starts_with('.') && !c.is_empty())
        .collect();
    if *first == "**" {
        // `**` matches zero folders here, or one more folder and stays in place.
        expand_glob(repo, dir, rel.clone(), rest, depth, budget, out);
        if depth < MAX_GLOB_DEPTH {
            for child in children {
                let next = crate::join_path(&rel, &child);
                expand_glob(repo, dir, next, segments, depth + 1, budget, out);
            }
        }
        return;
    }
    for child in children.into_iter().filter(|c| crate::discovery::segment_matches(first, c)) {
        expand_glob(repo, dir, crate::join_path(&rel, &child), rest, depth, budget, out);
    }
}

/// What a dependency spec resolves to: the real package name, the version or range, and
/// where it comes from. `npm:real@range` aliases give the real name.
pub(crate) fn resolve_spec(key: &str, spec: &str) -> (String, String, Source) {
    let spec = spec.trim();
    if let Some(rest) = spec.strip_prefix("npm:") {
        let (name, range) = split_name_version(rest);
        let range = if range.is_empty() { "*" } else { range };
        return (name.to_owned(), range.to_owned(), Source::Registry);
    }
    (key.to_owned(), spec.to_owned(), spec_source(spec))
}

/// The source a version-like string implies (`file:`, `link:`, git URLs, tarball URLs,
/// GitHub shorthands); `Registry` for plain versions and ranges.
pub(crate) fn spec_source(spec: &str) -> Source {
    let s = spec.trim();
    if s.starts_with("workspace:") || s.starts_with("link:") || s.starts_with("portal:") {
        Source::Workspace
    } else if s.starts_with("file:") || s.starts_with('.') || s.starts_with('/') {
        Source::Path
    } else if s.starts_with("git")
        || s.starts_with("github:")
        || s.starts_with("gitlab:")
        || s.starts_with("bitbucket:")
        || s.starts_with("gist:")
        || s.contains(".git#")
        || s.ends_with(".git")
        || is_github_shorthand(s)
    {
        Source::Git
    } else if s.starts_with("http://") || s.starts_with("https://") {
        Source::Url
    } else {
        Source::Registry
    }
}

/// `user/repo` or `user/repo#ref`, npm's GitHub shorthand.
fn is_github_shorthand(s: &str) -> bool {
    let base = s.split('#').next().unwrap_or(s);
    let mut parts = base.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(u), Some(r), None) if !u.is_empty() && !r.is_empty()
            && !u.starts_with('@')
            && !u.contains([' ', ':', '^', '~', '<', '>', '=', '*'])
    )
}

/// Splits `name@version` at the last `@` that is not the scope's leading one.
pub(crate) fn split_name_version(s: &str) -> (&str, &str) {
    match s.get(1..).and_then(|rest| rest.rfind('@')) {
        Some(at) => (s.get(..=at).unwrap_or(s), s.get(at + 2..).unwrap_or("")),
        None => (s, ""),
    }
}

/// True for an exact `MAJOR.MINOR.PATCH[-pre][+build]` version (no range operators).
pub(crate) fn is_exact_version(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
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
    if text.trim().is_empty() {
        out.diagnostics.push(Diagnostic::error(input.path, "invalid package.json: file is empty"));
        return out;
    }
    let manifest = match read_manifest(input.path, text) {
        Ok(m) => m,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    for d in &manifest.dependencies {
        let (name, version, source) = resolve_spec(&d.key, &d.spec);
        let pinned = source == Source::Registry && is_exact_version(&version);
        let mut dep = Dependency::new(Ecosystem::Npm, name, version, input.path)
            .with_pinned(pinned)
            .with_direct(Some(true))
            .with_scope(d.scope)
            .with_source(source);
        if d.key != dep.name {
            dep.paths.push(d.key.clone());
        }
        out.packages.push(dep);
    }
    if out.packages.is_empty() {
        out.diagnostics.push(Diagnostic::info(input.path, "declares no dependencies"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseOptions;
    use std::collections::BTreeMap;

    fn dirs_in(files: &[&str], dir: &str, patterns: &[&str]) -> Vec<String> {
        let repo: BTreeMap<String, Vec<u8>> =
            files.iter().map(|f| ((*f).to_owned(), b"{}".to_vec())).collect();
        let options = ParseOptions::default();
        let input = Input { path: "yarn.lock", bytes: b"", repo: &repo, options: &options };
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        workspace_dirs(&input, dir, &patterns)
    }

    #[test]
    fn workspace_globs_expand_double_stars_and_name_wildcards() {
        let files = [
            "package.json",
            "libs/a/package.json",
            "libs/group/b/package.json",
            "libs/group/b/node_modules/dep/package.json",
            "libs/.hidden/c/package.json",
            "apps/admin-web/package.json",
            "apps/admin-api/package.json",
            "tools/x/y/pkg/package.json",
            "tools/pkg/package.json",
        ];
        let mut found = dirs_in(&files, "", &["libs/**", "apps/*-web", "tools/**/pkg", "./docs/"]);
        // Consumers read `<dir>/package.json`; a listing does not say which names are folders.
        found.retain(|d| files.contains(&format!("{d}/package.json").as_str()));
        assert_eq!(
            found,
            ["apps/admin-web", "libs/a", "libs/group/b", "tools/pkg", "tools/x/y/pkg"]
        );
        // Below a sub-folder lockfile, and patterns that leave the repository are dropped.
        let nested = ["web/package.json", "web/pkgs/deep/one/package.json"];
        let mut found = dirs_in(&nested, "web", &["pkgs/**/one", "../x/*", "/abs/*"]);
        found.retain(|d| nested.contains(&format!("web/{d}/package.json").as_str()));
        assert_eq!(found, ["pkgs/deep/one"]);
    }

    #[test]
    fn specs_resolve_aliases_and_sources() {
        assert_eq!(
            resolve_spec("sw-cjs", "npm:string-width@^4.2.0"),
            ("string-width".into(), "^4.2.0".into(), Source::Registry)
        );
        assert_eq!(
            resolve_spec("x", "npm:@scope/pkg@1.0.0"),
            ("@scope/pkg".into(), "1.0.0".into(), Source::Registry)
        );
        assert_eq!(spec_source("^1.2.3"), Source::Registry);
        assert_eq!(spec_source("workspace:*"), Source::Workspace);
        assert_eq!(spec_source("file:../x"), Source::Path);
        assert_eq!(spec_source("github:user/repo"), Source::Git);
        assert_eq!(spec_source("user/repo#v1"), Source::Git);
        assert_eq!(spec_source("git+ssh://git@host/x.git"), Source::Git);
        assert_eq!(spec_source("https://host/x.tgz"), Source::Url);
        assert_eq!(spec_source(">=1.0.0 <2"), Source::Registry);
    }

    #[test]
    fn names_split_at_the_last_unscoped_at() {
        assert_eq!(split_name_version("@babel/core@7.1.0"), ("@babel/core", "7.1.0"));
        assert_eq!(split_name_version("lodash@4.17.21"), ("lodash", "4.17.21"));
        assert_eq!(split_name_version("@scope/only"), ("@scope/only", ""));
        assert_eq!(split_name_version("@"), ("@", ""));
        assert!(is_exact_version("1.2.3-beta.1+b"));
        assert!(!is_exact_version("^1.2.3"));
        assert!(!is_exact_version("1.2"));
    }
}
