//! Projects, repositories, refs, files and commits.

use reqwest::StatusCode;

use crate::client::{file_path_segments, segment, Call, Client};
use crate::error::{Error, Result};
use crate::model::{Branch, Change, Commit, MinimalRef, Project, Repository, Tag};
use crate::paging::Paged;

/// Repository permission filter for `/repos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoPermission {
    /// `REPO_READ`.
    Read,
    /// `REPO_WRITE`.
    Write,
    /// `REPO_ADMIN` (needed to register webhooks).
    Admin,
}

impl RepoPermission {
    fn as_str(self) -> &'static str {
        match self {
            RepoPermission::Read => "REPO_READ",
            RepoPermission::Write => "REPO_WRITE",
            RepoPermission::Admin => "REPO_ADMIN",
        }
    }
}

/// `archived` filter for `/repos` (8.0+; the server default is `ACTIVE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchivedFilter {
    /// Only active repositories.
    Active,
    /// Only archived repositories.
    Archived,
    /// Both.
    All,
}

impl ArchivedFilter {
    fn as_str(self) -> &'static str {
        match self {
            ArchivedFilter::Active => "ACTIVE",
            ArchivedFilter::Archived => "ARCHIVED",
            ArchivedFilter::All => "ALL",
        }
    }
}

/// Filters for the instance-wide `/repos` search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoFilter {
    /// Permission the user must hold.
    pub permission: Option<RepoPermission>,
    /// `archived` (send only to 8.0+ servers).
    pub archived: Option<ArchivedFilter>,
    /// Only `AVAILABLE` repositories.
    pub available_only: bool,
    /// Project key filter.
    pub project_key: Option<String>,
    /// Name filter.
    pub name: Option<String>,
}

/// Options for `commits`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitQuery {
    /// Exclusive lower bound (commit id or ref).
    pub since: Option<String>,
    /// Inclusive upper bound (commit id or ref).
    pub until: Option<String>,
    /// Only commits touching this path.
    pub path: Option<String>,
}

/// The post-receive plugin's and the webhook's common repository coordinates.
fn repo_segments<'a>(project: &'a str, slug: &'a str) -> Result<[&'a str; 4]> {
    Ok(["projects", segment("project key", project)?, "repos", segment("repository slug", slug)?])
}

impl Client {
    /// All projects the user can see (`type` NORMAL or PERSONAL).
    pub async fn projects(&self) -> Result<Vec<Project>> {
        self.paged::<Project>(&["projects"], &[], None)?.collect_all().await
    }

    /// Paged repositories of one project.
    pub fn project_repos(&self, project: &str) -> Result<Paged<Repository>> {
        let project = segment("project key", project)?;
        self.paged(&["projects", project, "repos"], &[], None)
    }

    /// Paged instance-wide repository search (`/repos`) with filters.
    pub fn repos(&self, filter: &RepoFilter) -> Result<Paged<Repository>> {
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(p) = filter.permission {
            query.push(("permission", p.as_str()));
        }
        if let Some(a) = filter.archived {
            query.push(("archived", a.as_str()));
        }
        if filter.available_only {
            query.push(("state", "AVAILABLE"));
        }
        if let Some(k) = &filter.project_key {
            query.push(("projectkey", k));
        }
        if let Some(n) = &filter.name {
            query.push(("name", n));
        }
        self.paged(&["repos"], &query, None)
    }

    /// One repository.
    pub async fn repo(&self, project: &str, slug: &str) -> Result<Repository> {
        let segs = repo_segments(project, slug)?;
        self.get_json(Call::get(self.rest(&segs))).await
    }

