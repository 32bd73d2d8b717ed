//! Push payloads: Bitbucket Server / Data Center native webhooks (5.4+) and the Atlassian Labs
//! "Bitbucket Server Web Post Hooks" post-receive plugin, parsed as they arrive and normalized into
//! one [`PushEvent`] shape.
//!
//! The payload is a hint (commits are truncated, annotated tags point at tag objects), so the
//! normalized event keeps only what the pipeline needs to decide what to re-read over REST.
//! Parsing never panics: anything not understood is a [`WebhookError`] naming the field.

pub use crate::model::Ts;
use crate::model::{Commit, MinimalCommit};
use chrono::{DateTime, Utc};
use depwatch_core::Diagnostic;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What depwatch accepts, quoted in every "unsupported source" message so the user knows what to
/// configure instead.
pub const SUPPORTED_SOURCES: &str = "depwatch supports Bitbucket Server / Data Center native \
webhooks (events repo:refs_changed and repo:modified) and the Atlassian Labs \"Bitbucket Server \
Web Post Hooks\" plugin";

/// The `X-Event-Key` of a push.
pub const EVENT_REFS_CHANGED: &str = "repo:refs_changed";
/// The `X-Event-Key` of a rename or a move to another project.
pub const EVENT_REPO_MODIFIED: &str = "repo:modified";
/// The `X-Event-Key` of the unsigned "Test connection" request.
pub const EVENT_PING: &str = "diagnostics:ping";

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a payload could not be turned into an event.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The body is not JSON at all (or is cut short).
    #[error("{format} payload is not valid JSON (line {line}, column {column}): {message}")]
    Syntax { format: &'static str, line: usize, column: usize, message: String },
    /// The body is JSON but a field has the wrong type or is missing.
    #[error("{format} payload field `{field}` has an unexpected shape: {message}")]
    Shape { format: &'static str, field: String, message: String },
    /// A field has the right type but a value depwatch cannot use (a malformed hash or date).
    #[error("{format} payload field `{field}` is invalid: {message}")]
    Field { format: &'static str, field: String, message: String },
    /// The request comes from a sender depwatch does not support.
    #[error("{0}")]
    Unsupported(UnsupportedSource),
}

/// A value that is not a Bitbucket timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a timestamp (expected epoch milliseconds or ISO-8601 with an offset)")]
pub struct TimestampError {
    /// The offending value, as received.
    pub value: String,
}

// ---------------------------------------------------------------------------------------------
// Timestamps

/// Parses a webhook `date` or ISO timestamp: RFC 3339 first, then the `+0100` form (no colon in
/// the offset) that Bitbucket puts in `date`.
///
/// # Errors
/// When neither form matches.
pub fn parse_date(s: &str) -> Result<DateTime<Utc>, TimestampError> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| TimestampError { value: s.to_owned() })
}

// ---------------------------------------------------------------------------------------------
// Payload shapes as received (only the fields depwatch reads; unknown fields are ignored)

/// `RestRepository` as embedded in payloads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// Stable numeric id: the key for everything (slugs change on rename).
    pub id: i64,
    pub slug: String,
    #[serde(default)]
    pub name: Option<String>,
    pub project: Project,
    #[serde(default)]
    pub links: Option<Links>,
}

/// `RestProject` as embedded in a repository.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Project key; personal projects start with `~`.
    pub key: String,
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `links` objects: `self` and `clone` lists of hrefs (they carry the server's context path).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Links {
    #[serde(default, rename = "self")]
    pub self_: Vec<Href>,
    #[serde(default)]
    pub clone: Vec<Href>,
}

/// One link.
#[derive(Debug, Clone, Deserialize)]
pub struct Href {
    pub href: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// The legacy single `link` of plugin changesets (`{"url": "/projects/…", "rel": "self"}`).
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyLink {
    pub url: String,
    #[serde(default)]
    pub rel: Option<String>,
}

/// `RestApplicationUser` (the `actor`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
}

