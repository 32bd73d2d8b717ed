//! The perimeter: which projects and repositories of an instance depwatch watches. The listing
//! from Bitbucket is stored (so a project created later joins an `all` perimeter at the next
//! refresh); the rules (mode, personal, archived, selected projects, excluded repositories) are
//! applied by the store.

use crate::instance::{now_ms, InstanceError};
use crate::App;
use depwatch_bitbucket::model::ProjectType;
use depwatch_bitbucket::{ArchivedFilter, RepoFilter};
use depwatch_store::{
    InstanceRecord, InstanceState, InstanceStatus, Perimeter, ProjectRecord, ProjectUpsert,
    RepositoryRecord, RepositoryUpsert,
};

/// What a refresh of the listing found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InventorySummary {
    pub projects: usize,
    pub repositories: usize,
    /// Repositories inside the perimeter after the refresh.
    pub in_perimeter: usize,
    /// Repositories this refresh no longer saw (deleted on the server or access lost): they
    /// left the perimeter and their open findings were closed.
    pub removed: usize,
}

fn is_personal_key(key: &str) -> bool {
    key.starts_with('~')
}

impl App {
    /// Lists the instance's projects and repositories from Bitbucket and stores them (keyed by
    /// Bitbucket id, so renames keep their history). Archived repositories are listed too
    /// (8.0+ servers), so turning them on in the perimeter needs no new listing.
    pub async fn refresh_inventory(
        &self,
        name: Option<&str>,
    ) -> Result<InventorySummary, InstanceError> {
        let instance = self.resolve_instance(name)?;
        self.renew_before_use(&instance).await;
        let client = self.client(&instance)?;
        let fail = |this: &App, instance: &InstanceRecord, source: depwatch_bitbucket::Error| {
            // The error is what matters; a failure to record it is only logged.
            if let Err(e) = this.record_call_error(instance, &source) {
                tracing::warn!(error = %e, "cannot record the instance state");
            }
            InstanceError::Bitbucket { instance: instance.name.clone(), source: Box::new(source) }
        };
        let props = client.application_properties().await.map_err(|e| fail(self, &instance, e))?;
        let projects = client.projects().await.map_err(|e| fail(self, &instance, e))?;
        let filter = RepoFilter {
            archived: props.has_archived_filter().then_some(ArchivedFilter::All),
            ..RepoFilter::default()
        };
        let repos = client
            .repos(&filter)
            .map_err(|e| fail(self, &instance, e))?
            .collect_all()
            .await
            .map_err(|e| fail(self, &instance, e))?;
        let project_rows: Vec<ProjectUpsert<'_>> = projects
            .iter()
            .map(|p| ProjectUpsert {
                key: &p.key,
                name: p.name.as_deref(),
                personal: p.kind == Some(ProjectType::Personal) || is_personal_key(&p.key),
            })
            .collect();
        self.store.projects_upsert(instance.id, &project_rows)?;
        let repo_rows: Vec<RepositoryUpsert<'_>> = repos
            .iter()
            .map(|r| RepositoryUpsert {
                bb_id: r.id,
                project_key: &r.project.key,
                slug: &r.slug,
                name: r.name.as_deref(),
                archived: r.archived.unwrap_or(false),
                personal: r.project.kind == Some(ProjectType::Personal)
                    || is_personal_key(&r.project.key),
            })
            .collect();
        // Personal projects are not in `/projects`; their repositories name them.
        let personal: Vec<ProjectUpsert<'_>> = repos
            .iter()
            .filter(|r| {
                is_personal_key(&r.project.key) || r.project.kind == Some(ProjectType::Personal)
            })
            .map(|r| ProjectUpsert {
                key: &r.project.key,
                name: r.project.name.as_deref(),
                personal: true,
            })
            .collect();
        self.store.projects_upsert(instance.id, &personal)?;
        self.store.repositories_upsert(instance.id, &repo_rows)?;
        // Only a complete listing gets here (any failed page returned above), so a repository
        // missing from it is really gone for these credentials.
        let listed: Vec<i64> = repos.iter().map(|r| r.id).collect();
        let removed = self.store.repositories_mark_removed(instance.id, &listed, now_ms())?;
        for repo in &removed {
            tracing::warn!(instance = %instance.name, repository = %format!("{}/{}", repo.project_key, repo.slug), bb_id = repo.bb_id,
                "repository no longer listed (deleted or access lost); monitoring stopped, its open findings closed");
        }
        // A repository created since the desktop's selection was saved joins only whole
        // projects.
        self.reapply_perimeter_selection(&instance)?;
        if instance.state != InstanceState::Ok {
            self.store.instance_set_status(
                instance.id,
                &InstanceStatus {
                    state: InstanceState::Ok,
                    last_error: None,
                    server_version: Some(&props.version),
                    user_name: None,
                    checked_at_ms: now_ms(),
                },
            )?;
        }
        let in_perimeter = self.store.perimeter_repositories(instance.id)?.len();
        tracing::info!(instance = %instance.name, projects = projects.len(), repositories = repos.len(), in_perimeter, "refreshed inventory");
        Ok(InventorySummary {
            projects: projects.len(),
            repositories: repos.len(),
            in_perimeter,
            removed: removed.len(),
        })
    }

