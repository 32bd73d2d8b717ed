//! Typed REST responses. Field names follow the Bitbucket DC 9.2 OpenAPI (`RestRepository`,
//! `RestCommit`, ...). Every field that older servers may lack is optional, unknown enum values
//! map to an `Unknown` variant, and every timestamp is a [`Ts`] (epoch-ms or ISO-8601: DC 10.3
//! switched some to strings).

use crate::webhook::TimestampError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// A Bitbucket timestamp: epoch milliseconds before Data Center 10.3, ISO-8601 strings after it
/// (commit `authorTimestamp`/`committerTimestamp`, PR dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ts {
    /// Milliseconds since the Unix epoch.
    Ms(i64),
    /// An ISO-8601 string such as `2025-11-03T08:15:42.000Z`.
    Iso(String),
}

impl Ts {
    /// The instant in UTC.
    ///
    /// # Errors
    /// When the number is out of range or the string is not a date with an offset.
    pub fn to_utc(&self) -> Result<DateTime<Utc>, TimestampError> {
        match self {
            Ts::Ms(ms) => DateTime::from_timestamp_millis(*ms)
                .ok_or_else(|| TimestampError { value: ms.to_string() }),
            Ts::Iso(s) => crate::webhook::parse_date(s),
        }
    }
}

/// `GET /application-properties`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationProperties {
    /// e.g. "9.4.2".
    pub version: String,
    /// e.g. "9004002".
    #[serde(default)]
    pub build_number: Option<String>,
    /// Build date (a string of epoch-ms on most versions).
    #[serde(default)]
    pub build_date: Option<String>,
    /// "Bitbucket" (or "Stash" on very old servers).
    #[serde(default)]
    pub display_name: Option<String>,
}

impl ApplicationProperties {
    /// `(major, minor)` parsed from `version`, when it is numeric.
    pub fn major_minor(&self) -> Option<(u32, u32)> {
        let mut it = self.version.split(['.', '-']);
        let major = it.next()?.parse().ok()?;
        let minor = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Some((major, minor))
    }

    /// Native webhooks REST exists (5.4+).
    pub fn has_native_webhooks(&self) -> bool {
        self.major_minor().is_some_and(|v| v >= (5, 4))
    }

    /// The `archived` filter on `/repos` exists (8.0+).
    pub fn has_archived_filter(&self) -> bool {
        self.major_minor().is_some_and(|v| v >= (8, 0))
    }

    /// Project-level webhooks exist (8.0+).
    pub fn has_project_webhooks(&self) -> bool {
        self.major_minor().is_some_and(|v| v >= (8, 0))
    }
}

/// One `{href, name?}` link.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Link {
    /// The URL (includes the server's context path).
    pub href: String,
    /// Link name, e.g. "http" or "ssh" for clone links.
    #[serde(default)]
    pub name: Option<String>,
}

/// The `links` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Links {
    /// Self links.
    #[serde(default, rename = "self")]
    pub self_: Vec<Link>,
    /// Clone links (repositories).
    #[serde(default)]
    pub clone: Vec<Link>,
}

/// `NORMAL` or `PERSONAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProjectType {
    /// A regular project.
    Normal,
    /// A user's personal project (`~user`).
    Personal,
    /// A value this client does not know.
    #[serde(other)]
    Unknown,
}

/// `RestProject`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Project key (`SHOP`, or `~jdoe` for personal projects).
    pub key: String,
    /// Numeric id.
    #[serde(default)]
    pub id: Option<i64>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Publicly readable.
    #[serde(default)]
    pub public: Option<bool>,
    /// `NORMAL` / `PERSONAL`.
    #[serde(default, rename = "type")]
    pub kind: Option<ProjectType>,
    /// Links.
    #[serde(default)]
    pub links: Links,
}

/// Repository state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RepositoryState {
    /// Usable.
    Available,
    /// Creation failed.
    InitialisationFailed,
    /// Being created.
    Initialising,
    /// Offline (DC mirrors).
    Offline,
    /// A value this client does not know.
    #[serde(other)]
    Unknown,
}