/// `RestMinimalRef` (`ref` in native changes; absent in the plugin format).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinimalRef {
    pub id: String,
    #[serde(default)]
    pub display_id: Option<String>,
    /// `BRANCH` or `TAG`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// One element of `changes` (native) or `refChanges` (plugin).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawRefChange {
    #[serde(default, rename = "ref")]
    pub reference: Option<MinimalRef>,
    /// Both formats carry it, so it is the key (`ref` is native only).
    #[serde(default)]
    pub ref_id: Option<String>,
    pub from_hash: String,
    pub to_hash: String,
    /// `ADD`, `UPDATE` or `DELETE`.
    #[serde(rename = "type")]
    pub change_type: String,
}

/// A Bitbucket page (`size`, `limit`, `isLastPage`, `start`, `values`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    #[serde(default)]
    pub size: Option<u32>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub is_last_page: Option<bool>,
    #[serde(default)]
    pub start: Option<u32>,
    #[serde(default = "Vec::new")]
    pub values: Vec<T>,
}

/// `repo:refs_changed` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefsChanged {
    #[serde(default)]
    pub event_key: Option<String>,
    /// `2025-03-14T09:26:53+0100`: no colon in the offset.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub actor: Option<User>,
    pub repository: Repository,
    /// Required, but may be empty (real deliveries with `changes: []` exist).
    pub changes: Vec<RawRefChange>,
    /// 9.x/10.x only; absent on DELETE.
    #[serde(default)]
    pub to_commit: Option<Commit>,
    /// 9.x/10.x only: at most the 5 most recent commits.
    #[serde(default)]
    pub commits: Vec<Commit>,
}

/// `repo:modified` body (rename, or move to another project).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoModified {
    #[serde(default)]
    pub event_key: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub actor: Option<User>,
    pub old: Repository,
    pub new: Repository,
}

/// `diagnostics:ping` body (`{"test": true}`).
#[derive(Debug, Clone, Deserialize)]
pub struct Ping {
    #[serde(default)]
    pub test: bool,
}

/// One plugin changeset.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Changeset {
    #[serde(default)]
    pub from_commit: Option<MinimalCommit>,
    pub to_commit: Commit,
    /// File changes; depwatch re-reads them over REST, so their shape is not checked.
    #[serde(default)]
    pub changes: Option<Page<serde_json::Value>>,
    /// Older plugin versions: a relative URL.
    #[serde(default)]
    pub link: Option<LegacyLink>,
    /// Newer plugin versions: absolute hrefs (with the context path).
    #[serde(default)]
    pub links: Option<Links>,
}

/// Atlassian Labs Web Post Hooks body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostReceive {
    pub repository: Repository,
    pub ref_changes: Vec<RawRefChange>,
    /// Capped at 100 on branch creation; empty on DELETE.
    #[serde(default)]
    pub changesets: Option<Page<Changeset>>,
}

// ---------------------------------------------------------------------------------------------
// Normalized events

/// Which sender produced an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayloadFormat {
    /// Bitbucket Server / DC native webhook (`X-Event-Key`, optional HMAC).
    NativeWebhook,
    /// Atlassian Labs post-receive plugin (`refChanges` + `changesets`, token in the URL).
    PostReceivePlugin,
}

impl PayloadFormat {
    fn label(self) -> &'static str {
        match self {
            PayloadFormat::NativeWebhook => "repo:refs_changed",
            PayloadFormat::PostReceivePlugin => "post-receive plugin",
        }
    }
}

/// A full git object id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits, never all zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommitHash(String);

impl CommitHash {
    /// Parses a hash; `Ok(None)` for the all-zero hash Bitbucket uses for "no object"
    /// (`fromHash` on ADD, `toHash` on DELETE).
    ///
    /// # Errors
    /// When the value is not 40 or 64 hex digits.
    pub fn parse_optional(s: &str) -> Result<Option<CommitHash>, String> {
        let s = s.trim();
        if !(s.len() == 40 || s.len() == 64) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("`{s}` is not a git object id (40 or 64 hex digits)"));
        }
        if s.bytes().all(|b| b == b'0') {
            return Ok(None);
        }
        Ok(Some(CommitHash(s.to_ascii_lowercase())))
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CommitHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a ref is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    /// `refs/heads/…`
    Branch,
    /// `refs/tags/…`
    Tag,
    /// Anything else (`refs/notes/…`); the pipeline ignores these.
    Other,
}

