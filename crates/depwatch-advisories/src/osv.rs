//! OSV records (<https://ossf.github.io/osv-schema/>), as our own tolerant serde structs.
//!
//! Every field has a default and unknown fields are ignored, so a schema minor version that
//! adds fields, an ecosystem we do not know or a `null` where a list belongs never fails a
//! whole record. Only what cannot be read at all (bad JSON, a missing `id`, a wrong type) or a
//! schema major version other than 1 makes [`Advisory::from_json`] fail.

use depwatch_core::Ecosystem;
use serde::{Deserialize, Deserializer, Serialize};

/// Why one record could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("not a valid OSV record: {0}")]
    Json(String),
    #[error("the record has no `id`")]
    MissingId,
    #[error("schema_version {0} is not 1.x")]
    UnsupportedSchema(String),
}

/// `null` reads as the default, as a missing field does.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One OSV record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Advisory {
    /// Missing means 1.0.0.
    pub schema_version: Option<String>,
    pub id: String,
    pub modified: String,
    pub published: Option<String>,
    /// Present → the record is withdrawn and never matched.
    pub withdrawn: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub aliases: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub related: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub upstream: Vec<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub severity: Vec<SeverityEntry>,
    #[serde(deserialize_with = "nullable")]
    pub affected: Vec<Affected>,
    #[serde(deserialize_with = "nullable")]
    pub references: Vec<Reference>,
    pub database_specific: Option<serde_json::Value>,
}

/// `affected[]`: one package and the versions of it the record affects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Affected {
    /// Missing in GIT-only entries.
    pub package: Option<Package>,
    #[serde(deserialize_with = "nullable")]
    pub severity: Vec<SeverityEntry>,
    #[serde(deserialize_with = "nullable")]
    pub ranges: Vec<Range>,
    #[serde(deserialize_with = "nullable")]
    pub versions: Vec<String>,
    /// Kept as text: nothing in depwatch reads it, and RustSec's function lists made it the
    /// costliest part of a record to parse into a tree.
    pub ecosystem_specific: Option<RawJson>,
    pub database_specific: Option<serde_json::Value>,
}

/// A JSON value kept as its text (validated, not parsed into a tree).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<serde_json::value::RawValue>);

impl RawJson {
    /// The value's JSON text, as it appeared in the record.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// `affected[].package`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Package {
    /// OSV's ecosystem string, possibly with a `:suffix`; kept raw because the list is open.
    pub ecosystem: String,
    pub name: String,
    pub purl: Option<String>,
}

impl Package {
    /// The base ecosystem, the registry suffix, and the index key of the name; `None` for
    /// ecosystems depwatch does not handle.
    pub fn key(&self) -> Option<PackageKey<'_>> {
        let (ecosystem, suffix) = Ecosystem::from_osv(&self.ecosystem)?;
        Some(PackageKey { ecosystem, suffix, name: ecosystem.normalize_name(&self.name) })
    }
}

/// Where a package entry is indexed: its base ecosystem and normalized name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageKey<'a> {
    pub ecosystem: Ecosystem,
    /// `Maven:https://maven.google.com` → `https://maven.google.com`: another registry.
    pub suffix: Option<&'a str>,
    pub name: String,
}

/// `ranges[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Range {
    /// `SEMVER`, `ECOSYSTEM`, `GIT`, or a type added later (kept raw, then ignored).
    #[serde(rename = "type")]
    pub kind: String,
    pub repo: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub events: Vec<Event>,
    pub database_specific: Option<serde_json::Value>,
}

/// The range types the matcher evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeKind {
    Semver,
    Ecosystem,
    Git,
    /// Not defined by the schema version we know: skipped.
    Other,
}

impl Range {
    pub fn range_kind(&self) -> RangeKind {
        match self.kind.as_str() {
            "SEMVER" => RangeKind::Semver,
            "ECOSYSTEM" => RangeKind::Ecosystem,
            "GIT" => RangeKind::Git,
            _ => RangeKind::Other,
        }
    }
}

/// One event: exactly one field is set in a valid record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Event {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// `severity[]`: `score` is a vector string (CVSS) or a word (Ubuntu), never a number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeverityEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// `references[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

impl Advisory {
    /// Parses one record from JSON, checking what makes it usable at all.
    pub fn from_json(bytes: &[u8]) -> Result<Advisory, RecordError> {
        Advisory::checked(serde_json::from_slice(bytes))
    }

