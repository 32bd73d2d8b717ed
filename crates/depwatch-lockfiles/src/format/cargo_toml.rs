//! `Cargo.toml` alone: the declared (direct, unpinned) dependencies of one crate or workspace.
//!
//! Also used by the `Cargo.lock` parser to tell dev-dependencies from the rest.

use crate::parsed::line_at;
use crate::Input;
use depwatch_core::{Dependency, Diagnostic, Ecosystem, Parsed, Scope, Source};
use toml::{Table, Value};

/// One declared dependency of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared {
    /// The crate name (the `package = "…"` of a renamed dependency).
    pub name: String,
    /// The requirement (`^1.2`, `=1.0.3`), `*` when none is given.
    pub req: String,
    pub scope: Scope,
    pub source: Source,
}

/// What the parts of a `Cargo.toml` that matter to depwatch say.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    /// `[package] name`, when this manifest is a crate (not a virtual workspace).
    pub package: Option<String>,
    /// `[workspace] members` patterns.
    pub members: Vec<String>,
    pub dependencies: Vec<Declared>,
}

/// Parses a manifest's text; the error names the line.
pub(crate) fn read_manifest(path: &str, text: &str) -> Result<Manifest, Diagnostic> {
    let table: Table = toml::from_str(text).map_err(|e| {
        let diag =
            Diagnostic::error(path, format!("invalid Cargo.toml: {}", e.message().trim_end()));
        match e.span() {
            Some(span) => diag.at_line(line_at(text.as_bytes(), span.start)),
            None => diag,
        }
    })?;
    let mut manifest = Manifest {
        package: table
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..Manifest::default()
    };
    let workspace = table.get("workspace").and_then(Value::as_table);
    if let Some(members) = workspace.and_then(|w| w.get("members")).and_then(Value::as_array) {
        manifest.members = members.iter().filter_map(Value::as_str).map(str::to_owned).collect();
    }
    let inherited = workspace.and_then(|w| w.get("dependencies")).and_then(Value::as_table);
    collect_sections(&table, inherited, &mut manifest.dependencies);
    if let Some(targets) = table.get("target").and_then(Value::as_table) {
        for target in targets.values().filter_map(Value::as_table) {
            collect_sections(target, inherited, &mut manifest.dependencies);
        }
    }
    // A virtual workspace's shared requirements are declarations too, when nothing uses them
    // through `workspace = true` in this same file.
    if manifest.package.is_none() {
        if let Some(shared) = inherited {
            for (key, spec) in shared {
                manifest.dependencies.push(declared(key, spec, Scope::Unknown, None));
            }
        }
    }
    Ok(manifest)
}

fn collect_sections(table: &Table, inherited: Option<&Table>, out: &mut Vec<Declared>) {
    let sections = [
        ("dependencies", Scope::Prod),
        ("build-dependencies", Scope::Prod),
        ("build_dependencies", Scope::Prod),
        ("dev-dependencies", Scope::Dev),
        ("dev_dependencies", Scope::Dev),
    ];
    for (section, scope) in sections {
        let Some(deps) = table.get(section).and_then(Value::as_table) else {
            continue;
        };
        for (key, spec) in deps {
            out.push(declared(key, spec, scope, inherited));
        }
    }
}

fn declared(key: &str, spec: &Value, scope: Scope, inherited: Option<&Table>) -> Declared {
    let mut d =
        Declared { name: key.to_owned(), req: "*".to_owned(), scope, source: Source::Registry };
    match spec {
        Value::String(req) => d.req = req.clone(),
        Value::Table(t) => {
            if t.get("workspace").and_then(Value::as_bool) == Some(true) {
                if let Some(shared) = inherited.and_then(|w| w.get(key)) {
                    let base = declared(key, shared, scope, None);
                    d.req = base.req;
                    d.source = base.source;
                    d.name = base.name;
                }
            }
            if let Some(pkg) = t.get("package").and_then(Value::as_str) {
                d.name = pkg.to_owned();
            }
            if let Some(req) = t.get("version").and_then(Value::as_str) {
                d.req = req.to_owned();
            }
            if t.get("optional").and_then(Value::as_bool) == Some(true) && scope == Scope::Prod {
                d.scope = Scope::Optional;
            }
            if t.contains_key("git") {
                d.source = Source::Git;
            } else if t.contains_key("path") {
                d.source = Source::Path;
            } else if t.contains_key("registry") || t.contains_key("registry-index") {
                // An alternate registry is another namespace than crates.io.
                d.source = Source::Url;
            }
        }
        _ => {}
    }
    d
}

/// `=1.2.3` is an exact pin in Cargo; everything else is a range.
fn exact_pin(req: &str) -> Option<&str> {
    let v = req.trim().strip_prefix('=')?.trim();
    let plain = !v.is_empty()
        && v.split('.').count() == 3
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    plain.then_some(v)
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
    let manifest = match read_manifest(input.path, text) {
        Ok(m) => m,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    for d in manifest.dependencies {
        let (version, pinned) = match exact_pin(&d.req) {
            Some(v) => (v.to_owned(), true),
            None => (d.req.clone(), false),
        };
        out.packages.push(
            Dependency::new(Ecosystem::CratesIo, d.name, version, input.path)
                .with_pinned(pinned && d.source == Source::Registry)
                .with_direct(Some(true))
                .with_scope(d.scope)
                .with_source(d.source),
        );
    }
    if out.packages.is_empty() {
        out.diagnostics.push(Diagnostic::info(input.path, "declares no dependencies"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_inherited_and_target_dependencies_are_read() {
        let text = r#"
[package]
name = "app"
[workspace.dependencies]
serde = { version = "1.0.200", features = ["derive"] }
[dependencies]
serde = { workspace = true }
rq = { package = "reqwest", version = "0.12", optional = true }
local = { path = "../local" }
[target.'cfg(unix)'.dependencies]
libc = "=0.2.150"
[dev-dependencies]
insta = "1"
"#;
        let m = read_manifest("Cargo.toml", text).unwrap();
        assert_eq!(m.package.as_deref(), Some("app"));
        let names: Vec<_> =
            m.dependencies.iter().map(|d| (d.name.as_str(), d.req.as_str(), d.scope)).collect();
        assert_eq!(
            names,
            [
                ("local", "*", Scope::Prod),
                ("reqwest", "0.12", Scope::Optional),
                ("serde", "1.0.200", Scope::Prod),
                ("insta", "1", Scope::Dev),
                ("libc", "=0.2.150", Scope::Prod),
            ]
        );
        assert_eq!(exact_pin("=0.2.150"), Some("0.2.150"));
        assert_eq!(exact_pin("0.2.150"), None);
        assert_eq!(exact_pin("=0.2"), None);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err =
            read_manifest("a/Cargo.toml", "[package]\nname = \"x\"\nversion = \n").unwrap_err();
        assert_eq!(err.source, "a/Cargo.toml");
        assert_eq!(err.line, Some(3));
    }
}