/// What happened to a ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Add,
    Update,
    Delete,
}

/// One ref moved by a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefChange {
    /// Full ref name (`refs/heads/main`).
    pub ref_id: String,
    /// Short name (`main`).
    pub display_id: String,
    pub kind: RefKind,
    /// `None` on ADD (zero hash).
    pub from: Option<CommitHash>,
    /// `None` on DELETE (zero hash). For an annotated tag this is the tag object, not a commit.
    pub to: Option<CommitHash>,
    pub change: ChangeKind,
    /// A tag whose `to` was not seen as a commit in the payload: it may be an annotated tag
    /// object, so peel it (`GET …/tags/{name}` → `latestCommit`) before reading files.
    pub peel_required: bool,
}

/// Who pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub id: Option<i64>,
}

/// A commit the payload mentioned: a hint only, the pipeline re-reads state over REST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitHint {
    pub id: CommitHash,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub author_time: Option<DateTime<Utc>>,
    pub committer_time: Option<DateTime<Utc>>,
    /// First line of the message.
    pub summary: Option<String>,
    pub parents: Vec<CommitHash>,
    /// Link from the payload, as given (absolute hrefs carry the context path; never derive the
    /// server base URL from it).
    pub link: Option<String>,
}

/// A push, whichever sender reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushEvent {
    pub format: PayloadFormat,
    /// `repository.id`: the stable key.
    pub repository_id: i64,
    pub project_key: String,
    pub repo_slug: String,
    /// The payload `date` (native only).
    pub occurred_at: Option<DateTime<Utc>>,
    pub actor: Option<Actor>,
    /// Every ref of the push, in payload order (pushes can move several refs at once).
    pub ref_changes: Vec<RefChange>,
    /// Commits the payload named, most relevant first, without duplicates.
    pub commits: Vec<CommitHint>,
    /// Whether `commits` is known to be complete (plugin page with `isLastPage: true`); native
    /// payloads keep at most 5, so they never are.
    pub commits_complete: bool,
    /// Oddities that did not stop normalization (empty `changes`, inconsistent zero hashes).
    pub diagnostics: Vec<Diagnostic>,
}

/// A repository's names at one point in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoIdentity {
    pub project_key: String,
    pub slug: String,
    pub name: Option<String>,
}

/// A rename or move (`repo:modified`): update stored identity by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoModifiedEvent {
    pub repository_id: i64,
    pub old: RepoIdentity,
    pub new: RepoIdentity,
    pub occurred_at: Option<DateTime<Utc>>,
    pub actor: Option<Actor>,
}

/// Any event the pipeline acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HookEvent {
    Push(PushEvent),
    RepoModified(RepoModifiedEvent),
}

impl HookEvent {
    /// The repository the event is about (the new identity for a rename).
    pub fn repository(&self) -> (i64, &str, &str) {
        match self {
            HookEvent::Push(p) => (p.repository_id, &p.project_key, &p.repo_slug),
            HookEvent::RepoModified(m) => (m.repository_id, &m.new.project_key, &m.new.slug),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Unsupported senders

/// A sender depwatch recognizes but does not support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnsupportedSource {
    /// Bitbucket Cloud (`X-Hook-UUID` header or `X-Event-Key: repo:push`).
    BitbucketCloud,
    /// Moveworkforward "Post Webhooks for Bitbucket" (`X-Bitbucket-Type: server`).
    MoveworkforwardPostWebhooks,
    /// A Cloud-style `push.changes` body without identifying headers.
    CloudStylePayload,
}

impl fmt::Display for UnsupportedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            UnsupportedSource::BitbucketCloud => {
                "this request comes from Bitbucket Cloud (X-Hook-UUID header or repo:push event)"
            }
            UnsupportedSource::MoveworkforwardPostWebhooks => {
                "this request comes from the Moveworkforward \"Post Webhooks for Bitbucket\" plugin \
                 (X-Bitbucket-Type: server)"
            }
            UnsupportedSource::CloudStylePayload => {
                "this request has a Bitbucket Cloud style body (push.changes), as sent by \
                 Bitbucket Cloud or the Moveworkforward \"Post Webhooks for Bitbucket\" plugin"
            }
        };
        write!(f, "{what}, which depwatch does not support; {SUPPORTED_SOURCES}")
    }
}

