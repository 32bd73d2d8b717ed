//! Pushes from tests: commits, branch and tag creation/deletion, and how the resulting
//! webhook payloads should look.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};

use crate::history::{Commit, Person, Tag, TagObject, Tree, ZERO_HASH};
use crate::shapes::TimestampStyle;
use crate::state::{normalize_path, Store};
use crate::FakeError;

/// One push: ref operations applied atomically, delivered as one event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Push {
    /// Operations, applied in order.
    pub ops: Vec<RefOp>,
    /// User name of the pusher (`actor`); defaults to the first administrator.
    #[serde(default)]
    pub actor: Option<String>,
    /// Payload variants.
    #[serde(default)]
    pub payload: PayloadOptions,
}

impl Push {
    /// An empty push; add operations with the builder methods.
    pub fn new() -> Self {
        Push::default()
    }

    /// Adds a commit.
    pub fn commit(mut self, c: CommitSpec) -> Self {
        self.ops.push(RefOp::Commit(c));
        self
    }

    /// Creates `name` at `start_point` (a branch, tag or commit; default branch when `None`).
    pub fn create_branch(mut self, name: &str, start_point: Option<&str>) -> Self {
        self.ops.push(RefOp::CreateBranch {
            name: name.to_owned(),
            start_point: start_point.map(str::to_owned),
        });
        self
    }

    /// Deletes branch `name`.
    pub fn delete_branch(mut self, name: &str) -> Self {
        self.ops.push(RefOp::DeleteBranch { name: name.to_owned() });
        self
    }

    /// Creates tag `name` at `target`; annotated when `message` is given.
    pub fn create_tag(mut self, name: &str, target: Option<&str>, message: Option<&str>) -> Self {
        self.ops.push(RefOp::CreateTag {
            name: name.to_owned(),
            target: target.map(str::to_owned),
            message: message.map(str::to_owned),
        });
        self
    }

    /// Deletes tag `name`.
    pub fn delete_tag(mut self, name: &str) -> Self {
        self.ops.push(RefOp::DeleteTag { name: name.to_owned() });
        self
    }

    /// Sets the pusher.
    pub fn actor(mut self, user: &str) -> Self {
        self.actor = Some(user.to_owned());
        self
    }

    /// Sets payload variants.
    pub fn payload(mut self, payload: PayloadOptions) -> Self {
        self.payload = payload;
        self
    }
}

/// A ref operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum RefOp {
    /// A new commit on a branch (created when missing).
    Commit(CommitSpec),
    /// Creates a branch.
    #[serde(rename_all = "camelCase")]
    CreateBranch {
        /// Branch name without `refs/heads/`.
        name: String,
        /// Start point; default branch head when absent.
        #[serde(default)]
        start_point: Option<String>,
    },
    /// Deletes a branch.
    DeleteBranch {
        /// Branch name.
        name: String,
    },
    /// Creates a tag (annotated when `message` is set).
    CreateTag {
        /// Tag name without `refs/tags/`.
        name: String,
        /// Target revision; default branch head when absent.
        #[serde(default)]
        target: Option<String>,
        /// Annotation message.
        #[serde(default)]
        message: Option<String>,
    },
    /// Deletes a tag.
    DeleteTag {
        /// Tag name.
        name: String,
    },
}

fn files_from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Vec<u8>)>, D::Error> {
    let map = BTreeMap::<String, String>::deserialize(d)?;
    Ok(map.into_iter().map(|(k, v)| (k, v.into_bytes())).collect())
}

fn base64_files<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Vec<u8>)>, D::Error> {
    let map = BTreeMap::<String, String>::deserialize(d)?;
    map.into_iter()
        .map(|(k, v)| {
            base64::engine::general_purpose::STANDARD
                .decode(v.as_bytes())
                .map(|b| (k.clone(), b))
                .map_err(|e| serde::de::Error::custom(format!("filesBase64[{k:?}]: {e}")))
        })
        .collect()
}

