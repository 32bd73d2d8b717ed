//! `pyproject.toml` beside a Python lockfile: which packages the project asks for directly.
//!
//! Not a format of its own: poetry.lock and pylock.toml do not record direct dependencies, so
//! their parsers read this companion when the repository has it.

use crate::inventory::{read_capped, text, Inventory};
use crate::Input;
use depwatch_core::Ecosystem;
use std::collections::BTreeSet;
use toml::{Table, Value};

/// Normalized names of the project's direct dependencies.
#[derive(Debug, Default)]
pub(crate) struct DirectNames {
    /// `[project].dependencies`, optional dependencies, `[tool.poetry.dependencies]`.
    pub prod: BTreeSet<String>,
    /// `[dependency-groups]`, Poetry dev groups, `tool.uv`/`tool.pdm` dev dependencies.
    pub dev: BTreeSet<String>,
}

impl DirectNames {
    pub fn contains(&self, normalized: &str) -> bool {
        self.prod.contains(normalized) || self.dev.contains(normalized)
    }
}

/// Reads `pyproject.toml` next to the lockfile; `None` when it is absent or unreadable (with a
/// diagnostic for the latter).
pub(crate) fn direct_names(input: &Input<'_>, inv: &mut Inventory) -> Option<DirectNames> {
    let path = crate::join_path(input.dir(), "pyproject.toml");
    let bytes = match read_capped(input.repo, &path, input.options.max_bytes) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(msg) => {
            inv.warn(None, msg);
            return None;
        }
    };
    let doc: Table = match text(&bytes).parse() {
        Ok(t) => t,
        Err(e) => {
            inv.warn(
                None,
                format!(
                    "{path} is not valid TOML ({}); direct dependencies unknown",
                    e.message().trim()
                ),
            );
            return None;
        }
    };
    let mut names = DirectNames::default();
    let project = doc.get("project");
    pep508_list(project.and_then(|p| p.get("dependencies")), &mut names.prod);
    if let Some(extras) =
        project.and_then(|p| p.get("optional-dependencies")).and_then(Value::as_table)
    {
        for list in extras.values() {
            pep508_list(Some(list), &mut names.prod);
        }
    }
    if let Some(groups) = doc.get("dependency-groups").and_then(Value::as_table) {
        for list in groups.values() {
            pep508_list(Some(list), &mut names.dev);
        }
    }
    let tool = doc.get("tool");
    let poetry = tool.and_then(|t| t.get("poetry"));
    table_keys(poetry.and_then(|p| p.get("dependencies")), &mut names.prod);
    table_keys(poetry.and_then(|p| p.get("dev-dependencies")), &mut names.dev);
    if let Some(groups) = poetry.and_then(|p| p.get("group")).and_then(Value::as_table) {
        for (group, body) in groups {
            let target = if group == "main" { &mut names.prod } else { &mut names.dev };
            table_keys(body.get("dependencies"), target);
        }
    }
    pep508_list(
        tool.and_then(|t| t.get("uv")).and_then(|u| u.get("dev-dependencies")),
        &mut names.dev,
    );
    if let Some(groups) = tool
        .and_then(|t| t.get("pdm"))
        .and_then(|p| p.get("dev-dependencies"))
        .and_then(Value::as_table)
    {
        for list in groups.values() {
            pep508_list(Some(list), &mut names.dev);
        }
    }
    // Poetry lists the interpreter as a dependency.
    names.prod.remove("python");
    Some(names)
}

fn pep508_list(value: Option<&Value>, out: &mut BTreeSet<String>) {
    for item in value.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]) {
        if let Some(s) = item.as_str() {
            let end = s
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
                .unwrap_or(s.len());
            if let Some(name) = s.get(..end).filter(|n| !n.is_empty()) {
                out.insert(Ecosystem::PyPI.normalize_name(name));
            }
        }
    }
}

fn table_keys(value: Option<&Value>, out: &mut BTreeSet<String>) {
    if let Some(t) = value.and_then(Value::as_table) {
        out.extend(t.keys().map(|k| Ecosystem::PyPI.normalize_name(k)));
    }
}
