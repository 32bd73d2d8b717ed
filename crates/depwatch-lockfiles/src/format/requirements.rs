//! pip requirements files: `requirements.txt`, `requirements/*.txt`, `*-requirements.txt`.
//!
//! Hand-written rather than `pep508_rs`: the pip option syntax (`-r`, `-c`, `-e`, `--hash`, line
//! continuations, `# via` annotations) is ours to handle anyway, and for a requirement we only
//! need the name, whether the specifier is an exact pin, the marker text and the URL form. A
//! small scanner over bytes is bounded and cannot panic on hostile input.

use crate::inventory::{clip, read_capped, redact_url, resolve_relative, text, Entry, Inventory};
use crate::Input;
use depwatch_core::{Diagnostic, Ecosystem, Parsed, Scope, Source};
use std::collections::{HashMap, HashSet};

/// Include depth and file count limits: a cycle guard catches loops, these catch fan-out.
const MAX_DEPTH: usize = 16;
const MAX_FILES: usize = 128;
/// How many names an "unpinned" summary lists before saying "and N more".
const MAX_LISTED: usize = 10;

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut walk = Walk {
        input,
        visited: HashSet::new(),
        included_bytes: 0,
        occurrences: Vec::new(),
        constraints: HashMap::new(),
        diagnostics: Vec::new(),
    };
    walk.visited.insert(input.path.to_owned());
    let content = match input.text() {
        Ok(t) => t,
        Err(d) => {
            walk.diagnostics.push(d);
            return walk.finish();
        }
    };
    walk.file(input.path, content, Mode::Requirements, 0);
    walk.finish()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Requirements,
    /// `-c` files: pins only, no packages.
    Constraints,
}

/// One requirement line, before constraints are applied.
struct Occurrence {
    file: String,
    line: usize,
    entry: Entry,
    marker: Option<String>,
}

struct Walk<'a, 'b> {
    input: &'a Input<'b>,
    visited: HashSet<String>,
    /// Bytes of included files read so far: all includes together stay under the size cap.
    included_bytes: usize,
    occurrences: Vec<Occurrence>,
    /// Normalized name → exact pin from a constraints file.
    constraints: HashMap<String, String>,
    diagnostics: Vec<Diagnostic>,
}

/// What a requirement's version part says.
#[derive(Debug, PartialEq, Eq)]
enum Spec {
    Pinned(String),
    Range(String),
    Any,
    Url(String, Source),
}

#[derive(Debug, PartialEq, Eq)]
struct Requirement {
    name: String,
    spec: Spec,
    marker: Option<String>,
}

impl Walk<'_, '_> {
    fn diag(&mut self, d: Diagnostic, line: usize) {
        let d = match u32::try_from(line) {
            Ok(l) => d.at_line(l),
            Err(_) => d,
        };
        self.diagnostics.push(d);
    }