/// The request headers that identify a sender.
#[derive(Debug, Clone, Copy, Default)]
pub struct SenderHeaders<'a> {
    /// `X-Event-Key`.
    pub event_key: Option<&'a str>,
    /// Whether `X-Hook-UUID` is present.
    pub has_hook_uuid: bool,
    /// `X-Bitbucket-Type`.
    pub bitbucket_type: Option<&'a str>,
}

/// Recognizes unsupported senders from headers alone (no body parsing, so it is safe to call
/// before signature verification).
pub fn detect_unsupported_headers(h: SenderHeaders<'_>) -> Option<UnsupportedSource> {
    if h.bitbucket_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("server")) {
        return Some(UnsupportedSource::MoveworkforwardPostWebhooks);
    }
    if h.has_hook_uuid || h.event_key.is_some_and(|k| k.trim() == "repo:push") {
        return Some(UnsupportedSource::BitbucketCloud);
    }
    None
}

/// Recognizes a Cloud-style body (`push.changes`). Call it only on authenticated bodies.
pub fn detect_unsupported_body(body: &[u8]) -> Option<UnsupportedSource> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("push").and_then(|p| p.get("changes")).map(|_| UnsupportedSource::CloudStylePayload)
}

// ---------------------------------------------------------------------------------------------
// Parsing

fn parse<T: serde::de::DeserializeOwned>(
    format: &'static str,
    body: &[u8],
) -> Result<T, WebhookError> {
    // Path tracking costs on every field, so only a failed parse pays for it (the listener
    // parses thousands of good bodies per second).
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            if let Some(source) = detect_unsupported_body(body) {
                return WebhookError::Unsupported(source);
            }
            WebhookError::Shape { format, field, message: inner.to_string() }
        } else {
            WebhookError::Syntax {
                format,
                line: inner.line(),
                column: inner.column(),
                message: inner.to_string(),
            }
        }
    })
}

/// Parses a `repo:refs_changed` body.
///
/// # Errors
/// Invalid JSON, a missing or mistyped field, or a Cloud-style body.
pub fn parse_refs_changed(body: &[u8]) -> Result<RefsChanged, WebhookError> {
    parse(EVENT_REFS_CHANGED, body)
}

/// Parses a `repo:modified` body.
///
/// # Errors
/// Invalid JSON or a missing or mistyped field.
pub fn parse_repo_modified(body: &[u8]) -> Result<RepoModified, WebhookError> {
    parse(EVENT_REPO_MODIFIED, body)
}

/// Parses a `diagnostics:ping` body.
///
/// # Errors
/// Invalid JSON.
pub fn parse_ping(body: &[u8]) -> Result<Ping, WebhookError> {
    parse(EVENT_PING, body)
}

/// Parses a post-receive plugin body.
///
/// # Errors
/// Invalid JSON, a missing or mistyped field, or a Cloud-style body.
pub fn parse_post_receive(body: &[u8]) -> Result<PostReceive, WebhookError> {
    parse(PayloadFormat::PostReceivePlugin.label(), body)
}

/// Parses and normalizes a native push.
///
/// # Errors
/// See [`parse_refs_changed`] and [`RefsChanged::to_push_event`].
pub fn normalize_refs_changed(body: &[u8]) -> Result<PushEvent, WebhookError> {
    parse_refs_changed(body)?.to_push_event()
}

