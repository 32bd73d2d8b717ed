//! The views' JSON against `ui/src/backend/types.ts`, read at test time: every key the
//! interface declares is present (optional `?` ones may be absent), no other key, `null` only
//! where the type allows it, and string-literal unions (`Severity`, `"scan" | "webhook"`) hold
//! one of their members. Nested interfaces and arrays of them are checked the same way.

use crate::scenario::{seeded, NOW};
use depwatch_app::view::FindingFilter;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

struct Field {
    name: String,
    ty: String,
    optional: bool,
}

struct Contract {
    interfaces: HashMap<String, Vec<Field>>,
    unions: HashMap<String, Vec<String>>,
}

fn literals(ty: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = ty.split('|').map(str::trim).filter(|p| !p.is_empty()).collect();
    if parts.is_empty()
        || !parts.iter().all(|p| p.len() >= 2 && p.starts_with('"') && p.ends_with('"'))
    {
        return None;
    }
    Some(parts.iter().map(|p| p.trim_matches('"').to_owned()).collect())
}

impl Contract {
    fn load() -> Contract {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/backend/types.ts");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut interfaces = HashMap::new();
        let mut unions = HashMap::new();
        let mut current: Option<(String, Vec<Field>)> = None;
        let mut pending_type: Option<(String, String)> = None;
        for line in text.lines() {
            if let Some((name, mut body)) = pending_type.take() {
                body.push(' ');
                body.push_str(line.trim());
                if body.ends_with(';') {
                    if let Some(l) = literals(body.trim_end_matches(';')) {
                        unions.insert(name, l);
                    }
                } else {
                    pending_type = Some((name, body));
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("export type ") {
                if let Some((name, body)) = rest.split_once('=') {
                    let (name, body) = (name.trim().to_owned(), body.trim().to_owned());
                    if body.ends_with(';') {
                        if let Some(l) = literals(body.trim_end_matches(';')) {
                            unions.insert(name, l);
                        }
                    } else {
                        pending_type = Some((name, body));
                    }
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("export interface ") {
                let name = rest.split_whitespace().next().unwrap_or_default().to_owned();
                current = Some((name, Vec::new()));
                continue;
            }
            if line == "}" {
                if let Some((name, fields)) = current.take() {
                    interfaces.insert(name, fields);
                }
                continue;
            }
            let Some((_, fields)) = current.as_mut() else { continue };
            // Fields sit at two spaces; deeper lines belong to inline object types.
            let Some(decl) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) else {
                continue;
            };
            if decl.starts_with("/*") || decl.starts_with('*') || decl.starts_with("//") {
                continue;
            }
            let Some((name, ty)) = decl.split_once(':') else { continue };
            let optional = name.ends_with('?');
            fields.push(Field {
                name: name.trim_end_matches('?').to_owned(),
                ty: ty.trim().trim_end_matches(';').to_owned(),
                optional,
            });
        }
        assert!(
            interfaces.len() > 20 && unions.contains_key("Severity"),
            "types.ts was not understood"
        );
        Contract { interfaces, unions }
    }

    fn check(&self, value: &Value, ty: &str, path: &str, errors: &mut Vec<String>) {
        let alternatives: Vec<&str> = ty.split('|').map(str::trim).collect();
        let nullable = alternatives.contains(&"null");
        if value.is_null() {
            if !nullable {
                errors.push(format!("{path}: null, but the type is `{ty}`"));
            }
            return;
        }
        let base: Vec<&str> = alternatives.iter().copied().filter(|a| *a != "null").collect();
        if let Some(allowed) = literals(&base.join(" | ")) {
            match value.as_str() {
                Some(s) if allowed.iter().any(|a| a == s) => {}
                _ => errors.push(format!("{path}: {value} is not one of {allowed:?}")),
            }
            return;
        }
        let [single] = base.as_slice() else { return };
        if let Some(element) = single.strip_suffix("[]") {
            match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item, element, &format!("{path}[{i}]"), errors);
                    }
                }
                None => errors.push(format!("{path}: expected an array, got {value}")),
            }
            return;
        }
        if let Some(allowed) = self.unions.get(*single) {
            if !value.as_str().is_some_and(|s| allowed.iter().any(|a| a == s)) {
                errors.push(format!("{path}: {value} is not a {single}"));
            }
            return;
        }
        match *single {
            "string" if !value.is_string() => errors.push(format!("{path}: expected a string")),
            "number" if !value.is_number() => errors.push(format!("{path}: expected a number")),
            "boolean" if !value.is_boolean() => errors.push(format!("{path}: expected a boolean")),
            _ => {}
        }
        let Some(fields) = self.interfaces.get(*single) else { return };
        let Some(object) = value.as_object() else {
            errors.push(format!("{path}: expected a {single} object, got {value}"));
            return;
        };
        for f in fields {
            match object.get(&f.name) {
                Some(v) => self.check(v, &f.ty, &format!("{path}.{}", f.name), errors),
                None if f.optional => {}
                None => errors.push(format!("{path}.{}: missing ({single})", f.name)),
            }
        }
        for key in object.keys() {
            if !fields.iter().any(|f| &f.name == key) {
                errors.push(format!("{path}.{key}: not in {single}"));
            }
        }
    }
}

#[test]
fn every_view_matches_types_ts() {
    let contract = Contract::load();
    let s = seeded();
    let app = &s.app;
    let all = FindingFilter::default();
    let cases: Vec<(&str, Value)> = vec![
        (
            "Dashboard",
            serde_json::to_value(app.dashboard_view::<()>(NOW, Vec::new()).unwrap()).unwrap(),
        ),
        ("RepositorySummary[]", serde_json::to_value(app.repositories_view(NOW).unwrap()).unwrap()),
        (
            "RepositoryDetail",
            serde_json::to_value(app.repository_view(s.billing.0, NOW).unwrap()).unwrap(),
        ),
        (
            "RepositoryDetail",
            serde_json::to_value(app.repository_view(s.dots.0, NOW).unwrap()).unwrap(),
        ),
        (
            "DependencyRow[]",
            serde_json::to_value(app.dependencies_view(s.billing.0, "main", NOW).unwrap()).unwrap(),
        ),
        ("PushEvent[]", serde_json::to_value(app.pushes(None, 100, NOW).unwrap()).unwrap()),
        ("Finding[]", serde_json::to_value(app.findings_view(&all, NOW).unwrap()).unwrap()),
        (
            "AdvisoryDetail",
            serde_json::to_value(app.advisory_view("RUSTSEC-2020-0071", NOW).unwrap()).unwrap(),
        ),
        (
            "AdvisoryDetail",
            serde_json::to_value(app.advisory_view("RUSTSEC-2025-0010", NOW).unwrap()).unwrap(),
        ),
    ];
    let mut errors = Vec::new();
    for (ty, value) in &cases {
        contract.check(value, ty, ty, &mut errors);
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_checker_catches_a_wrong_shape() {
    let contract = Contract::load();
    let mut errors = Vec::new();
    let bad = serde_json::json!({
        "findingId": 1, "advisoryId": "X", "severity": "severe", "kind": "vulnerability",
        "package": "p", "extra": true
    });
    contract.check(&bad, "FindingRef", "FindingRef", &mut errors);
    assert_eq!(errors.len(), 3, "{errors:?}"); // severity, missing version, extra key
}