    fn file(&mut self, path: &str, content: &str, mode: Mode, depth: usize) {
        let scope = scope_for(path);
        // pip-compile marks each requirement's origin; a file with any `# via` is generated and
        // only requirements whose origin is an input file are direct.
        let mut reqs: Vec<(usize, Entry, Option<String>, Vec<String>)> = Vec::new();
        let mut in_via = false;
        let mut generated = false;
        for (line_no, logical) in logical_lines(content) {
            let trimmed = logical.trim();
            if let Some(comment) = trimmed.strip_prefix('#') {
                let comment = comment.trim();
                if let Some(rest) = comment.strip_prefix("via") {
                    if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                        generated = true;
                        in_via = true;
                        if let Some(last) = reqs.last_mut() {
                            last.3.extend(
                                rest.split(',')
                                    .map(|s| s.trim().to_owned())
                                    .filter(|s| !s.is_empty()),
                            );
                        }
                        continue;
                    }
                }
                if in_via && !comment.is_empty() {
                    if let Some(last) = reqs.last_mut() {
                        last.3.push(comment.to_owned());
                    }
                }
                continue;
            }
            in_via = false;
            let line = strip_comment(trimmed).trim();
            if line.is_empty() {
                continue;
            }
            if line.contains("${") {
                self.diag(
                    Diagnostic::warning(path, "environment variables (`${…}`) are not expanded; the requirement may be misread"),
                    line_no,
                );
            }
            if line.starts_with('-') {
                if let Some((entry, marker)) = self.option(path, line, line_no, mode, depth, scope)
                {
                    reqs.push((line_no, entry, marker, Vec::new()));
                }
                continue;
            }
            match requirement_or_url(line) {
                Ok(req) => {
                    if mode == Mode::Constraints {
                        if let Spec::Pinned(v) = &req.spec {
                            self.constraints
                                .insert(Ecosystem::PyPI.normalize_name(&req.name), v.clone());
                        }
                        continue;
                    }
                    let (entry, marker) = self.entry(path, line_no, req, scope);
                    reqs.push((line_no, entry, marker, Vec::new()));
                }
                Err(msg) => self.diag(
                    Diagnostic::warning(
                        path,
                        format!("cannot read requirement `{}`: {msg}", clip(line)),
                    ),
                    line_no,
                ),
            }
        }
        for (line, mut entry, marker, via) in reqs {
            entry.direct =
                if generated { Some(via.iter().any(|v| is_input_origin(v))) } else { Some(true) };
            self.occurrences.push(Occurrence { file: path.to_owned(), line, entry, marker });
        }
    }

    fn entry(
        &mut self,
        path: &str,
        line: usize,
        req: Requirement,
        scope: Scope,
    ) -> (Entry, Option<String>) {
        let (version, pinned, source) = match req.spec {
            Spec::Pinned(v) => (v, true, Source::Registry),
            Spec::Range(r) => (r, false, Source::Registry),
            Spec::Any => (String::new(), false, Source::Registry),
            Spec::Url(url, source) => {
                self.diag(
                    Diagnostic::info(
                        path,
                        format!("`{}` comes from {} (not a registry release); it cannot be matched against advisories", req.name, redact_url(&url)),
                    ),
                    line,
                );
                (String::new(), false, source)
            }
        };
        let entry = Entry { name: req.name, version, pinned, direct: Some(true), scope, source };
        (entry, req.marker)
    }

    /// Handles a line starting with `-`; returns an entry for `-e` requirements.
    fn option(
        &mut self,
        path: &str,
        line: &str,
        line_no: usize,
        mode: Mode,
        depth: usize,
        scope: Scope,
    ) -> Option<(Entry, Option<String>)> {
        let (flag, arg) = split_option(line);
        match flag {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                let include_mode = if flag.starts_with("-c") || flag == "--constraint" {
                    Mode::Constraints
                } else {
                    mode
                };
                self.include(path, arg, line_no, include_mode, depth);
                None
            }
            "-e" | "--editable" => {
                if mode == Mode::Constraints {
                    return None;
                }
                match requirement_or_url(arg) {
                    Ok(req) if matches!(req.spec, Spec::Url(..)) => {
                        Some(self.entry(path, line_no, req, scope))
                    }
                    _ if !arg.contains("://") && !arg.is_empty() => {
                        // `-e .` and `-e ./pkg`: the project itself or a sibling source tree,
                        // whose own requirements live in its pyproject.toml/setup.py.
                        self.diag(
                            Diagnostic::info(path, format!("local project `{}` is installed in editable mode; it is not a registry package", clip(arg))),
                            line_no,
                        );
                        None
                    }
                    _ => {
                        self.diag(
                            Diagnostic::warning(path, format!("editable requirement `{}` names no package (no `#egg=`); it is skipped", clip(&redact_url(arg)))),
                            line_no,
                        );
                        None
                    }
                }
            }
            "-i" | "--index-url" | "--extra-index-url" => {
                let host = redact_url(arg);
                if !host.contains("pypi.org") && !host.contains("pythonhosted.org") {
                    self.diag(
                        Diagnostic::info(path, format!("packages may come from the non-PyPI index {host}; names there may not be the PyPI packages advisories describe")),
                        line_no,
                    );
                }
                None
            }
            "-f" | "--find-links" | "--no-index" | "--pre" | "--only-binary" | "--no-binary"
            | "--trusted-host" | "--require-hashes" | "--prefer-binary" | "--use-feature"
            | "--no-deps" | "--hash" => None,
            other => {
                self.diag(
                    Diagnostic::warning(path, format!("unknown option `{}` ignored", clip(other))),
                    line_no,
                );
                None
            }
        }
    }

    fn include(&mut self, from: &str, arg: &str, line: usize, mode: Mode, depth: usize) {
        let arg = arg.trim();
        let Some(target) = resolve_relative(from, arg) else {
            self.diag(
                Diagnostic::warning(
                    from,
                    format!(
                        "include `{}` is absolute, a URL or outside the repository; not read",
                        clip(&redact_url(arg))
                    ),
                ),
                line,
            );
            return;
        };
        if depth >= MAX_DEPTH || self.visited.len() >= MAX_FILES {
            self.diag(Diagnostic::warning(from, format!("include `{target}` not read: more than {MAX_DEPTH} levels or {MAX_FILES} files")), line);
            return;
        }
        if !self.visited.insert(target.clone()) {
            // Already read (or a cycle): its packages are in the result once.
            return;
        }
        match read_capped(self.input.repo, &target, self.input.options.max_bytes) {
            Ok(Some(bytes)) if self.included_bytes + bytes.len() > self.input.options.max_bytes => {
                self.diag(
                    Diagnostic::warning(from, format!("include `{target}` not read: included files together exceed the {}-byte limit", self.input.options.max_bytes)),
                    line,
                );
            }
            Ok(Some(bytes)) => {
                self.included_bytes += bytes.len();
                let content = text(&bytes).into_owned();
                self.file(&target, &content, mode, depth + 1);
            }
            Ok(None) => self.diag(Diagnostic::warning(from, format!("included file `{target}` not found in the repository; its requirements are missing")), line),
            Err(msg) => self.diag(Diagnostic::warning(from, msg), line),
        }
    }

    fn finish(self) -> Parsed {
        let Walk { input, occurrences, constraints, diagnostics, .. } = self;
        let mut inv = Inventory::new(Ecosystem::PyPI, input.path);
        inv.diagnostics = diagnostics;
        let mut unpinned: Vec<String> = Vec::new();
        for Occurrence { file, line, mut entry, marker } in occurrences {
            if !entry.pinned && entry.source == Source::Registry {
                if let Some(pin) = constraints.get(&Ecosystem::PyPI.normalize_name(&entry.name)) {
                    entry.version.clone_from(pin);
                    entry.pinned = true;
                }
            }
            if !entry.pinned && entry.source == Source::Registry {
                let shown = if entry.version.is_empty() {
                    "any version".to_owned()
                } else {
                    entry.version.clone()
                };
                unpinned.push(format!("{} ({shown})", Ecosystem::PyPI.normalize_name(&entry.name)));
            }
            if let Some(marker) = &marker {
                inv.diagnostics.push(
                    Diagnostic::info(
                        file.clone(),
                        format!("`{}` applies only where `{}`", entry.name, clip(marker)),
                    )
                    .at_line(u32::try_from(line).unwrap_or(u32::MAX)),
                );
            }
            inv.add_from(entry, Some(&file));
        }
        if !unpinned.is_empty() {
            let more = unpinned.len().saturating_sub(MAX_LISTED);
            let mut list = unpinned.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>().join(", ");
            if more > 0 {
                list.push_str(&format!(" and {more} more"));
            }
            inv.warn(
                None,
                format!("{} requirement(s) are not pinned with `==`/`===`; they are listed but not matched: {list}", unpinned.len()),
            );
        }
        inv.finish()
    }
}