/// A commit to make on a branch.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitSpec {
    /// Branch name without `refs/heads/`.
    pub branch: String,
    /// Commit message.
    #[serde(default)]
    pub message: Option<String>,
    /// Author: a user name, or `Name <email>`.
    #[serde(default)]
    pub author: Option<String>,
    /// Files written (added or changed), path → text.
    #[serde(default, deserialize_with = "files_from_json")]
    pub files: Vec<(String, Vec<u8>)>,
    /// Files written, path → base64 bytes (for exact bytes from JSON).
    #[serde(default, deserialize_with = "base64_files")]
    pub files_base64: Vec<(String, Vec<u8>)>,
    /// Paths deleted.
    #[serde(default)]
    pub delete: Vec<String>,
    /// Author/commit time (epoch ms); server clock when absent.
    #[serde(default)]
    pub timestamp_ms: Option<i64>,
    /// Start point when the branch does not exist yet (root commit when absent).
    #[serde(default)]
    pub from: Option<String>,
}

impl CommitSpec {
    /// A commit on `branch`.
    pub fn on(branch: &str) -> Self {
        CommitSpec { branch: branch.to_owned(), ..CommitSpec::default() }
    }

    /// Writes a file.
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.to_owned(), bytes.into()));
        self
    }

    /// Deletes a file.
    pub fn delete(mut self, path: &str) -> Self {
        self.delete.push(path.to_owned());
        self
    }

    /// Sets the message.
    pub fn message(mut self, m: &str) -> Self {
        self.message = Some(m.to_owned());
        self
    }

    /// Sets the author (user name or `Name <email>`).
    pub fn author(mut self, a: &str) -> Self {
        self.author = Some(a.to_owned());
        self
    }

    /// Sets the timestamp (epoch ms).
    pub fn at(mut self, ms: i64) -> Self {
        self.timestamp_ms = Some(ms);
        self
    }
}

fn default_true() -> bool {
    true
}

/// Which payload variant a push delivers.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadOptions {
    /// `toCommit`/`commits` timestamps: epoch ms (default) or ISO strings (DC 10.3).
    #[serde(default)]
    pub timestamps: TimestampStyle,
    /// Include `toCommit` (DC 9.x+).
    #[serde(default = "default_true")]
    pub include_to_commit: bool,
    /// Include `commits` (up to 5, newest first).
    #[serde(default = "default_true")]
    pub include_commits: bool,
    /// Send `changes: []` (seen in real deliveries).
    #[serde(default)]
    pub empty_changes: bool,
    /// UTC offset of `date`, minutes (`+0000` by default).
    #[serde(default)]
    pub date_offset_minutes: i32,
    /// Deliver to native webhooks.
    #[serde(default = "default_true")]
    pub native: bool,
    /// Deliver to the Web Post Hooks plugin URLs.
    #[serde(default = "default_true")]
    pub plugin: bool,
}

impl Default for PayloadOptions {
    fn default() -> Self {
        PayloadOptions {
            timestamps: TimestampStyle::EpochMs,
            include_to_commit: true,
            include_commits: true,
            empty_changes: false,
            date_offset_minutes: 0,
            native: true,
            plugin: true,
        }
    }
}

/// Kind of one ref change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RefChangeKind {
    /// Ref created (`fromHash` is zeros).
    Add,
    /// Ref moved.
    Update,
    /// Ref deleted (`toHash` is zeros).
    Delete,
}

/// One ref change produced by a push.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefChange {
    /// `refs/heads/x` or `refs/tags/x`.
    pub ref_id: String,
    /// Short name.
    pub display_id: String,
    /// `BRANCH` or `TAG`.
    pub ref_type: &'static str,
    /// Old hash (zeros on ADD).
    pub from_hash: String,
    /// New hash (zeros on DELETE; tag object for annotated tags).
    pub to_hash: String,
    /// Kind.
    #[serde(rename = "type")]
    pub kind: RefChangeKind,
    /// Peeled commit of `to_hash` (none on DELETE).
    #[serde(skip)]
    pub to_commit: Option<String>,
    /// Peeled commit of `from_hash` (none on ADD).
    #[serde(skip)]
    pub from_commit: Option<String>,
}

