//! Gradle's `gradle.lockfile` (Gradle 6+, one per project) and the older per-configuration
//! `gradle/dependency-locks/<configuration>.lockfile`.
//!
//! Lines are `group:artifact:version=conf1,conf2`; the older layout omits `=…` and the
//! configuration is the file name. The graph is fully resolved but not recorded, and
//! direct/transitive is not told. Scope comes from configuration names: prod if any
//! production classpath lists the package, dev if only test and tooling ones do.

use crate::inventory::{clip, input_text, Entry, Inventory};
use crate::Input;
use depwatch_core::{Ecosystem, Parsed, Scope};

pub(crate) fn parse(input: &Input<'_>) -> Parsed {
    let mut inv = Inventory::new(Ecosystem::Maven, input.path);
    if crate::parsed::is_blank(input.bytes) {
        return inv.finish();
    }
    let Some(content) = input_text(input, &mut inv) else {
        return inv.finish();
    };
    // Older layout: the file is named after its single configuration.
    let file_configuration = input
        .path
        .rsplit('/')
        .next()
        .and_then(|f| f.strip_suffix(".lockfile"))
        .filter(|stem| *stem != "gradle" && !stem.ends_with("-gradle"))
        .map(str::to_owned);
    for (i, raw) in content.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (coordinates, configurations) = match line.split_once('=') {
            Some((c, confs)) => (
                c,
                confs
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            None => (line, file_configuration.iter().cloned().collect::<Vec<_>>()),
        };
        if coordinates == "empty" {
            continue;
        }
        let parts: Vec<&str> = coordinates.split(':').collect();
        let [group, artifact, version] = parts.as_slice() else {
            inv.warn(
                Some(i + 1),
                format!(
                    "cannot read `{}` (expected `group:artifact:version=configurations`)",
                    clip(line)
                ),
            );
            continue;
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            inv.warn(Some(i + 1), format!("cannot read `{}`: empty coordinate", clip(line)));
            continue;
        }
        let mut entry = Entry::registry(format!("{group}:{artifact}"), *version);
        entry.scope = scope_of(&configurations);
        inv.add(entry);
    }
    inv.finish()
}

#[derive(PartialEq)]
enum Kind {
    Prod,
    Dev,
    Other,
}

fn kind(configuration: &str) -> Kind {
    let lower = configuration.to_ascii_lowercase();
    const TOOLING: [&str; 11] = [
        "annotationprocessor",
        "kapt",
        "ksp",
        "developmentonly",
        "detekt",
        "ktlint",
        "spotbugs",
        "checkstyle",
        "pmd",
        "jacoco",
        "errorprone",
    ];
    // `classpath` is the buildscript configuration (`buildscript-gradle.lockfile`).
    if lower.contains("test")
        || lower == "classpath"
        || TOOLING.iter().any(|t| lower.starts_with(t))
    {
        return Kind::Dev;
    }
    if lower.ends_with("compileclasspath") || lower.ends_with("runtimeclasspath") {
        return Kind::Prod;
    }
    Kind::Other
}

fn scope_of(configurations: &[String]) -> Scope {
    let kinds: Vec<Kind> = configurations.iter().map(|c| kind(c)).collect();
    if kinds.contains(&Kind::Prod) {
        Scope::Prod
    } else if !kinds.is_empty() && kinds.iter().all(|k| *k == Kind::Dev) {
        Scope::Dev
    } else {
        Scope::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(confs: &[&str]) -> Scope {
        scope_of(&confs.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn configurations_give_scope() {
        assert_eq!(scope(&["compileClasspath", "testCompileClasspath"]), Scope::Prod);
        assert_eq!(scope(&["testCompileClasspath", "testRuntimeClasspath"]), Scope::Dev);
        assert_eq!(scope(&["annotationProcessor"]), Scope::Dev);
        assert_eq!(scope(&["developmentOnly", "testRuntimeClasspath"]), Scope::Dev);
        assert_eq!(scope(&["productionRuntimeClasspath"]), Scope::Prod);
        assert_eq!(scope(&["releaseRuntimeClasspath"]), Scope::Prod);
        assert_eq!(scope(&["debugUnitTestRuntimeClasspath"]), Scope::Dev);
        assert_eq!(scope(&["classpath"]), Scope::Dev);
        assert_eq!(scope(&["somethingElse"]), Scope::Unknown);
        assert_eq!(scope(&[]), Scope::Unknown);
    }
}
