//! In-memory git history of one repository: commits with full file trees, branches and tags.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use sha1::{Digest, Sha1};

/// File tree of one commit: path (`a/b/c.txt`) → exact bytes.
pub type Tree = BTreeMap<String, Arc<Vec<u8>>>;

/// The 40 zeros used for "no commit" in ref changes.
pub const ZERO_HASH: &str = "0000000000000000000000000000000000000000";

/// Author or committer of a commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    /// Display name (`git log` author name).
    pub name: String,
    /// E-mail address.
    #[serde(rename = "emailAddress")]
    pub email: String,
}

/// One commit with the whole tree it points to.
#[derive(Debug, Clone)]
pub struct Commit {
    /// 40 lowercase hex digits.
    pub id: String,
    /// Parent ids, first parent first.
    pub parents: Vec<String>,
    /// Author.
    pub author: Person,
    /// Author time, epoch milliseconds.
    pub author_ts: i64,
    /// Committer.
    pub committer: Person,
    /// Commit time, epoch milliseconds.
    pub committer_ts: i64,
    /// Commit message.
    pub message: String,
    /// Full file tree at this commit.
    pub tree: Arc<Tree>,
}

/// An annotated tag object.
#[derive(Debug, Clone)]
pub struct TagObject {
    /// Hash of the tag object (what `refs/tags/x` points at).
    pub hash: String,
}

/// A tag: the peeled commit plus the tag object when annotated.
#[derive(Debug, Clone)]
pub struct Tag {
    /// Peeled commit id.
    pub commit: String,
    /// Tag object for annotated tags.
    pub annotated: Option<TagObject>,
}

impl Tag {
    /// What the ref itself points at (tag object for annotated tags, else the commit).
    pub fn ref_hash(&self) -> &str {
        match &self.annotated {
            Some(obj) => &obj.hash,
            None => &self.commit,
        }
    }
}

/// Kind of a change between two trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Path added.
    Add,
    /// Content changed.
    Modify,
    /// Path removed.
    Delete,
}

impl ChangeKind {
    /// Bitbucket's `RestChange.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Add => "ADD",
            ChangeKind::Modify => "MODIFY",
            ChangeKind::Delete => "DELETE",
        }
    }
}

/// One changed file.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// Path of the file.
    pub path: String,
    /// Kind of change.
    pub kind: ChangeKind,
    /// Blob id after the change (absent on delete).
    pub content_id: Option<String>,
    /// Blob id before the change (absent on add).
    pub from_content_id: Option<String>,
}

/// Git blob id of `bytes` (`sha1("blob <len>\0" + bytes)`), used as `contentId`.
pub fn blob_id(bytes: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    hex::encode(h.finalize())
}