/// Joins `\` continuations; yields (first physical line number, logical line).
fn logical_lines(content: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in content.lines().enumerate() {
        let line_no = i + 1;
        let (body, continues) = match raw.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (raw, false),
        };
        match current.as_mut() {
            Some((_, acc)) => {
                acc.push(' ');
                acc.push_str(body);
            }
            None => current = Some((line_no, body.to_owned())),
        }
        if !continues {
            if let Some(done) = current.take() {
                out.push(done);
            }
        }
    }
    if let Some(done) = current {
        out.push(done);
    }
    out
}

/// pip's rule: `#` starts a comment at line start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace)) {
            return line.get(..i).unwrap_or("");
        }
    }
    line
}

/// `-rfile`, `-r file`, `--requirement=file`, `--requirement file` → (flag, argument).
fn split_option(line: &str) -> (&str, &str) {
    if let Some(long) = line.strip_prefix("--") {
        let end = long.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(long.len());
        let flag = line.get(..end + 2).unwrap_or(line);
        let rest = long.get(end..).unwrap_or("");
        let rest = rest.strip_prefix('=').unwrap_or(rest);
        return (flag, first_word(rest));
    }
    let flag = line.get(..2).unwrap_or(line);
    (flag, first_word(line.get(2..).unwrap_or("")))
}