    /// The stored projects of an instance.
    pub fn projects(&self, name: Option<&str>) -> Result<Vec<ProjectRecord>, InstanceError> {
        let instance = self.resolve_instance(name)?;
        Ok(self.store.projects(instance.id)?)
    }

    /// The stored repositories of an instance, optionally of one project.
    pub fn repositories(
        &self,
        name: Option<&str>,
        project_key: Option<&str>,
    ) -> Result<Vec<RepositoryRecord>, InstanceError> {
        let instance = self.resolve_instance(name)?;
        Ok(self.store.repositories(instance.id, project_key)?)
    }

    /// The repositories inside the perimeter.
    pub fn perimeter_repositories(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<RepositoryRecord>, InstanceError> {
        let instance = self.resolve_instance(name)?;
        Ok(self.store.perimeter_repositories(instance.id)?)
    }

    /// Replaces the perimeter rules; with `Some(keys)`, `keys` become the selected projects
    /// (for `projects` mode) and every other project is unselected.
    pub fn set_perimeter(
        &self,
        name: Option<&str>,
        perimeter: Perimeter,
        selected_projects: Option<&[String]>,
    ) -> Result<(), InstanceError> {
        let instance = self.resolve_instance(name)?;
        if let Some(keys) = selected_projects {
            let known = self.store.projects(instance.id)?;
            for key in keys {
                if !known.iter().any(|p| p.key.eq_ignore_ascii_case(key)) {
                    return Err(InstanceError::Invalid(format!(
                        "instance `{}` has no project `{key}` (refresh the listing first)",
                        instance.name
                    )));
                }
            }
            for p in &known {
                let selected = keys.iter().any(|k| k.eq_ignore_ascii_case(&p.key));
                self.store.project_set_selected(instance.id, &p.key, selected)?;
            }
        }
        self.store.instance_set_perimeter(instance.id, &perimeter)?;
        Ok(())
    }

    /// Excludes a repository (`PROJECT/slug`) from the perimeter, or includes it again.
    pub fn set_repository_excluded(
        &self,
        name: Option<&str>,
        project_key: &str,
        slug: &str,
        excluded: bool,
    ) -> Result<(), InstanceError> {
        let instance = self.resolve_instance(name)?;
        let repo =
            self.store.repository_by_slug(instance.id, project_key, slug)?.ok_or_else(|| {
                InstanceError::Invalid(format!(
                "instance `{}` has no repository {project_key}/{slug} (refresh the listing first)",
                instance.name
            ))
            })?;
        self.store.repository_set_monitored(repo.id, !excluded)?;
        Ok(())
    }
}