    /// [`Advisory::from_json`] for text already known to be UTF-8 (serde_json then skips
    /// re-validating every string).
    pub fn from_json_str(text: &str) -> Result<Advisory, RecordError> {
        Advisory::checked(serde_json::from_str(text))
    }

    fn checked(parsed: Result<Advisory, serde_json::Error>) -> Result<Advisory, RecordError> {
        let advisory = parsed.map_err(|e| RecordError::Json(e.to_string()))?;
        advisory.validate()?;
        Ok(advisory)
    }

    /// The records of a JSON array, each as its own text (for files holding several).
    pub fn split_array(bytes: &[u8]) -> serde_json::Result<Vec<&serde_json::value::RawValue>> {
        serde_json::from_slice(bytes)
    }

    /// A record's `id` when it is a JSON object with a string one, read without the rest (to
    /// name a record that cannot be parsed).
    pub fn id_of(json: &[u8]) -> Option<String> {
        #[derive(Deserialize)]
        struct Id {
            id: Option<serde_json::Value>,
        }
        let id = serde_json::from_slice::<Id>(json).ok()?.id?;
        id.as_str().map(str::to_owned)
    }

    fn validate(&self) -> Result<(), RecordError> {
        if self.id.trim().is_empty() {
            return Err(RecordError::MissingId);
        }
        if let Some(v) = &self.schema_version {
            if v.split('.').next() != Some("1") {
                return Err(RecordError::UnsupportedSchema(v.clone()));
            }
        }
        Ok(())
    }

    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }

    /// The distinct (ecosystem, normalized name) keys this record is about, in order: what
    /// a store indexes raw records under. Unknown ecosystems are left out.
    pub fn package_keys(&self) -> Vec<(Ecosystem, String)> {
        let mut keys: Vec<(Ecosystem, String)> = Vec::new();
        for key in self.affected.iter().filter_map(|a| a.package.as_ref()?.key()) {
            let k = (key.ecosystem, key.name);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    /// RustSec's informational class (`unmaintained`, `unsound`, `notice`), read from the
    /// affected entries' or the record's `database_specific.informational`.
    pub fn informational(&self) -> Option<&str> {
        fn from(v: &Option<serde_json::Value>) -> Option<&str> {
            v.as_ref()?.get("informational")?.as_str().filter(|s| !s.is_empty())
        }
        self.affected
            .iter()
            .find_map(|a| from(&a.database_specific))
            .or_else(|| from(&self.database_specific))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_nulls_unknown_fields_and_ecosystems() {
        let a = Advisory::from_json(
            br#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","aliases":null,
                 "severity":[],"new_field":{"a":1},
                 "affected":[{"package":{"ecosystem":"Azure Linux","name":"p"},
                              "ranges":[{"type":"FUTURE","events":[{"introduced":"0"}]}]}]}"#,
        )
        .unwrap();
        assert!(a.aliases.is_empty() && a.severity.is_empty());
        assert_eq!(a.affected[0].ranges[0].range_kind(), RangeKind::Other);
        assert!(a.package_keys().is_empty());
    }

    #[test]
    fn rejects_what_cannot_be_used() {
        assert_eq!(Advisory::from_json(br#"{"modified":"x"}"#), Err(RecordError::MissingId));
        assert_eq!(Advisory::from_json_str(r#"{"id":" "}"#), Err(RecordError::MissingId));
        assert!(matches!(Advisory::from_json_str("[1]"), Err(RecordError::Json(_))));
        assert_eq!(
            Advisory::from_json(br#"{"id":"X","schema_version":"2.0.0"}"#),
            Err(RecordError::UnsupportedSchema("2.0.0".into()))
        );
        assert!(matches!(Advisory::from_json(b"{"), Err(RecordError::Json(_))));
        assert!(matches!(
            Advisory::from_json(br#"{"id":"X","affected":"nope"}"#),
            Err(RecordError::Json(_))
        ));
    }

    #[test]
    fn package_keys_normalize_and_deduplicate() {
        let a = Advisory::from_json(
            br#"{"id":"P","affected":[
                {"package":{"ecosystem":"PyPI","name":"Zope.Interface"}},
                {"package":{"ecosystem":"PyPI","name":"zope-interface"}},
                {"package":{"ecosystem":"Maven:https://maven.google.com","name":"g:a"}}]}"#,
        )
        .unwrap();
        assert_eq!(
            a.package_keys(),
            vec![
                (Ecosystem::PyPI, "zope-interface".to_owned()),
                (Ecosystem::Maven, "g:a".to_owned())
            ]
        );
    }
}