/// The option's argument: the first word, so `-e path --config-settings …` keeps only `path`.
fn first_word(s: &str) -> &str {
    let s = s.trim_start();
    let s = s.strip_prefix('=').unwrap_or(s).trim_start();
    s.split_whitespace().next().unwrap_or("")
}

/// Whether a `# via` origin names an input file (direct) rather than another package.
fn is_input_origin(origin: &str) -> bool {
    origin.starts_with("-r ")
        || origin.starts_with("--requirement")
        || origin.ends_with("(pyproject.toml)")
        || origin.ends_with("(setup.py)")
        || origin.ends_with("(setup.cfg)")
}

/// Dev or prod from the file name alone, the only place requirements files say it.
fn scope_for(path: &str) -> Scope {
    let lower = path.to_ascii_lowercase();
    let file = lower.rsplit('/').next().unwrap_or(&lower);
    let stem = file.strip_suffix(".txt").or_else(|| file.strip_suffix(".in")).unwrap_or(file);
    let mut words: Vec<&str> = stem.split(['-', '_', '.']).collect();
    // `requirements/test.txt`: the directory says "requirements", the stem says what for.
    if let Some(parent) = lower.rsplit('/').nth(1) {
        if parent.starts_with("requirements") {
            words.extend(parent.split(['-', '_', '.']));
        }
    }
    const DEV: [&str; 14] = [
        "dev",
        "develop",
        "development",
        "test",
        "tests",
        "testing",
        "lint",
        "linting",
        "docs",
        "doc",
        "typing",
        "ci",
        "style",
        "local",
    ];
    const PROD: [&str; 6] = ["prod", "production", "base", "main", "common", "runtime"];
    if words.iter().any(|w| DEV.contains(w)) {
        Scope::Dev
    } else if words.iter().all(|w| *w == "requirements" || *w == "requirement" || *w == "reqs")
        || words.iter().any(|w| PROD.contains(w))
    {
        Scope::Prod
    } else {
        Scope::Unknown
    }
}

/// Cuts per-requirement options (`--hash=…`, `--config-settings`, `-C`, `--global-option`).
fn strip_requirement_options(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'-'
            && i > 0
            && bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace)
            && matches!(bytes.get(i + 1), Some(b'-') | Some(b'C'))
        {
            return line.get(..i).unwrap_or(line).trim_end();
        }
    }
    line
}

fn looks_like_location(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    s.starts_with('.')
        || s.starts_with('/')
        || s.starts_with('~')
        || lower.contains("://")
        || lower.starts_with("file:")
        || [".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2"].iter().any(|ext| lower.ends_with(ext))
}

fn location_source(url: &str) -> Source {
    let lower = url.to_ascii_lowercase();
    if ["git+", "hg+", "svn+", "bzr+"].iter().any(|p| lower.starts_with(p)) {
        Source::Git
    } else if lower.starts_with("file:") || !lower.contains("://") {
        Source::Path
    } else {
        Source::Url
    }
}