/// `RestRepository`. Key stored data by `id`: slugs change on rename or move.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// Numeric id, stable across renames.
    pub id: i64,
    /// URL slug.
    pub slug: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// `git`.
    #[serde(default)]
    pub scm_id: Option<String>,
    /// State.
    #[serde(default)]
    pub state: Option<RepositoryState>,
    /// Forkable flag.
    #[serde(default)]
    pub forkable: Option<bool>,
    /// Archived (8.0+).
    #[serde(default)]
    pub archived: Option<bool>,
    /// Publicly readable.
    #[serde(default)]
    pub public: Option<bool>,
    /// Default branch ref id (only on newer servers; don't rely on it).
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Owning project.
    pub project: Project,
    /// Present on forks.
    #[serde(default)]
    pub origin: Option<Box<Repository>>,
    /// Links.
    #[serde(default)]
    pub links: Links,
}

/// `BRANCH` or `TAG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefType {
    /// A branch.
    Branch,
    /// A tag.
    Tag,
    /// A value this client does not know.
    #[serde(other)]
    Unknown,
}

/// `RestMinimalRef` (`/default-branch`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinimalRef {
    /// Full ref, e.g. `refs/heads/main`.
    pub id: String,
    /// Short name, e.g. `main`.
    #[serde(default)]
    pub display_id: Option<String>,
    /// `BRANCH` / `TAG`.
    #[serde(default, rename = "type")]
    pub kind: Option<RefType>,
}

/// `RestBranch`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    /// Full ref, e.g. `refs/heads/main`.
    pub id: String,
    /// Short name.
    #[serde(default)]
    pub display_id: Option<String>,
    /// Head commit id.
    #[serde(default)]
    pub latest_commit: Option<String>,
    /// Head commit id (older name).
    #[serde(default)]
    pub latest_changeset: Option<String>,
    /// Default-branch flag (`isDefault` on the wire, `default` in the OpenAPI).
    #[serde(default, alias = "default")]
    pub is_default: Option<bool>,
}

impl Branch {
    /// The head commit id, from `latestCommit` or the older `latestChangeset`.
    pub fn head(&self) -> Option<&str> {
        self.latest_commit.as_deref().or(self.latest_changeset.as_deref())
    }
}

/// `RestTag`. `latestCommit` is the peeled commit; `hash` is the tag object of an annotated tag.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    /// Full ref, e.g. `refs/tags/v1.0`.
    pub id: String,
    /// Short name.
    #[serde(default)]
    pub display_id: Option<String>,
    /// The commit the tag points at (peeled).
    #[serde(default)]
    pub latest_commit: Option<String>,
    /// Older name of `latest_commit`.
    #[serde(default)]
    pub latest_changeset: Option<String>,
    /// The tag object id for annotated tags.
    #[serde(default)]
    pub hash: Option<String>,
}

impl Tag {
    /// The peeled commit id: read files at this, never at the tag object id.
    pub fn commit_id(&self) -> Option<&str> {
        self.latest_commit.as_deref().or(self.latest_changeset.as_deref())
    }

    /// True when the tag is annotated (its object id differs from the commit it points at).
    pub fn is_annotated(&self) -> bool {
        matches!((self.hash.as_deref(), self.commit_id()), (Some(h), Some(c)) if h != c)
    }
}

/// `RestPerson`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email_address: Option<String>,
}

/// `RestMinimalCommit`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinimalCommit {
    /// Full commit id.
    pub id: String,
    /// Abbreviated id.
    #[serde(default)]
    pub display_id: Option<String>,
}

/// `RestCommit`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commit {
    /// Full commit id.
    pub id: String,
    /// Abbreviated id.
    #[serde(default)]
    pub display_id: Option<String>,
    /// Author.
    #[serde(default)]
    pub author: Option<Person>,
    /// Author time.
    #[serde(default)]
    pub author_timestamp: Option<Ts>,
    /// Committer.
    #[serde(default)]
    pub committer: Option<Person>,
    /// Commit time.
    #[serde(default)]
    pub committer_timestamp: Option<Ts>,
    /// Message.
    #[serde(default)]
    pub message: Option<String>,
    /// Parents.
    #[serde(default)]
    pub parents: Vec<MinimalCommit>,
}

