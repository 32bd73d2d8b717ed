//! The package list a parser builds: deduplicated on `(name, version)`, with graph edges by index.
//!
//! Lockfiles repeat one package under several platforms, target frameworks or categories; the
//! reference rules say to keep one entry per `(ecosystem, name, version)` and merge what each
//! occurrence says about it.

use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Edges kept per file. Real lockfiles have at most tens of thousands; a hostile file that asks
/// for more (many versions of one name, each depended on by many packages) is cut off here.
const MAX_EDGES: usize = 2_000_000;

/// One occurrence of a package, before deduplication.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: String,
    pub version: String,
    pub pinned: bool,
    pub direct: Option<bool>,
    pub scope: Scope,
    pub source: Source,
}

impl Entry {
    /// A pinned registry package with unknown directness and scope.
    pub fn registry(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            pinned: true,
            direct: None,
            scope: Scope::Unknown,
            source: Source::Registry,
        }
    }
}

/// Accumulates packages for one manifest path and ecosystem.
pub(crate) struct Inventory {
    ecosystem: Ecosystem,
    manifest: String,
    packages: Vec<Dependency>,
    index: HashMap<(String, String), usize>,
    /// Normalized name → indices, so name lookups stay O(1) on hostile, huge files.
    names: HashMap<String, Vec<usize>>,
    edges: BTreeSet<Edge>,
    roots: BTreeSet<usize>,
    edges_truncated: bool,
    pub diagnostics: Vec<Diagnostic>,
}

/// Rank used when one package appears with several scopes: the most consequential one wins.
/// `Unknown` beats `Dev` because an unknown occurrence may well be a production one.
fn scope_rank(scope: Scope) -> u8 {
    match scope {
        Scope::Prod => 0,
        Scope::Unknown => 1,
        Scope::Optional => 2,
        Scope::Peer => 3,
        Scope::Dev => 4,
    }
}

pub(crate) fn merge_scope(a: Scope, b: Scope) -> Scope {
    if scope_rank(a) <= scope_rank(b) {
        a
    } else {
        b
    }
}

pub(crate) fn merge_direct(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

impl Inventory {
    pub fn new(ecosystem: Ecosystem, manifest: &str) -> Self {
        Self {
            ecosystem,
            manifest: manifest.to_owned(),
            packages: Vec::new(),
            index: HashMap::new(),
            names: HashMap::new(),
            edges: BTreeSet::new(),
            roots: BTreeSet::new(),
            edges_truncated: false,
            diagnostics: Vec::new(),
        }
    }

    /// Adds an occurrence (the name is normalized here) and returns the package's index;
    /// `None` (with a warning) for an entry without a name.
    pub fn add(&mut self, entry: Entry) -> Option<usize> {
        self.add_from(entry, None)
    }

    /// Like [`Inventory::add`], recording a different file (an included requirements file) as
    /// the package's manifest.
    pub fn add_from(&mut self, mut entry: Entry, manifest: Option<&str>) -> Option<usize> {
        let name = self.ecosystem.normalize_name(&entry.name);
        if name.trim().is_empty() {
            self.warn(
                None,
                format!(
                    "an entry with an empty name (version `{}`) was skipped",
                    clip(&entry.version)
                ),
            );
            return None;
        }
        // An empty version is no pin, whatever the format's field said.
        if entry.version.trim().is_empty() {
            entry.pinned = false;
        }
        let key = (name.clone(), entry.version.clone());
        if let Some(&i) = self.index.get(&key) {
            if let Some(p) = self.packages.get_mut(i) {
                p.direct = merge_direct(p.direct, entry.direct);
                p.scope = merge_scope(p.scope, entry.scope);
                p.pinned = p.pinned || entry.pinned;
            }
            return Some(i);
        }
        let i = self.packages.len();
        self.packages.push(
            Dependency::new(
                self.ecosystem,
                name,
                entry.version,
                manifest.unwrap_or(&self.manifest),
            )
            .with_pinned(entry.pinned)
            .with_direct(entry.direct)
            .with_scope(entry.scope)
            .with_source(entry.source),
        );
        self.names.entry(key.0.clone()).or_default().push(i);
        self.index.insert(key, i);
        Some(i)
    }

    pub fn len(&self) -> usize {
        self.packages.len()
    }

    pub fn get(&self, i: usize) -> Option<&Dependency> {
        self.packages.get(i)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Dependency> {
        self.packages.get_mut(i)
    }

    /// Indices of every package with this (raw or normalized) name.
    pub fn find(&self, name: &str) -> Vec<usize> {
        let name = self.ecosystem.normalize_name(name);
        self.packages.iter().enumerate().filter(|(_, p)| p.name == name).map(|(i, _)| i).collect()
    }

    /// A name → indices map, for formats that resolve many edges by name.
    pub fn by_name(&self) -> HashMap<String, Vec<usize>> {
        self.names.clone()
    }

    pub fn edge(&mut self, from: usize, to: usize) {
        if from == to || from >= self.packages.len() || to >= self.packages.len() {
            return;
        }
        if self.edges.len() >= MAX_EDGES {
            if !self.edges_truncated {
                self.edges_truncated = true;
                self.warn(
                    None,
                    format!("more than {MAX_EDGES} dependency edges; the rest are dropped"),
                );
            }
            return;
        }
        self.edges.insert(Edge { from, to });
    }

    pub fn root(&mut self, i: usize) {
        if i < self.packages.len() {
            self.roots.insert(i);
        }
    }

    pub fn warn(&mut self, line: Option<usize>, message: impl Into<String>) {
        self.push(Diagnostic::warning(self.manifest.clone(), message), line);
    }

    pub fn info(&mut self, line: Option<usize>, message: impl Into<String>) {
        self.push(Diagnostic::info(self.manifest.clone(), message), line);
    }

    pub fn error(&mut self, line: Option<usize>, message: impl Into<String>) {
        self.push(Diagnostic::error(self.manifest.clone(), message), line);
    }

    fn push(&mut self, d: Diagnostic, line: Option<usize>) {
        let d = match line.and_then(|l| u32::try_from(l).ok()) {
            Some(l) => d.at_line(l),
            None => d,
        };
        self.diagnostics.push(d);
    }

    /// Outgoing edges, for reachability walks.
    fn adjacency(&self) -> Vec<Vec<usize>> {
        let mut adj = vec![Vec::new(); self.packages.len()];
        for e in &self.edges {
            if let Some(v) = adj.get_mut(e.from) {
                v.push(e.to);
            }
        }
        adj
    }

    /// Every package reachable from `starts` (the starts included), by breadth-first walk.
    pub fn reachable(&self, starts: &[usize]) -> Vec<bool> {
        let adj = self.adjacency();
        let mut seen = vec![false; self.packages.len()];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for &s in starts {
            if let Some(flag) = seen.get_mut(s) {
                if !*flag {
                    *flag = true;
                    queue.push_back(s);
                }
            }
        }
        while let Some(n) = queue.pop_front() {
            for &m in adj.get(n).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(flag) = seen.get_mut(m) {
                    if !*flag {
                        *flag = true;
                        queue.push_back(m);
                    }
                }
            }
        }
        seen
    }

    pub fn finish(self) -> Parsed {
        Parsed {
            packages: self.packages,
            edges: self.edges.into_iter().collect(),
            roots: self.roots.into_iter().collect(),
            diagnostics: self.diagnostics,
        }
    }
}

/// Decodes a companion or included file: UTF-8 with an optional BOM; invalid bytes are
/// replaced, since a stray byte in a comment should not hide the file's packages.
pub(crate) fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// 1-based line of a byte offset in `text`, as a `usize` for [`Inventory`] diagnostics.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    usize::try_from(crate::parsed::line_at(text.as_bytes(), offset)).unwrap_or(usize::MAX)
}