/// Whether `s` looks like a full or abbreviated commit id.
pub fn looks_like_hash(s: &str) -> bool {
    s.len() >= 4 && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Differences that turn `from` into `to`, sorted by path.
pub fn diff(from: &Tree, to: &Tree) -> Vec<FileChange> {
    let mut out = Vec::new();
    for (path, bytes) in to {
        match from.get(path) {
            None => out.push(FileChange {
                path: path.clone(),
                kind: ChangeKind::Add,
                content_id: Some(blob_id(bytes)),
                from_content_id: None,
            }),
            Some(old) if old != bytes => out.push(FileChange {
                path: path.clone(),
                kind: ChangeKind::Modify,
                content_id: Some(blob_id(bytes)),
                from_content_id: Some(blob_id(old)),
            }),
            Some(_) => {}
        }
    }
    for (path, old) in from {
        if !to.contains_key(path) {
            out.push(FileChange {
                path: path.clone(),
                kind: ChangeKind::Delete,
                content_id: None,
                from_content_id: Some(blob_id(old)),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// What a ref or `at=` value resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Peeled commit id.
    pub commit: String,
}

/// History of one repository.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// All commits by id.
    pub commits: HashMap<String, Arc<Commit>>,
    /// Branch name (without `refs/heads/`) → commit id.
    pub branches: BTreeMap<String, String>,
    /// Tag name (without `refs/tags/`) → tag.
    pub tags: BTreeMap<String, Tag>,
    /// Branch names in order of last modification (most recent last).
    pub branch_touch: Vec<String>,
}

impl History {
    /// Records a new commit built on `parent` (or a root commit) and returns it.
    #[allow(clippy::too_many_arguments)]
    pub fn make_commit(
        &mut self,
        salt: &str,
        parents: Vec<String>,
        tree: Tree,
        author: Person,
        committer: Person,
        timestamp_ms: i64,
        message: String,
    ) -> Arc<Commit> {
        let mut h = Sha1::new();
        h.update(b"commit\0");
        h.update(salt.as_bytes());
        for (path, bytes) in &tree {
            h.update(path.as_bytes());
            h.update([0]);
            h.update(blob_id(bytes).as_bytes());
        }
        for p in &parents {
            h.update(p.as_bytes());
        }
        h.update(author.name.as_bytes());
        h.update(author.email.as_bytes());
        h.update(timestamp_ms.to_be_bytes());
        h.update(message.as_bytes());
        h.update(self.commits.len().to_be_bytes());
        let id = hex::encode(h.finalize());
        let commit = Arc::new(Commit {
            id: id.clone(),
            parents,
            author,
            author_ts: timestamp_ms,
            committer,
            committer_ts: timestamp_ms,
            message,
            tree: Arc::new(tree),
        });
        self.commits.insert(id, commit.clone());
        commit
    }

    /// Hash of an annotated tag object.
    pub fn tag_object_hash(name: &str, commit: &str, message: &str, tagger: &Person) -> String {
        let mut h = Sha1::new();
        h.update(
            format!(
                "object {commit}\ntype commit\ntag {name}\ntagger {} <{}>\n\n{message}",
                tagger.name, tagger.email
            )
            .as_bytes(),
        );
        hex::encode(h.finalize())
    }

    /// Moves `branch` to `commit`, remembering modification order.
    pub fn set_branch(&mut self, branch: &str, commit: &str) {
        self.branches.insert(branch.to_owned(), commit.to_owned());
        self.branch_touch.retain(|b| b != branch);
        self.branch_touch.push(branch.to_owned());
    }

    /// Removes `branch`, returning its old head.
    pub fn remove_branch(&mut self, branch: &str) -> Option<String> {
        self.branch_touch.retain(|b| b != branch);
        self.branches.remove(branch)
    }

    /// Resolves an `at=`/`until=` value: a commit id (full or abbreviated), `refs/heads/x`,
    /// `refs/tags/x`, or a bare branch or tag name.
    pub fn resolve(&self, rev: &str) -> Option<Resolved> {
        if let Some(name) = rev.strip_prefix("refs/heads/") {
            return self.branches.get(name).map(|c| Resolved { commit: c.clone() });
        }
        if let Some(name) = rev.strip_prefix("refs/tags/") {
            return self.tags.get(name).map(|t| Resolved { commit: t.commit.clone() });
        }
        if let Some(c) = self.branches.get(rev) {
            return Some(Resolved { commit: c.clone() });
        }
        if let Some(t) = self.tags.get(rev) {
            return Some(Resolved { commit: t.commit.clone() });
        }
        if looks_like_hash(rev) {
            let lower = rev.to_ascii_lowercase();
            if self.commits.contains_key(&lower) {
                return Some(Resolved { commit: lower });
            }
            if lower.len() < 40 {
                let mut matches = self.commits.keys().filter(|id| id.starts_with(&lower));
                if let (Some(one), None) = (matches.next(), matches.next()) {
                    return Some(Resolved { commit: one.clone() });
                }
            }
            // Annotated tag object hashes peel to their commit.
            for t in self.tags.values() {
                if t.annotated.as_ref().is_some_and(|o| o.hash == lower) {
                    return Some(Resolved { commit: t.commit.clone() });
                }
            }
        }
        None
    }

    /// The commit with `id`.
    pub fn commit(&self, id: &str) -> Option<&Arc<Commit>> {
        self.commits.get(id)
    }

    /// All ancestors of `id` (itself included).
    pub fn ancestors(&self, id: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut stack = vec![id.to_owned()];
        while let Some(cur) = stack.pop() {
            if !seen.insert(cur.clone()) {
                continue;
            }
            if let Some(c) = self.commits.get(&cur) {
                stack.extend(c.parents.iter().cloned());
            }
        }
        seen
    }

    /// Commits reachable from `until` and not from `since`, newest first (like `git log`).
    pub fn log(&self, until: &str, since: Option<&str>) -> Vec<Arc<Commit>> {
        let excluded = since.map(|s| self.ancestors(s)).unwrap_or_default();
        let mut out: Vec<Arc<Commit>> = self
            .ancestors(until)
            .into_iter()
            .filter(|id| !excluded.contains(id))
            .filter_map(|id| self.commits.get(&id).cloned())
            .collect();
        // Newest first; equal timestamps put descendants first (deeper first-parent chain).
        let depths: HashMap<String, usize> =
            out.iter().map(|c| (c.id.clone(), self.depth(&c.id))).collect();
        out.sort_by(|a, b| {
            b.committer_ts
                .cmp(&a.committer_ts)
                .then_with(|| depths.get(&b.id).cmp(&depths.get(&a.id)))
        });
        out
    }

    /// Length of the first-parent chain below `id`.
    fn depth(&self, id: &str) -> usize {
        let mut n = 0;
        let mut cur = self.commits.get(id);
        while let Some(c) = cur {
            match c.parents.first() {
                Some(p) => {
                    n += 1;
                    cur = self.commits.get(p);
                }
                None => break,
            }
        }
        n
    }

    /// Nearest common ancestor of `a` and `b`, following `a`'s history newest first.
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let b_anc = self.ancestors(b);
        self.log(a, None).into_iter().find(|c| b_anc.contains(&c.id)).map(|c| c.id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Person {
        Person { name: "A".into(), email: "a@example.com".into() }
    }

    #[test]
    fn blob_id_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(blob_id(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
    }

    #[test]
    fn resolve_and_log() {
        let mut h = History::default();
        let mut t = Tree::new();
        t.insert("a".into(), Arc::new(b"1".to_vec()));
        let c1 = h.make_commit("r", vec![], t.clone(), person(), person(), 1000, "one".into());
        t.insert("b".into(), Arc::new(b"2".to_vec()));
        let c2 = h.make_commit("r", vec![c1.id.clone()], t, person(), person(), 1000, "two".into());
        h.set_branch("main", &c2.id);
        assert_eq!(h.resolve("refs/heads/main").map(|r| r.commit), Some(c2.id.clone()));
        assert_eq!(h.resolve(&c1.id[..8]).map(|r| r.commit), Some(c1.id.clone()));
        let log = h.log(&c2.id, None);
        assert_eq!(log.len(), 2);
        assert_eq!(log.first().map(|c| c.id.clone()), Some(c2.id.clone()));
        assert_eq!(h.log(&c2.id, Some(&c1.id)).len(), 1);
        let changes = diff(&c1.tree, &c2.tree);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes.first().map(|c| c.kind), Some(ChangeKind::Add));
    }
}