/// `RestPath`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestPath {
    /// Path components.
    #[serde(default)]
    pub components: Vec<String>,
    /// Parent directory.
    #[serde(default)]
    pub parent: Option<String>,
    /// File name.
    #[serde(default)]
    pub name: Option<String>,
    /// Extension.
    #[serde(default)]
    pub extension: Option<String>,
    /// Full path as one string.
    #[serde(default, rename = "toString")]
    pub to_string: Option<String>,
}

impl RestPath {
    /// The full path (`toString`, or the components joined by `/`).
    pub fn full(&self) -> String {
        match &self.to_string {
            Some(s) => s.clone(),
            None => self.components.join("/"),
        }
    }
}

/// The kind of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeType {
    /// Added.
    Add,
    /// Copied.
    Copy,
    /// Deleted.
    Delete,
    /// Modified.
    Modify,
    /// Moved / renamed.
    Move,
    /// Unknown (also any value this client does not know).
    #[serde(other)]
    Unknown,
}

/// `FILE`, `DIRECTORY` or `SUBMODULE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeType {
    /// A file.
    File,
    /// A directory.
    Directory,
    /// A submodule.
    Submodule,
    /// A value this client does not know.
    #[serde(other)]
    Unknown,
}

/// `RestChange`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The path after the change.
    pub path: RestPath,
    /// The path before a move or copy.
    #[serde(default)]
    pub src_path: Option<RestPath>,
    /// Change kind.
    #[serde(rename = "type")]
    pub kind: ChangeType,
    /// Node kind.
    #[serde(default)]
    pub node_type: Option<NodeType>,
    /// Blob id after.
    #[serde(default)]
    pub content_id: Option<String>,
    /// Blob id before.
    #[serde(default)]
    pub from_content_id: Option<String>,
    /// Executable bit.
    #[serde(default)]
    pub executable: Option<bool>,
    /// Similarity for moves.
    #[serde(default)]
    pub percent_unchanged: Option<i64>,
}

/// Webhook `configuration` (the HMAC secret and anything else the server keeps).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WebhookConfiguration {
    /// The HMAC secret, when the server returns it.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// Any other configuration entries.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A native webhook as returned by the server (`RestWebhook` plus `id` and dates).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Webhook id.
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Target URL.
    pub url: String,
    /// Active flag.
    #[serde(default)]
    pub active: Option<bool>,
    /// Subscribed event keys.
    #[serde(default)]
    pub events: Vec<String>,
    /// Configuration (secret).
    #[serde(default)]
    pub configuration: WebhookConfiguration,
    /// Created.
    #[serde(default)]
    pub created_date: Option<Ts>,
    /// Updated.
    #[serde(default)]
    pub updated_date: Option<Ts>,
    /// 9.x: verify the target's TLS certificate.
    #[serde(default)]
    pub ssl_verification_required: Option<bool>,
    /// 9.x: `repository` / `project`.
    #[serde(default)]
    pub scope_type: Option<String>,
}

/// What to create or update: a native webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSpec {
    /// Name shown in the Bitbucket UI.
    pub name: String,
    /// Our listener URL.
    pub url: String,
    /// Active flag.
    pub active: bool,
    /// Event keys; register only ones the server knows (unknown keys give HTTP 400).
    pub events: Vec<String>,
    /// HMAC-SHA256 secret (`X-Hub-Signature`).
    pub secret: Option<Secret>,
    /// 9.x only; leave `None` for older servers.
    pub ssl_verification_required: Option<bool>,
}

impl WebhookSpec {
    /// The request body. The secret is exposed only here, into the body, which is never logged.
    pub(crate) fn to_body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "name": self.name,
            "url": self.url,
            "active": self.active,
            "events": self.events,
        });
        if let Some(obj) = body.as_object_mut() {
            if let Some(secret) = &self.secret {
                obj.insert(
                    "configuration".to_owned(),
                    serde_json::json!({ "secret": secret.expose() }),
                );
            }
            if let Some(ssl) = self.ssl_verification_required {
                obj.insert("sslVerificationRequired".to_owned(), ssl.into());
            }
        }
        body
    }
}

