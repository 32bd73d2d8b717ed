//! Processed pushes: every snapshot is one (a webhook, a catch-up poll or a scan), with the
//! findings it brought in and the ones it fixed.

use super::{kind_label, rfc3339, severity_label, ViewError};
use crate::App;
use depwatch_store::{FindingRecord, RepositoryId, RepositoryRecord, SnapshotRecord};
use serde::Serialize;
use std::collections::HashMap;

/// A finding as a push lists it (`FindingRef` in types.ts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingRef {
    pub finding_id: i64,
    pub advisory_id: String,
    pub severity: &'static str,
    pub kind: &'static str,
    pub package: String,
    pub version: String,
}

impl From<&FindingRecord> for FindingRef {
    fn from(f: &FindingRecord) -> FindingRef {
        FindingRef {
            finding_id: f.id.0,
            advisory_id: f.advisory_id.clone(),
            severity: severity_label(&f.severity),
            kind: kind_label(&f.kind),
            package: f.package.clone(),
            version: f.version.clone(),
        }
    }
}

/// One processed push (`PushEvent` in types.ts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushEvent {
    /// The snapshot id.
    pub id: i64,
    pub repository_id: i64,
    pub project_key: String,
    pub slug: String,
    /// Full ref, `refs/heads/main`.
    #[serde(rename = "ref")]
    pub ref_id: String,
    pub from_commit: Option<String>,
    pub to_commit: String,
    pub author: Option<String>,
    pub at: String,
    pub via: &'static str,
    pub introduced: Vec<FindingRef>,
    pub fixed: Vec<FindingRef>,
}

impl App {
    /// The newest processed pushes (snapshots), of one repository or all, at most `limit`.
    ///
    /// # Errors
    /// `NotFound` for an unknown repository; database errors.
    pub fn pushes(
        &self,
        repository: Option<i64>,
        limit: u32,
        now_ms: i64,
    ) -> Result<Vec<PushEvent>, ViewError> {
        self.reopen_expired_ignores(now_ms)?;
        let store = self.store();
        if let Some(id) = repository {
            if store.repository(RepositoryId(id))?.is_none() {
                return Err(ViewError::NotFound(format!("Repository {id} is not known.")));
            }
        }
        let snapshots = store.snapshots(repository.map(RepositoryId), limit)?;
        let mut repos: HashMap<RepositoryId, Option<RepositoryRecord>> = HashMap::new();
        let mut out = Vec::with_capacity(snapshots.len());
        for s in snapshots {
            let repo = match repos.get(&s.repository_id) {
                Some(r) => r.clone(),
                None => {
                    let r = store.repository(s.repository_id)?;
                    repos.insert(s.repository_id, r.clone());
                    r
                }
            };
            let Some(repo) = repo else { continue };
            out.push(self.push_event(&repo, &s)?);
        }
        Ok(out)
    }

    pub(crate) fn push_event(
        &self,
        repo: &RepositoryRecord,
        s: &SnapshotRecord,
    ) -> Result<PushEvent, ViewError> {
        let (introduced, fixed) = self.store().snapshot_findings(s.id)?;
        Ok(PushEvent {
            id: s.id.0,
            repository_id: repo.id.0,
            project_key: repo.project_key.clone(),
            slug: repo.slug.clone(),
            ref_id: s.ref_id.clone(),
            from_commit: s.from_commit.clone(),
            to_commit: s.commit_id.clone(),
            author: s.author.clone(),
            at: rfc3339(s.scanned_at_ms),
            via: s.via.as_str(),
            introduced: introduced.iter().map(FindingRef::from).collect(),
            fixed: fixed.iter().map(FindingRef::from).collect(),
        })
    }
}
