//! Go's `go.mod`.
//!
//! **Versions are reported without the leading `v`** (`v1.2.3` → `1.2.3`), the form OSV uses
//! for Go, so every Go version depwatch stores has one spelling (go.sum does the same). The
//! matcher's own `v` stripping is then a no-op. Pseudo-versions and `+incompatible` are kept.
//!
//! Since Go 1.17 go.mod lists every module that provides a package to the build, so the
//! `require` lines are the inventory: `// indirect` ones are transitive, the rest direct.

use crate::inventory::{clip, input_text, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope, Source};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Require,
    Replace,
    Exclude,
    /// `retract`, `godebug`, `tool`, `ignore`: nothing to inventory.
    Other,
}

struct Require {
    path: String,
    version: String,
    indirect: bool,
    line: usize,
}

struct Replace {
    old_version: Option<String>,
    new_path: String,
    /// `None` for a local directory replacement.
    new_version: Option<String>,
}

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::Go, input.path);
    if crate::parsed::is_blank(input.bytes) {
        return inv.finish();
    }
    let Some(content) = input_text(input, &mut inv) else {
        return inv.finish();
    };
    let mut block: Option<Block> = None;
    let mut requires: Vec<Require> = Vec::new();
    let mut replaces: HashMap<String, Vec<Replace>> = HashMap::new();
    let mut excludes: HashSet<(String, String)> = HashSet::new();
    let mut go_version: Option<String> = None;
    let mut toolchain: Option<String> = None;
    let mut saw_module = false;

    for (i, raw) in content.lines().enumerate() {
        let line_no = i + 1;
        let (code, comment) = match raw.find("//") {
            Some(at) => (raw.get(..at).unwrap_or(""), raw.get(at + 2..).unwrap_or("").trim()),
            None => (raw, ""),
        };
        let tokens: Vec<&str> = code.split_whitespace().collect();
        let Some(&first) = tokens.first() else {
            continue;
        };
        if let Some(kind) = block {
            if first == ")" {
                block = None;
                continue;
            }
            item(
                &mut inv,
                kind,
                &tokens,
                comment,
                line_no,
                &mut requires,
                &mut replaces,
                &mut excludes,
            );
            continue;
        }
        let rest = tokens.get(1..).unwrap_or(&[]);
        let kind = match first {
            "module" => {
                saw_module = true;
                continue;
            }
            "go" => {
                go_version = rest.first().map(|v| (*v).to_owned());
                continue;
            }
            "toolchain" => {
                toolchain = rest.first().map(|v| (*v).to_owned());
                continue;
            }
            "require" => Block::Require,
            "replace" => Block::Replace,
            "exclude" => Block::Exclude,
            "retract" | "godebug" | "tool" | "ignore" => Block::Other,
            other => {
                inv.warn(Some(line_no), format!("unknown directive `{}` skipped", clip(other)));
                continue;
            }
        };
        if rest.first() == Some(&"(") {
            block = Some(kind);
        } else {
            item(
                &mut inv,
                kind,
                rest,
                comment,
                line_no,
                &mut requires,
                &mut replaces,
                &mut excludes,
            );
        }
    }
    if block.is_some() {
        inv.warn(None, "a directive block is not closed with `)`; the file may be truncated");
    }
    if !saw_module && (requires.is_empty() && go_version.is_none()) {
        inv.error(
            None,
            "no `module` directive and no requirements: this does not look like a go.mod file",
        );
        return inv.finish();
    }

    // A hand-edited file may require one module twice; MVS would take the highest.
    let mut chosen: Vec<Require> = Vec::new();
    let mut chosen_index: HashMap<String, usize> = HashMap::new();
    for req in requires {
        match chosen_index.get(&req.path).and_then(|&i| chosen.get_mut(i)) {
            Some(existing) => {
                if compare(&req.version, &existing.version) == Ordering::Greater {
                    existing.version = req.version;
                }
                existing.indirect &= req.indirect;
            }
            None => {
                chosen_index.insert(req.path.clone(), chosen.len());
                chosen.push(req);
            }
        }
    }

    for req in chosen {
        if excludes.contains(&(req.path.clone(), req.version.clone())) {
            inv.warn(
                Some(req.line),
                format!(
                    "{} {} is both required and excluded; Go will pick a different version",
                    req.path, req.version
                ),
            );
        }
        let replace = replaces.get(&req.path).and_then(|rs| {
            rs.iter()
                .find(|r| r.old_version.as_deref() == Some(req.version.as_str()))
                .or_else(|| rs.iter().find(|r| r.old_version.is_none()))
        });
        let mut entry = match replace {
            Some(Replace { new_path, new_version: Some(v), .. }) => {
                Entry::registry(new_path.clone(), strip_v(v))
            }
            Some(Replace { new_path, new_version: None, .. }) => {
                inv.info(
                    Some(req.line),
                    format!("{} is replaced by the local directory {}; it is not matched against advisories", req.path, clip(new_path)),
                );
                let mut e = Entry::registry(req.path.clone(), strip_v(&req.version));
                e.source = Source::Path;
                e.pinned = false;
                e
            }
            None => Entry::registry(req.path.clone(), strip_v(&req.version)),
        };
        if !valid_version(&entry.version) && entry.source == Source::Registry {
            inv.warn(
                Some(req.line),
                format!(
                    "{} has version `{}`, which is not a Go module version",
                    req.path,
                    clip(&req.version)
                ),
            );
            entry.pinned = false;
        }
        entry.direct = Some(!req.indirect);
        // Go has no dev dependencies: test-only modules are part of the build list too.
        entry.scope = Scope::Prod;
        inv.add(entry);
    }

    let stdlib = toolchain
        .as_deref()
        .and_then(|t| t.strip_prefix("go"))
        .or(go_version.as_deref())
        .and_then(stdlib_version);
    if let Some(version) = stdlib {
        let mut entry = Entry::registry("stdlib", version);
        entry.direct = Some(true);
        entry.scope = Scope::Prod;
        inv.add(entry);
        inv.info(
            None,
            "the Go standard library version comes from the `toolchain`/`go` line; the toolchain that builds the module may be newer",
        );
    }
    inv.finish()
}