    /// The default branch, or `None` for an empty repository. Uses `/default-branch` and falls
    /// back to the deprecated `/branches/default` (older servers), where 204 (empty repository)
    /// and 404 (default branch not created yet) both mean `None`. `/default-branch` answers
    /// with the configured ref even before it is pushed: check its head with
    /// [`Client::latest_commit`].
    pub async fn default_branch(&self, project: &str, slug: &str) -> Result<Option<MinimalRef>> {
        let segs = repo_segments(project, slug)?;
        let mut path: Vec<&str> = segs.to_vec();
        path.push("default-branch");
        match self.send(&Call::get(self.rest(&path))).await {
            Ok(reply) if reply.status == StatusCode::NO_CONTENT || reply.body.is_empty() => {
                return Ok(None)
            }
            Ok(reply) => return reply.json().map(Some),
            Err(e) if is_missing_repo(&e) => return Err(e),
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut path: Vec<&str> = segs.to_vec();
        path.extend(["branches", "default"]);
        match self.send(&Call::get(self.rest(&path))).await {
            Ok(reply) if reply.status == StatusCode::NO_CONTENT || reply.body.is_empty() => {
                Ok(None)
            }
            Ok(reply) => {
                let branch: Branch = reply.json()?;
                Ok(Some(MinimalRef {
                    id: branch.id,
                    display_id: branch.display_id,
                    kind: Some(crate::model::RefType::Branch),
                }))
            }
            Err(e) if is_missing_repo(&e) => Err(e),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Paged branches with their head commits (for catch-up polling).
    pub fn branches(&self, project: &str, slug: &str) -> Result<Paged<Branch>> {
        let segs = repo_segments(project, slug)?;
        let mut path: Vec<&str> = segs.to_vec();
        path.push("branches");
        self.paged(&path, &[("details", "false")], None)
    }

    /// The newest commit reachable from `at` (a ref or commit id), or `None` when the ref does
    /// not exist yet or the repository is empty.
    pub async fn latest_commit(
        &self,
        project: &str,
        slug: &str,
        at: &str,
    ) -> Result<Option<Commit>> {
        let segs = repo_segments(project, slug)?;
        let mut path: Vec<&str> = segs.to_vec();
        path.push("commits");
        let call =
            Call::get(self.rest(&path)).query("until", at).query("limit", 1).query("start", 0);
        match self.send(&call).await {
            Ok(reply) if reply.body.is_empty() => Ok(None),
            Ok(reply) => {
                let page: crate::paging::Page<Commit> = reply.json()?;
                Ok(page.values.into_iter().next())
            }
            Err(e) if is_missing_repo(&e) => Err(e),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every file path at `at` (a commit id is best: one consistent snapshot), recursively,
    /// paged with `limit=1000`.
    pub async fn files(&self, project: &str, slug: &str, at: &str) -> Result<Vec<String>> {
        let segs = repo_segments(project, slug)?;
        let mut path: Vec<&str> = segs.to_vec();
        path.push("files");
        self.paged::<String>(&path, &[("at", at)], Some(1000))?.collect_all().await
    }

    /// The exact bytes of `file_path` at `at` (`/raw/{path}?at=`), refused beyond `max_bytes`.
    pub async fn raw_file(
        &self,
        project: &str,
        slug: &str,
        file_path: &str,
        at: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>> {
        let segs = repo_segments(project, slug)?;
        let mut path: Vec<&str> = segs.to_vec();
        path.push("raw");
        path.extend(file_path_segments(file_path)?);
        let mut call = Call::get(self.rest(&path)).query("at", at);
        call.accept = "*/*";
        call.max_body = max_bytes.max(1);
        Ok(self.send(&call).await?.body)
    }

    /// Paged commits.
    pub fn commits(&self, project: &str, slug: &str, q: &CommitQuery) -> Result<Paged<Commit>> {
        let segs = repo_segments(project, slug)?;
        let mut path: Vec<&str> = segs.to_vec();
        path.push("commits");
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(s) = &q.since {
            query.push(("since", s));
        }
        if let Some(u) = &q.until {
            query.push(("until", u));
        }
        if let Some(p) = &q.path {
            query.push(("path", p));
        }
        self.paged(&path, &query, None)
    }

    /// Paged changes of one commit (the server caps the total at `page.max.changes`).
    pub fn commit_changes(&self, project: &str, slug: &str, commit: &str) -> Result<Paged<Change>> {
        let segs = repo_segments(project, slug)?;
        let mut path: Vec<&str> = segs.to_vec();
        path.extend(["commits", segment("commit id", commit)?, "changes"]);
        self.paged(&path, &[], None)
    }

    /// Paged changes reachable from `from` and not from `to` (`/compare/changes`).
    pub fn compare_changes(
        &self,
        project: &str,
        slug: &str,
        from: &str,
        to: &str,
    ) -> Result<Paged<Change>> {
        let segs = repo_segments(project, slug)?;
        let mut path: Vec<&str> = segs.to_vec();
        path.extend(["compare", "changes"]);
        self.paged(&path, &[("from", from), ("to", to)], None)
    }

    /// A tag by name (`v1.0` or `refs/tags/v1.0`); [`Tag::commit_id`] is the peeled commit.
    pub async fn tag(&self, project: &str, slug: &str, name: &str) -> Result<Tag> {
        let segs = repo_segments(project, slug)?;
        let short = name.strip_prefix("refs/tags/").unwrap_or(name);
        let mut path: Vec<&str> = segs.to_vec();
        path.push("tags");
        // Slashes in tag names stay literal path separators, as the server expects.
        path.extend(file_path_segments(short)?);
        self.get_json(Call::get(self.rest(&path))).await
    }
}

/// 404 that names a missing project or repository (not a missing ref or path).
pub(crate) fn is_missing_repo(e: &Error) -> bool {
    e.is_not_found_with("NoSuchRepositoryException")
        || e.is_not_found_with("NoSuchProjectException")
}