/// The server's answer to `webhooks/test?url=`: kept as JSON because its shape varies by
/// version; [`WebhookTestResult::status_code`] reads the target's HTTP status when present.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct WebhookTestResult(pub serde_json::Value);

impl WebhookTestResult {
    /// The HTTP status our listener answered with, as seen by Bitbucket.
    pub fn status_code(&self) -> Option<u16> {
        let v = &self.0;
        [
            v.pointer("/statusCode"),
            v.pointer("/response/statusCode"),
            v.pointer("/result/statusCode"),
        ]
        .into_iter()
        .flatten()
        .find_map(serde_json::Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
    }
}

/// `RepositoryHookDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryHookDetails {
    /// Hook key.
    pub key: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// `PRE_RECEIVE` / `POST_RECEIVE` / ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Plugin version.
    #[serde(default)]
    pub version: Option<String>,
}

/// `RestRepositoryHook`: is a hook (plugin) enabled and configured in this scope.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryHook {
    /// Enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Has settings.
    #[serde(default)]
    pub configured: bool,
    /// Plugin details.
    #[serde(default)]
    pub details: Option<RepositoryHookDetails>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_accepts_epoch_ms_and_iso() {
        let c: Commit = serde_json::from_str(
            r#"{"id":"a","authorTimestamp":1741940813000,"committerTimestamp":"2025-11-03T08:15:42.000Z"}"#,
        )
        .unwrap();
        assert_eq!(c.author_timestamp, Some(Ts::Ms(1741940813000)));
        assert_eq!(c.committer_timestamp, Some(Ts::Iso("2025-11-03T08:15:42.000Z".into())));
    }

    #[test]
    fn repository_skeleton_parses_with_unknown_enums() {
        let r: Repository = serde_json::from_str(
            r#"{"slug":"web-shop","id":412,"name":"Web Shop","scmId":"git","state":"NEW_STATE",
                "project":{"key":"SHOP","id":17,"type":"NORMAL","links":{"self":[{"href":"https://git.corp/bitbucket/projects/SHOP"}]}},
                "links":{"clone":[{"href":"https://git.corp/bitbucket/scm/shop/web-shop.git","name":"http"}]}}"#,
        )
        .unwrap();
        assert_eq!(r.state, Some(RepositoryState::Unknown));
        assert_eq!(r.project.kind, Some(ProjectType::Normal));
        assert_eq!(r.links.clone.len(), 1);
    }

    #[test]
    fn annotated_tag_is_peeled() {
        let t: Tag = serde_json::from_str(
            r#"{"id":"refs/tags/v1","displayId":"v1","type":"TAG","latestCommit":"c0ffee","hash":"7a9"}"#,
        )
        .unwrap();
        assert_eq!(t.commit_id(), Some("c0ffee"));
        assert!(t.is_annotated());
    }

    #[test]
    fn versions_gate_features() {
        let p = |v: &str| ApplicationProperties {
            version: v.into(),
            build_number: None,
            build_date: None,
            display_name: None,
        };
        assert!(!p("5.3.1").has_native_webhooks());
        assert!(p("5.4.0").has_native_webhooks());
        assert!(p("10.0.0-rc1").has_archived_filter());
        assert!(!p("7.21.0").has_archived_filter());
        assert_eq!(p("junk").major_minor(), None);
    }

    #[test]
    fn webhook_spec_body_carries_secret_only_in_body() {
        let spec = WebhookSpec {
            name: "depwatch".into(),
            url: "http://h/hook".into(),
            active: true,
            events: vec!["repo:refs_changed".into()],
            secret: Some(Secret::new("s3cr3t")),
            ssl_verification_required: None,
        };
        assert!(!format!("{spec:?}").contains("s3cr3t"));
        let body = spec.to_body();
        assert_eq!(body["configuration"]["secret"], "s3cr3t");
        assert!(body.get("sslVerificationRequired").is_none());
    }

    #[test]
    fn webhook_test_status_is_found() {
        let r: WebhookTestResult =
            serde_json::from_str(r#"{"request":{},"response":{"statusCode":204}}"#).unwrap();
        assert_eq!(r.status_code(), Some(204));
    }
}