/// Parses a requirement, or a bare URL/path that names its package with `#egg=`.
fn requirement_or_url(line: &str) -> Result<Requirement, String> {
    let line = strip_requirement_options(line.trim());
    let first = line.split_whitespace().next().unwrap_or("");
    if looks_like_location(first) {
        let (location, marker) = match line.split_once(" ;").or_else(|| line.split_once("\t;")) {
            Some((l, m)) => (l.trim(), Some(m.trim().to_owned())),
            None => (line, None),
        };
        let name = egg_name(location)
            .or_else(|| wheel_name(location))
            .ok_or_else(|| "a URL or path without `#egg=<name>` names no package".to_owned())?;
        return Ok(Requirement {
            name,
            spec: Spec::Url(location.to_owned(), location_source(location)),
            marker,
        });
    }
    requirement(line)
}

fn egg_name(location: &str) -> Option<String> {
    let fragment = location.split_once('#')?.1;
    let egg = fragment.split('&').find_map(|kv| kv.strip_prefix("egg="))?;
    let name = egg.split(['[', '=']).next()?.trim();
    valid_name(name).then(|| name.to_owned())
}

/// `pkg-1.0-py3-none-any.whl` → `pkg`.
fn wheel_name(location: &str) -> Option<String> {
    let file = location.rsplit('/').next()?;
    file.to_ascii_lowercase().ends_with(".whl").then_some(())?;
    let name = file.split('-').next()?;
    valid_name(name).then(|| name.to_owned())
}

fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

/// PEP 508 `name [extras] (versionspec | @ url) [; marker]`.
fn requirement(line: &str) -> Result<Requirement, String> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(line.len());
    let name = line.get(..name_end).unwrap_or("");
    if !valid_name(name) {
        return Err("no valid package name".to_owned());
    }
    let mut rest = line.get(name_end..).unwrap_or("").trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        let close = after.find(']').ok_or("unclosed `[` in extras")?;
        rest = after.get(close + 1..).unwrap_or("").trim_start();
    }
    if let Some(url_part) = rest.strip_prefix('@') {
        let url_part = url_part.trim_start();
        // In the URL form a marker needs whitespace before `;`, since `;` is legal in URLs.
        let (url, marker) = match url_part.find(|c: char| c.is_whitespace()) {
            Some(ws) => {
                let (u, m) = url_part.split_at(ws);
                let m = m.trim_start();
                match m.strip_prefix(';') {
                    Some(m) => (u, Some(m.trim().to_owned())),
                    None if m.is_empty() => (u, None),
                    None => return Err("unexpected text after the URL".to_owned()),
                }
            }
            None => (url_part, None),
        };
        if url.is_empty() {
            return Err("`@` without a URL".to_owned());
        }
        return Ok(Requirement {
            name: name.to_owned(),
            spec: Spec::Url(url.to_owned(), location_source(url)),
            marker,
        });
    }
    let (spec_text, marker) = match rest.split_once(';') {
        Some((s, m)) => (s.trim(), Some(m.trim().to_owned()).filter(|m| !m.is_empty())),
        None => (rest.trim(), None),
    };
    let spec_text = match spec_text.strip_prefix('(') {
        Some(inner) => inner.strip_suffix(')').ok_or("unclosed `(`")?.trim(),
        None => spec_text,
    };
    Ok(Requirement { name: name.to_owned(), spec: version_spec(spec_text)?, marker })
}