/// Parses and normalizes a plugin push.
///
/// # Errors
/// See [`parse_post_receive`] and [`PostReceive::to_push_event`].
pub fn normalize_post_receive(body: &[u8]) -> Result<PushEvent, WebhookError> {
    parse_post_receive(body)?.to_push_event()
}

/// Parses and normalizes a rename or move.
///
/// # Errors
/// See [`parse_repo_modified`] and [`RepoModified::to_event`].
pub fn normalize_repo_modified(body: &[u8]) -> Result<RepoModifiedEvent, WebhookError> {
    parse_repo_modified(body)?.to_event()
}

// ---------------------------------------------------------------------------------------------
// Normalization

fn actor_of(user: Option<&User>) -> Option<Actor> {
    user.map(|u| Actor {
        name: u.name.clone().or_else(|| u.slug.clone()),
        display_name: u.display_name.clone(),
        email: u.email_address.clone(),
        id: u.id,
    })
}

fn date_of(
    format: &'static str,
    date: Option<&str>,
) -> Result<Option<DateTime<Utc>>, WebhookError> {
    date.map(|d| {
        parse_date(d).map_err(|e| WebhookError::Field {
            format,
            field: "date".into(),
            message: e.to_string(),
        })
    })
    .transpose()
}

struct Normalizer {
    format: PayloadFormat,
    commits: Vec<CommitHint>,
}

impl Normalizer {
    fn field_err(&self, field: String, message: impl Into<String>) -> WebhookError {
        WebhookError::Field { format: self.format.label(), field, message: message.into() }
    }

    fn hash(&self, field: String, value: &str) -> Result<Option<CommitHash>, WebhookError> {
        CommitHash::parse_optional(value).map_err(|m| self.field_err(field, m))
    }

    fn add_commit(
        &mut self,
        field: &str,
        c: &Commit,
        link: Option<String>,
    ) -> Result<(), WebhookError> {
        let id = self
            .hash(format!("{field}.id"), &c.id)?
            .ok_or_else(|| self.field_err(format!("{field}.id"), "a commit id is all zeros"))?;
        if self.commits.iter().any(|h| h.id == id) {
            return Ok(());
        }
        let ts = |name: &str, t: Option<&Ts>| {
            t.map(|t| {
                t.to_utc().map_err(|e| self.field_err(format!("{field}.{name}"), e.to_string()))
            })
            .transpose()
        };
        let author_time = ts("authorTimestamp", c.author_timestamp.as_ref())?;
        let committer_time = ts("committerTimestamp", c.committer_timestamp.as_ref())?;
        let mut parents = Vec::with_capacity(c.parents.len());
        for (i, p) in c.parents.iter().enumerate() {
            if let Some(h) = self.hash(format!("{field}.parents[{i}].id"), &p.id)? {
                parents.push(h);
            }
        }
        self.commits.push(CommitHint {
            id,
            author_name: c.author.as_ref().and_then(|a| a.name.clone()),
            author_email: c.author.as_ref().and_then(|a| a.email_address.clone()),
            author_time,
            committer_time,
            summary: c.message.as_deref().and_then(|m| m.lines().next()).map(str::to_owned),
            parents,
            link,
        });
        Ok(())
    }