fn resolve_author(store: &Store, spec: Option<&str>, actor: &Person) -> Person {
    match spec {
        None => actor.clone(),
        Some(s) => {
            if let Some(u) = store.users.get(s) {
                return u.person();
            }
            if let Some((name, rest)) = s.split_once('<') {
                return Person {
                    name: name.trim().to_owned(),
                    email: rest.trim_end_matches('>').trim().to_owned(),
                };
            }
            Person {
                name: s.to_owned(),
                email: format!("{}@example.com", s.to_lowercase().replace(' ', ".")),
            }
        }
    }
}

/// The pushing user name (given, or the first administrator, or the first user).
pub(crate) fn actor_name(store: &Store, actor: Option<&str>) -> Option<String> {
    match actor {
        Some(a) => Some(a.to_owned()),
        None => store
            .users
            .values()
            .find(|u| u.sysadmin)
            .or_else(|| store.users.values().next())
            .map(|u| u.name.clone()),
    }
}

/// Applies `push` to repository `repo_id`; returns the net ref changes (one per ref).
pub(crate) fn apply(
    store: &mut Store,
    repo_id: u64,
    push: &Push,
) -> Result<Vec<RefChange>, FakeError> {
    let actor = actor_name(store, push.actor.as_deref());
    let actor_person =
        actor.as_deref().and_then(|a| store.users.get(a)).map(|u| u.person()).unwrap_or(Person {
            name: "Administrator".to_owned(),
            email: "admin@example.com".to_owned(),
        });
    let now = store.now_ms();
    // Authors resolved up front: resolving needs `store.users` while the repo is borrowed.
    let authors: Vec<Person> = push
        .ops
        .iter()
        .map(|op| match op {
            RefOp::Commit(c) => resolve_author(store, c.author.as_deref(), &actor_person),
            _ => actor_person.clone(),
        })
        .collect();
    let repo = store
        .repos
        .get_mut(&repo_id)
        .ok_or_else(|| FakeError::NotFound(format!("repository id {repo_id}")))?;
    let default_branch =
        repo.default_branch.strip_prefix("refs/heads/").unwrap_or(&repo.default_branch).to_owned();
    // Work on a copy so a failing op leaves the repository untouched.
    let mut h = repo.history.clone();
    // ref id → (original hash, original peeled commit)
    let mut original: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    let remember = |original: &mut Vec<(String, Option<String>, Option<String>)>,
                    ref_id: String,
                    hash: Option<String>,
                    commit: Option<String>| {
        if !original.iter().any(|(r, _, _)| *r == ref_id) {
            original.push((ref_id, hash, commit));
        }
    };
    let salt = format!("{repo_id}");
    for (op, author) in push.ops.iter().zip(authors) {
        match op {
            RefOp::Commit(spec) => {
                let head = h.branches.get(&spec.branch).cloned();
                remember(
                    &mut original,
                    format!("refs/heads/{}", spec.branch),
                    head.clone(),
                    head.clone(),
                );
                let parent = match (&head, &spec.from) {
                    (Some(hd), _) => Some(hd.clone()),
                    (None, Some(from)) => Some(
                        h.resolve(from)
                            .ok_or_else(|| FakeError::NotFound(format!("revision {from}")))?
                            .commit,
                    ),
                    (None, None) => None,
                };
                let mut tree: Tree = parent
                    .as_ref()
                    .and_then(|p| h.commit(p))
                    .map(|c| (*c.tree).clone())
                    .unwrap_or_default();
                for (path, bytes) in spec.files.iter().chain(spec.files_base64.iter()) {
                    tree.insert(normalize_path(path)?, Arc::new(bytes.clone()));
                }
                for path in &spec.delete {
                    let p = normalize_path(path)?;
                    if tree.remove(&p).is_none() {
                        return Err(FakeError::NotFound(format!(
                            "cannot delete {p}: not in branch {}",
                            spec.branch
                        )));
                    }
                }
                let c = h.make_commit(
                    &salt,
                    parent.into_iter().collect(),
                    tree,
                    author.clone(),
                    author,
                    spec.timestamp_ms.unwrap_or(now),
                    spec.message.clone().unwrap_or_else(|| "Update files".to_owned()),
                );
                h.set_branch(&spec.branch, &c.id);
            }
            RefOp::CreateBranch { name, start_point } => {
                if h.branches.contains_key(name) {
                    return Err(FakeError::Duplicate(format!("branch {name}")));
                }
                let start = start_point.clone().unwrap_or_else(|| default_branch.clone());
                let target = h
                    .resolve(&start)
                    .ok_or_else(|| FakeError::NotFound(format!("revision {start}")))?
                    .commit;
                remember(&mut original, format!("refs/heads/{name}"), None, None);
                h.set_branch(name, &target);
            }
            RefOp::DeleteBranch { name } => {
                let head = h
                    .remove_branch(name)
                    .ok_or_else(|| FakeError::NotFound(format!("branch {name}")))?;
                remember(
                    &mut original,
                    format!("refs/heads/{name}"),
                    Some(head.clone()),
                    Some(head),
                );
            }
            RefOp::CreateTag { name, target, message } => {
                if h.tags.contains_key(name) {
                    return Err(FakeError::Duplicate(format!("tag {name}")));
                }
                let t = target.clone().unwrap_or_else(|| default_branch.clone());
                let commit = h
                    .resolve(&t)
                    .ok_or_else(|| FakeError::NotFound(format!("revision {t}")))?
                    .commit;
                remember(&mut original, format!("refs/tags/{name}"), None, None);
                let annotated = message.as_ref().map(|m| TagObject {
                    hash: crate::history::History::tag_object_hash(name, &commit, m, &author),
                });
                h.tags.insert(name.clone(), Tag { commit, annotated });
            }
            RefOp::DeleteTag { name } => {
                let t = h
                    .tags
                    .remove(name)
                    .ok_or_else(|| FakeError::NotFound(format!("tag {name}")))?;
                remember(
                    &mut original,
                    format!("refs/tags/{name}"),
                    Some(t.ref_hash().to_owned()),
                    Some(t.commit.clone()),
                );
            }
        }
    }
    let mut changes = Vec::new();
    for (ref_id, old_hash, old_commit) in original {
        let (new_hash, new_commit, ref_type, display) =
            if let Some(name) = ref_id.strip_prefix("refs/heads/") {
                let c = h.branches.get(name).cloned();
                (c.clone(), c, "BRANCH", name.to_owned())
            } else {
                let name = ref_id.strip_prefix("refs/tags/").unwrap_or(&ref_id);
                let t = h.tags.get(name);
                (
                    t.map(|t| t.ref_hash().to_owned()),
                    t.map(|t| t.commit.clone()),
                    "TAG",
                    name.to_owned(),
                )
            };
        let kind = match (&old_hash, &new_hash) {
            (None, Some(_)) => RefChangeKind::Add,
            (Some(_), None) => RefChangeKind::Delete,
            (Some(a), Some(b)) if a != b => RefChangeKind::Update,
            _ => continue,
        };
        changes.push(RefChange {
            ref_id: ref_id.clone(),
            display_id: display,
            ref_type,
            from_hash: old_hash.unwrap_or_else(|| ZERO_HASH.to_owned()),
            to_hash: new_hash.unwrap_or_else(|| ZERO_HASH.to_owned()),
            kind,
            to_commit: new_commit,
            from_commit: old_commit,
        });
    }
    repo.history = h;
    Ok(changes)
}

/// Commits new with `change` (reachable from its target, not from its old head), newest first.
pub(crate) fn new_commits(store: &Store, repo_id: u64, change: &RefChange) -> Vec<Arc<Commit>> {
    let Some(repo) = store.repos.get(&repo_id) else {
        return Vec::new();
    };
    match &change.to_commit {
        Some(to) => repo.history.log(to, change.from_commit.as_deref()),
        None => Vec::new(),
    }
}