#[allow(clippy::too_many_arguments)]
fn item(
    inv: &mut Inventory,
    kind: Block,
    tokens: &[&str],
    comment: &str,
    line: usize,
    requires: &mut Vec<Require>,
    replaces: &mut HashMap<String, Vec<Replace>>,
    excludes: &mut HashSet<(String, String)>,
) {
    let tokens: Vec<String> = tokens.iter().map(|t| unquote(t)).collect();
    match kind {
        Block::Require => match tokens.as_slice() {
            [path, version] => requires.push(Require {
                path: path.clone(),
                version: version.clone(),
                indirect: comment.split(';').any(|c| c.trim() == "indirect"),
                line,
            }),
            _ => inv.warn(Some(line), "cannot read requirement (expected `module/path vX.Y.Z`)"),
        },
        Block::Replace => {
            let arrow = tokens.iter().position(|t| t == "=>");
            let (old, new) = match arrow {
                Some(a) => (tokens.get(..a).unwrap_or(&[]), tokens.get(a + 1..).unwrap_or(&[])),
                None => (&[][..], &[][..]),
            };
            match (old, new) {
                ([path, rest @ ..], [new_path, new_rest @ ..])
                    if rest.len() <= 1 && new_rest.len() <= 1 =>
                {
                    replaces.entry(path.clone()).or_default().push(Replace {
                        old_version: rest.first().cloned(),
                        new_path: new_path.clone(),
                        new_version: new_rest.first().cloned(),
                    });
                }
                _ => inv.warn(
                    Some(line),
                    "cannot read replace (expected `old [version] => new [version]`)",
                ),
            }
        }
        Block::Exclude => match tokens.as_slice() {
            [path, version] => {
                excludes.insert((path.clone(), version.clone()));
            }
            _ => inv.warn(Some(line), "cannot read exclude (expected `module/path vX.Y.Z`)"),
        },
        Block::Other => {}
    }
}

/// go.mod allows module paths in Go string syntax (`"…"` or `` `…` ``).
fn unquote(t: &str) -> String {
    let stripped = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| t.strip_prefix('`').and_then(|s| s.strip_suffix('`')));
    stripped.unwrap_or(t).to_owned()
}

pub(crate) fn strip_v(v: &str) -> String {
    v.strip_prefix('v').unwrap_or(v).to_owned()
}

fn valid_version(v: &str) -> bool {
    v.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

/// `1.22.5` → `1.22.5`, `1.21` → `1.21.0`, `1.21rc2` → `1.21.0-rc.2` (Go's own semver mapping).
fn stdlib_version(v: &str) -> Option<String> {
    let split = v.find(|c: char| c.is_ascii_alphabetic());
    let (release, pre) = match split {
        Some(at) => (v.get(..at)?, v.get(at..)),
        None => (v, None),
    };
    let parts: Vec<&str> = release.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut out = parts.join(".");
    if parts.len() == 2 {
        out.push_str(".0");
    }
    if parts.len() == 1 {
        out.push_str(".0.0");
    }
    if let Some(pre) = pre {
        let digits = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        let (label, n) = pre.split_at(digits);
        if !label.bytes().all(|b| b.is_ascii_alphabetic()) || !n.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        out.push('-');
        out.push_str(label);
        if !n.is_empty() {
            out.push('.');
            out.push_str(n);
        }
    }
    Some(out)
}

/// SemVer precedence on Go versions (with or without `v`); build metadata is ignored.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    fn split(v: &str) -> (Vec<&str>, Option<Vec<&str>>) {
        let v = v.strip_prefix('v').unwrap_or(v);
        let v = v.split('+').next().unwrap_or(v);
        match v.split_once('-') {
            Some((core, pre)) => (core.split('.').collect(), Some(pre.split('.').collect())),
            None => (v.split('.').collect(), None),
        }
    }
    fn ident(a: &str, b: &str) -> Ordering {
        match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            _ => a.cmp(b),
        }
    }
    let (ca, pa) = split(a);
    let (cb, pb) = split(b);
    for i in 0..ca.len().max(cb.len()) {
        let x = ca.get(i).copied().unwrap_or("0");
        let y = cb.get(i).copied().unwrap_or("0");
        match ident(x, y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(pa), Some(pb)) => {
            for (x, y) in pa.iter().zip(pb.iter()) {
                match ident(x, y) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            pa.len().cmp(&pb.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_versions_follow_go_semver_mapping() {
        assert_eq!(stdlib_version("1.22.5").as_deref(), Some("1.22.5"));
        assert_eq!(stdlib_version("1.21").as_deref(), Some("1.21.0"));
        assert_eq!(stdlib_version("1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(stdlib_version("default"), None);
        assert_eq!(stdlib_version("1..2"), None);
    }

    #[test]
    fn precedence() {
        assert_eq!(compare("v1.10.0", "v1.9.0"), Ordering::Greater);
        assert_eq!(compare("v1.0.0-20200101000000-abcdef", "v1.0.0"), Ordering::Less);
        assert_eq!(compare("v2.0.0+incompatible", "v2.0.0"), Ordering::Equal);
        assert_eq!(compare("v1.0.0-rc.1", "v1.0.0-rc.11"), Ordering::Less);
    }
}