    fn ref_changes(
        &self,
        list_name: &str,
        raw: &[RawRefChange],
        diagnostics: &mut Vec<Diagnostic>,
        source: &str,
    ) -> Result<Vec<RefChange>, WebhookError> {
        let mut out = Vec::with_capacity(raw.len());
        for (i, c) in raw.iter().enumerate() {
            let at = format!("{list_name}[{i}]");
            let ref_id = c
                .ref_id
                .clone()
                .or_else(|| c.reference.as_ref().map(|r| r.id.clone()))
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| {
                    self.field_err(format!("{at}.refId"), "missing (and no `ref.id`)")
                })?;
            let change = match c.change_type.trim().to_ascii_uppercase().as_str() {
                "ADD" => ChangeKind::Add,
                "UPDATE" => ChangeKind::Update,
                "DELETE" => ChangeKind::Delete,
                other => {
                    return Err(self.field_err(
                        format!("{at}.type"),
                        format!("`{other}` is not ADD, UPDATE or DELETE"),
                    ))
                }
            };
            let from = self.hash(format!("{at}.fromHash"), &c.from_hash)?;
            let to = self.hash(format!("{at}.toHash"), &c.to_hash)?;
            let declared =
                c.reference.as_ref().and_then(|r| r.kind.as_deref()).map(str::to_ascii_uppercase);
            let kind = match declared.as_deref() {
                Some("BRANCH") => RefKind::Branch,
                Some("TAG") => RefKind::Tag,
                _ if ref_id.starts_with("refs/heads/") => RefKind::Branch,
                _ if ref_id.starts_with("refs/tags/") => RefKind::Tag,
                _ => RefKind::Other,
            };
            let display_id =
                c.reference.as_ref().and_then(|r| r.display_id.clone()).unwrap_or_else(|| {
                    ref_id
                        .strip_prefix("refs/heads/")
                        .or_else(|| ref_id.strip_prefix("refs/tags/"))
                        .unwrap_or(&ref_id)
                        .to_owned()
                });
            let inconsistent = match change {
                ChangeKind::Add => to.is_none().then_some("ADD with a zero toHash"),
                ChangeKind::Update => (from.is_none() || to.is_none())
                    .then_some("UPDATE with a zero fromHash or toHash"),
                ChangeKind::Delete => from.is_none().then_some("DELETE with a zero fromHash"),
            };
            if let Some(what) = inconsistent {
                diagnostics.push(Diagnostic::warning(
                    source,
                    format!("{at} ({ref_id}): {what}; the ref is re-read from the server"),
                ));
            }
            let peel_required = kind == RefKind::Tag
                && to.as_ref().is_some_and(|t| !self.commits.iter().any(|h| &h.id == t));
            out.push(RefChange { ref_id, display_id, kind, from, to, change, peel_required });
        }
        if out.is_empty() {
            diagnostics.push(Diagnostic::info(
                source,
                format!("{list_name} is empty; schedule a reconcile of the repository"),
            ));
        }
        Ok(out)
    }
}

fn self_link(links: Option<&Links>) -> Option<String> {
    links.and_then(|l| l.self_.first()).map(|h| h.href.clone())
}

fn source_label(format: PayloadFormat, repo: &Repository) -> String {
    format!("{} {}/{} (id {})", format.label(), repo.project.key, repo.slug, repo.id)
}

impl RefsChanged {
    /// Normalizes the push: zero hashes become `None`, every ref is kept, commit timestamps in
    /// either format become UTC instants.
    ///
    /// # Errors
    /// A malformed hash, date, change type or missing ref id, naming the field.
    pub fn to_push_event(&self) -> Result<PushEvent, WebhookError> {
        let format = PayloadFormat::NativeWebhook;
        let mut n = Normalizer { format, commits: Vec::new() };
        if let Some(c) = &self.to_commit {
            n.add_commit("toCommit", c, None)?;
        }
        for (i, c) in self.commits.iter().enumerate() {
            n.add_commit(&format!("commits[{i}]"), c, None)?;
        }
        let mut diagnostics = Vec::new();
        let source = source_label(format, &self.repository);
        let ref_changes = n.ref_changes("changes", &self.changes, &mut diagnostics, &source)?;
        Ok(PushEvent {
            format,
            repository_id: self.repository.id,
            project_key: self.repository.project.key.clone(),
            repo_slug: self.repository.slug.clone(),
            occurred_at: date_of(format.label(), self.date.as_deref())?,
            actor: actor_of(self.actor.as_ref()),
            ref_changes,
            commits: n.commits,
            commits_complete: false,
            diagnostics,
        })
    }
}