/// The file being parsed as text, or `None` after recording an Error diagnostic (invalid
/// UTF-8). Blank files give `Some("")`.
pub(crate) fn input_text<'a>(input: &crate::Input<'a>, inv: &mut Inventory) -> Option<&'a str> {
    match input.text() {
        Ok(t) => Some(t),
        Err(d) => {
            inv.diagnostics.push(d);
            None
        }
    }
}

/// Resolves `relative` against the directory of `from`, both repository-relative.
///
/// Returns `None` for absolute paths, URLs and paths that climb out of the repository root:
/// those are never read.
pub(crate) fn resolve_relative(from: &str, relative: &str) -> Option<String> {
    if relative.starts_with('/') || relative.contains("://") || relative.contains('\\') {
        return None;
    }
    if relative.len() > 2 && relative.as_bytes().get(1) == Some(&b':') {
        return None; // `C:/…`
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the file name
    parts.retain(|p| !p.is_empty() && *p != ".");
    for seg in relative.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// Reads a companion file from the repository, refusing files above the size cap.
pub(crate) fn read_capped(
    repo: &dyn crate::RepoFiles,
    path: &str,
    max_bytes: usize,
) -> Result<Option<Vec<u8>>, String> {
    match repo.read(path) {
        None => Ok(None),
        Some(b) if b.len() > max_bytes => {
            Err(format!("{path} is {} bytes, over the {max_bytes}-byte limit; not read", b.len()))
        }
        Some(b) => Ok(Some(b)),
    }
}

/// Replaces `user:password@` in a URL so credentials never reach a diagnostic.
pub(crate) fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let authority = rest.get(..authority_end).unwrap_or("");
        if let Some((_, host)) = authority.rsplit_once('@') {
            return format!("{scheme}://***@{host}{}", rest.get(authority_end..).unwrap_or(""));
        }
    }
    url.to_owned()
}

/// Bounds input text quoted in diagnostics.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(MAX).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_inside_the_repository() {
        assert_eq!(resolve_relative("a/req.txt", "b.txt").as_deref(), Some("a/b.txt"));
        assert_eq!(resolve_relative("a/req.txt", "../b.txt").as_deref(), Some("b.txt"));
        assert_eq!(resolve_relative("req.txt", "./x/../y.txt").as_deref(), Some("y.txt"));
        assert_eq!(resolve_relative("req.txt", "../b.txt"), None);
        assert_eq!(resolve_relative("a/req.txt", "/etc/passwd"), None);
        assert_eq!(resolve_relative("a/req.txt", "https://x/y.txt"), None);
        assert_eq!(resolve_relative("a/req.txt", ".."), None);
    }

    #[test]
    fn duplicates_merge_scope_and_directness() {
        let mut inv = Inventory::new(Ecosystem::PyPI, "x");
        let mut e = Entry::registry("Foo_Bar", "1.0");
        e.scope = Scope::Dev;
        let a = inv.add(e.clone());
        assert!(inv.add(Entry::registry(" ", "1")).is_none());
        e.scope = Scope::Prod;
        e.direct = Some(true);
        let b = inv.add(e);
        assert_eq!(a, b);
        let p = inv.finish();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].name, "foo-bar");
        assert_eq!(p.packages[0].scope, Scope::Prod);
        assert_eq!(p.packages[0].direct, Some(true));
    }
}