/// Classifies a specifier set: only a lone `==X` (no wildcard) or `===X` is a pin.
fn version_spec(spec: &str) -> Result<Spec, String> {
    if spec.is_empty() {
        return Ok(Spec::Any);
    }
    const OPS: [&str; 8] = ["===", "==", "!=", "~=", ">=", "<=", ">", "<"];
    let clauses: Vec<&str> = spec.split(',').map(str::trim).collect();
    let mut parsed = Vec::with_capacity(clauses.len());
    for clause in &clauses {
        let op = OPS
            .iter()
            .find(|op| clause.starts_with(**op))
            .ok_or_else(|| format!("`{}` has no comparison operator", clip(clause)))?;
        let version = clause.get(op.len()..).unwrap_or("").trim();
        let valid = !version.is_empty()
            && version.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '!' | '-' | '_')
            });
        // `${VAR}` is expanded by pip from the environment, which we do not have: the line is
        // real but its version unknown (the caller has already said so).
        if version.contains("${") {
            return Ok(Spec::Range(spec.split_whitespace().collect()));
        }
        if !valid && *op != "===" {
            return Err(format!("`{}` is not a valid version", clip(version)));
        }
        parsed.push((*op, version));
    }
    match parsed.as_slice() {
        [("===", v)] => Ok(Spec::Pinned((*v).to_owned())),
        [("==", v)] if !v.contains('*') => Ok(Spec::Pinned((*v).to_owned())),
        _ => Ok(Spec::Range(
            parsed.iter().map(|(op, v)| format!("{op}{v}")).collect::<Vec<_>>().join(","),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> Requirement {
        requirement_or_url(s).unwrap()
    }

    #[test]
    fn pins_ranges_and_urls() {
        assert_eq!(req("Django==4.2.1").spec, Spec::Pinned("4.2.1".into()));
        assert_eq!(req("foo === 1.0-custom").spec, Spec::Pinned("1.0-custom".into()));
        assert_eq!(req("foo==1.2.*").spec, Spec::Range("==1.2.*".into()));
        assert_eq!(req("foo>=1, <2").spec, Spec::Range(">=1,<2".into()));
        assert_eq!(req("foo >= 1.0 , < 2").spec, Spec::Range(">=1.0,<2".into()));
        assert_eq!(req("foo==${V}").spec, Spec::Range("==${V}".into()));
        assert_eq!(req("foo").spec, Spec::Any);
        assert_eq!(req("foo (==1.0)").spec, Spec::Pinned("1.0".into()));
        let r = req("requests[security,socks]==2.31.0 ; python_version < \"3.8\"");
        assert_eq!(r.name, "requests");
        assert_eq!(r.spec, Spec::Pinned("2.31.0".into()));
        assert_eq!(r.marker.as_deref(), Some("python_version < \"3.8\""));
        let r = req("pkg @ git+https://github.com/o/pkg.git@v1 ; sys_platform == 'linux'");
        assert_eq!(r.spec, Spec::Url("git+https://github.com/o/pkg.git@v1".into(), Source::Git));
        assert!(r.marker.is_some());
        assert_eq!(req("https://h/x/pkg-1.0-py3-none-any.whl").name, "pkg");
        assert_eq!(
            req("./libs/thing#egg=thing").spec,
            Spec::Url("./libs/thing#egg=thing".into(), Source::Path)
        );
        assert!(requirement_or_url("./libs/thing").is_err());
        assert!(requirement_or_url("foo=1.0").is_err());
        assert!(requirement_or_url("foo[bar").is_err());
    }

    #[test]
    fn hash_options_are_cut() {
        assert_eq!(strip_requirement_options("a==1 --hash=sha256:ab --hash=sha256:cd"), "a==1");
        assert_eq!(req("a==1 --hash=sha256:ab").spec, Spec::Pinned("1".into()));
    }

    #[test]
    fn file_names_give_scope() {
        assert_eq!(scope_for("requirements.txt"), Scope::Prod);
        assert_eq!(scope_for("requirements-dev.txt"), Scope::Dev);
        assert_eq!(scope_for("dev-requirements.txt"), Scope::Dev);
        assert_eq!(scope_for("requirements/test.txt"), Scope::Dev);
        assert_eq!(scope_for("requirements/base.txt"), Scope::Prod);
        assert_eq!(scope_for("requirements/extras.txt"), Scope::Unknown);
    }

    #[test]
    fn credentials_never_reach_messages() {
        assert_eq!(
            redact_url("https://user:tok@pypi.example/simple"),
            "https://***@pypi.example/simple"
        );
    }

    #[test]
    fn options_split() {
        assert_eq!(split_option("-rbase.txt"), ("-r", "base.txt"));
        assert_eq!(split_option("-r  base.txt"), ("-r", "base.txt"));
        assert_eq!(split_option("--requirement=base.txt"), ("--requirement", "base.txt"));
        assert_eq!(split_option("--constraint c.txt"), ("--constraint", "c.txt"));
    }
}