impl PostReceive {
    /// Normalizes the plugin push (no `ref` objects, no actor, no date).
    ///
    /// # Errors
    /// A malformed hash, timestamp, change type or missing ref id, naming the field.
    pub fn to_push_event(&self) -> Result<PushEvent, WebhookError> {
        let format = PayloadFormat::PostReceivePlugin;
        let mut n = Normalizer { format, commits: Vec::new() };
        let mut commits_complete = true;
        if let Some(page) = &self.changesets {
            for (i, cs) in page.values.iter().enumerate() {
                let link = self_link(cs.links.as_ref())
                    .or_else(|| cs.link.as_ref().map(|l| l.url.clone()));
                n.add_commit(&format!("changesets.values[{i}].toCommit"), &cs.to_commit, link)?;
            }
            commits_complete = page.is_last_page.unwrap_or(false);
        }
        let mut diagnostics = Vec::new();
        let source = source_label(format, &self.repository);
        if !commits_complete {
            diagnostics.push(Diagnostic::info(
                &source,
                "changesets is truncated (the plugin caps it); commits are re-read from the server",
            ));
        }
        let ref_changes =
            n.ref_changes("refChanges", &self.ref_changes, &mut diagnostics, &source)?;
        Ok(PushEvent {
            format,
            repository_id: self.repository.id,
            project_key: self.repository.project.key.clone(),
            repo_slug: self.repository.slug.clone(),
            occurred_at: None,
            actor: None,
            ref_changes,
            commits: n.commits,
            commits_complete,
            diagnostics,
        })
    }
}

impl RepoModified {
    /// Normalizes a rename or move.
    ///
    /// # Errors
    /// When `old.id` and `new.id` differ (that is not a rename) or `date` is malformed.
    pub fn to_event(&self) -> Result<RepoModifiedEvent, WebhookError> {
        if self.old.id != self.new.id {
            return Err(WebhookError::Field {
                format: EVENT_REPO_MODIFIED,
                field: "new.id".into(),
                message: format!(
                    "differs from old.id ({} vs {}); a rename keeps the repository id",
                    self.new.id, self.old.id
                ),
            });
        }
        let identity = |r: &Repository| RepoIdentity {
            project_key: r.project.key.clone(),
            slug: r.slug.clone(),
            name: r.name.clone(),
        };
        Ok(RepoModifiedEvent {
            repository_id: self.new.id,
            old: identity(&self.old),
            new: identity(&self.new),
            occurred_at: date_of(EVENT_REPO_MODIFIED, self.date.as_deref())?,
            actor: actor_of(self.actor.as_ref()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_without_colon_in_offset_parses() {
        let d = parse_date("2025-03-14T09:26:53+0100").unwrap();
        assert_eq!(d.to_rfc3339(), "2025-03-14T08:26:53+00:00");
        let d = parse_date("2025-03-14T09:26:53.250+0000").unwrap();
        assert_eq!(d.timestamp_millis(), 1_741_944_413_250);
    }

    #[test]
    fn rfc3339_dates_parse() {
        let d = parse_date("2025-11-03T08:15:42.000Z").unwrap();
        assert_eq!(d.timestamp(), 1_762_157_742);
        let d = parse_date("2025-11-03T09:15:42+01:00").unwrap();
        assert_eq!(d.timestamp(), 1_762_157_742);
    }

    #[test]
    fn bad_dates_are_errors_naming_the_value() {
        let e = parse_date("yesterday").unwrap_err();
        assert!(e.to_string().contains("`yesterday`"), "{e}");
        assert!(parse_date("2025-03-14T09:26:53").is_err(), "no offset is ambiguous");
    }

    #[test]
    fn ts_accepts_both_encodings() {
        let ms: Ts = serde_json::from_str("1741940813000").unwrap();
        let iso: Ts = serde_json::from_str("\"2025-03-14T08:26:53Z\"").unwrap();
        assert_eq!(ms.to_utc().unwrap(), iso.to_utc().unwrap());
        assert!(Ts::Ms(i64::MAX).to_utc().is_err());
    }

    #[test]
    fn zero_hash_is_none_and_bad_hash_is_error() {
        assert_eq!(CommitHash::parse_optional(&"0".repeat(40)).unwrap(), None);
        assert_eq!(CommitHash::parse_optional(&"0".repeat(64)).unwrap(), None);
        let h = CommitHash::parse_optional(&"AB".repeat(20)).unwrap().unwrap();
        assert_eq!(h.as_str(), "ab".repeat(20));
        assert!(CommitHash::parse_optional("abc").is_err());
        assert!(CommitHash::parse_optional(&"g".repeat(40)).is_err());
    }

    #[test]
    fn header_detection() {
        let cloud = SenderHeaders { event_key: Some("repo:push"), ..SenderHeaders::default() };
        assert_eq!(detect_unsupported_headers(cloud), Some(UnsupportedSource::BitbucketCloud));
        let uuid = SenderHeaders {
            event_key: Some("repo:refs_changed"),
            has_hook_uuid: true,
            bitbucket_type: None,
        };
        assert_eq!(detect_unsupported_headers(uuid), Some(UnsupportedSource::BitbucketCloud));
        let mwf = SenderHeaders {
            event_key: Some("repo:push"),
            has_hook_uuid: false,
            bitbucket_type: Some("server"),
        };
        assert_eq!(
            detect_unsupported_headers(mwf),
            Some(UnsupportedSource::MoveworkforwardPostWebhooks)
        );
        let native =
            SenderHeaders { event_key: Some("repo:refs_changed"), ..SenderHeaders::default() };
        assert_eq!(detect_unsupported_headers(native), None);
        let msg = UnsupportedSource::BitbucketCloud.to_string();
        assert!(msg.contains("does not support") && msg.contains("Web Post Hooks"), "{msg}");
    }

    #[test]
    fn syntax_error_names_position() {
        let e = parse_refs_changed(b"{\"repository\": ").unwrap_err();
        assert!(matches!(e, WebhookError::Syntax { line: 1, .. }), "{e}");
    }

    #[test]
    fn shape_error_names_field_path() {
        let body = br#"{"repository":{"id":1,"slug":"a","project":{"key":"P"}},
            "changes":[{"refId":"refs/heads/main","fromHash":7,"toHash":"x","type":"ADD"}]}"#;
        let e = parse_refs_changed(body).unwrap_err();
        match &e {
            WebhookError::Shape { field, .. } => assert_eq!(field, "changes[0].fromHash"),
            other => panic!("expected a shape error, got {other}"),
        }
    }

    #[test]
    fn unknown_change_type_is_field_error() {
        let body = format!(
            r#"{{"repository":{{"id":1,"slug":"a","project":{{"key":"P"}}}},
            "changes":[{{"refId":"refs/heads/main","fromHash":"{z}","toHash":"{h}","type":"MOVE"}}]}}"#,
            z = "0".repeat(40),
            h = "a".repeat(40)
        );
        let e = normalize_refs_changed(body.as_bytes()).unwrap_err();
        assert!(
            matches!(&e, WebhookError::Field { field, .. } if field == "changes[0].type"),
            "{e}"
        );
    }

    #[test]
    fn cloud_body_is_unsupported() {
        let body = br#"{"actor":{},"repository":{"fullName":"a/b"},"push":{"changes":[]}}"#;
        let e = parse_refs_changed(body).unwrap_err();
        assert!(
            matches!(e, WebhookError::Unsupported(UnsupportedSource::CloudStylePayload)),
            "{e}"
        );
        let e = parse_post_receive(body).unwrap_err();
        assert!(matches!(e, WebhookError::Unsupported(_)), "{e}");
    }

    #[test]
    fn rename_with_different_ids_is_rejected() {
        let body = br#"{"old":{"id":1,"slug":"a","project":{"key":"P"}},
                        "new":{"id":2,"slug":"b","project":{"key":"P"}}}"#;
        assert!(normalize_repo_modified(body).is_err());
    }
}
