//! Projects and repositories of an instance, as last listed from Bitbucket, and the perimeter
//! query that picks the repositories depwatch watches.

use crate::instance::InstanceId;
use crate::{Store, StoreError};
use rusqlite::{OptionalExtension, Row};

/// Row id of a repository (not Bitbucket's id: see [`RepositoryRecord::bb_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct RepositoryId(pub i64);

/// A project as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRecord {
    pub key: String,
    pub name: Option<String>,
    /// A personal `~user` project.
    pub personal: bool,
    /// Chosen for the perimeter in `projects` mode.
    pub selected: bool,
    /// Repositories stored for this project.
    pub repository_count: u64,
}

/// A project from a listing.
#[derive(Debug, Clone, Copy)]
pub struct ProjectUpsert<'a> {
    pub key: &'a str,
    pub name: Option<&'a str>,
    pub personal: bool,
}

/// A repository from a listing.
#[derive(Debug, Clone, Copy)]
pub struct RepositoryUpsert<'a> {
    /// Bitbucket's numeric id, stable across renames and moves.
    pub bb_id: i64,
    pub project_key: &'a str,
    pub slug: &'a str,
    pub name: Option<&'a str>,
    pub archived: bool,
    pub personal: bool,
}

/// A stored repository.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryRecord {
    pub id: RepositoryId,
    pub instance_id: InstanceId,
    pub bb_id: i64,
    pub project_key: String,
    pub slug: String,
    pub name: Option<String>,
    pub archived: bool,
    pub personal: bool,
    /// Full ref id of the default branch, once known (`None` for an empty repository).
    pub default_branch: Option<String>,
    /// False when the user excluded it from the perimeter.
    pub monitored: bool,
    pub last_scanned_at_ms: Option<i64>,
    /// When the inventory stopped listing it (deleted on the server or access lost); such a
    /// repository is outside the perimeter.
    pub removed_at_ms: Option<i64>,
}

/// The `state_reason` of findings closed because their repository left the inventory.
pub const REMOVED_REASON: &str = "repository removed";

const COLUMNS: &str = "r.id, r.instance_id, r.bb_id, r.project_key, r.slug, r.name, r.archived, \
    r.personal, r.default_branch, r.monitored, r.last_scanned_at, r.removed_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<RepositoryRecord> {
    Ok(RepositoryRecord {
        id: RepositoryId(row.get(0)?),
        instance_id: InstanceId(row.get(1)?),
        bb_id: row.get(2)?,
        project_key: row.get(3)?,
        slug: row.get(4)?,
        name: row.get(5)?,
        archived: row.get(6)?,
        personal: row.get(7)?,
        default_branch: row.get(8)?,
        monitored: row.get(9)?,
        last_scanned_at_ms: row.get(10)?,
        removed_at_ms: row.get(11)?,
    })
}

impl Store {
    /// Adds or updates the listed projects in one transaction (their `selected` flag is kept).
    pub fn projects_upsert(
        &self,
        instance: InstanceId,
        projects: &[ProjectUpsert<'_>],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO project (instance_id, key, name, personal) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (instance_id, key) DO UPDATE
                 SET name = excluded.name, personal = excluded.personal",
            )?;
            for p in projects {
                stmt.execute(rusqlite::params![instance.0, p.key, p.name, p.personal])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The projects of an instance, by key, with their repository counts.
    pub fn projects(&self, instance: InstanceId) -> Result<Vec<ProjectRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT p.key, p.name, p.personal, p.selected,
                    (SELECT count(*) FROM repository r
                     WHERE r.instance_id = p.instance_id AND r.project_key = p.key)
             FROM project p WHERE p.instance_id = ?1 ORDER BY p.key",
        )?;
        let rows = stmt
            .query_map([instance.0], |row| {
                Ok(ProjectRecord {
                    key: row.get(0)?,
                    name: row.get(1)?,
                    personal: row.get(2)?,
                    selected: row.get(3)?,
                    repository_count: row.get::<_, i64>(4)?.max(0) as u64,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Marks a project chosen (or not) for a `projects`-mode perimeter. Returns whether the
    /// project exists.
    pub fn project_set_selected(
        &self,
        instance: InstanceId,
        key: &str,
        selected: bool,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE project SET selected = ?3 WHERE instance_id = ?1 AND key = ?2 COLLATE NOCASE",
            )?
            .execute(rusqlite::params![instance.0, key, selected])?;
        Ok(n > 0)
    }

    /// Adds or updates listed repositories in one transaction, keyed by Bitbucket id (a renamed
    /// or moved repository keeps its row, findings and exclusion). Returns how many rows were
    /// written.
    pub fn repositories_upsert(
        &self,
        instance: InstanceId,
        repos: &[RepositoryUpsert<'_>],
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO repository (instance_id, bb_id, project_key, slug, name, archived, personal)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (instance_id, bb_id) DO UPDATE
                 SET project_key = excluded.project_key, slug = excluded.slug,
                     name = excluded.name, archived = excluded.archived,
                     personal = excluded.personal, removed_at = NULL",
            )?;
            for r in repos {
                stmt.execute(rusqlite::params![
                    instance.0,
                    r.bb_id,
                    r.project_key,
                    r.slug,
                    r.name,
                    r.archived,
                    r.personal
                ])?;
            }
        }
        tx.commit()?;
        Ok(repos.len())
    }

    /// Stored repositories of an instance, optionally of one project, by project and slug.
    pub fn repositories(
        &self,
        instance: InstanceId,
        project_key: Option<&str>,
    ) -> Result<Vec<RepositoryRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM repository r
             WHERE r.instance_id = ?1 AND (?2 IS NULL OR r.project_key = ?2 COLLATE NOCASE)
             ORDER BY r.project_key, r.slug"
        ))?;
        let rows = stmt
            .query_map(rusqlite::params![instance.0, project_key], from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One repository by row id.
    pub fn repository(&self, id: RepositoryId) -> Result<Option<RepositoryRecord>, StoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM repository r WHERE r.id = ?1"))?
            .query_row([id.0], from_row)
            .optional()?;
        Ok(row)
    }

    /// One repository by project key and slug.
    pub fn repository_by_slug(
        &self,
        instance: InstanceId,
        project_key: &str,
        slug: &str,
    ) -> Result<Option<RepositoryRecord>, StoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM repository r
                 WHERE r.instance_id = ?1 AND r.project_key = ?2 COLLATE NOCASE AND r.slug = ?3"
            ))?
            .query_row(rusqlite::params![instance.0, project_key, slug], from_row)
            .optional()?;
        Ok(row)
    }

    /// The repositories inside the instance's perimeter: in a selected project (or any project
    /// in `all` mode), not excluded, personal and archived ones only when the rules say so.
    pub fn perimeter_repositories(
        &self,
        instance: InstanceId,
    ) -> Result<Vec<RepositoryRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM repository r JOIN instance i ON i.id = r.instance_id
             WHERE r.instance_id = ?1 AND r.monitored = 1 AND r.removed_at IS NULL
               AND (i.include_archived = 1 OR r.archived = 0)
               AND (i.include_personal = 1 OR r.personal = 0)
               AND (i.perimeter_mode = 'all' OR EXISTS (
                     SELECT 1 FROM project p WHERE p.instance_id = r.instance_id
                       AND p.key = r.project_key AND p.selected = 1))
             ORDER BY r.project_key, r.slug"
        ))?;
        let rows = stmt.query_map([instance.0], from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Marks every stored repository of `instance` whose Bitbucket id is not in `listed` as
    /// removed at `at_ms` (deleted on the server, or no longer visible to the credentials), and
    /// closes its open and acknowledged findings with the reason `repository removed`, in one
    /// transaction. Already-removed repositories are left alone. Returns the newly removed ones.
    pub fn repositories_mark_removed(
        &self,
        instance: InstanceId,
        listed: &[i64],
        at_ms: i64,
    ) -> Result<Vec<RepositoryRecord>, StoreError> {
        let listed: std::collections::HashSet<i64> = listed.iter().copied().collect();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let gone: Vec<RepositoryRecord> = tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM repository r WHERE r.instance_id = ?1 AND r.removed_at IS NULL"
            ))?
            .query_map([instance.0], from_row)?
            .filter(|r| r.as_ref().map_or(true, |r| !listed.contains(&r.bb_id)))
            .collect::<Result<_, _>>()?;
        let mut removed = Vec::with_capacity(gone.len());
        for mut repo in gone {
            tx.prepare_cached("UPDATE repository SET removed_at = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![repo.id.0, at_ms])?;
            let open: Vec<i64> = tx
                .prepare_cached(
                    "SELECT id FROM finding WHERE repository_id = ?1
                     AND state IN ('open', 'acknowledged') ORDER BY id",
                )?
                .query_map([repo.id.0], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in open {
                tx.prepare_cached(
                    "UPDATE finding SET state = 'closed', state_reason = ?2, state_comment = NULL,
                            state_until = NULL, state_changed_at = ?3
                     WHERE id = ?1",
                )?
                .execute(rusqlite::params![id, REMOVED_REASON, at_ms])?;
                crate::finding::record_state_change(
                    &tx,
                    crate::finding::FindingId(id),
                    crate::finding::FindingState::Closed,
                    Some(REMOVED_REASON),
                    at_ms,
                )?;
            }
            repo.removed_at_ms = Some(at_ms);
            removed.push(repo);
        }
        tx.commit()?;
        Ok(removed)
    }

    /// Excludes a repository from the perimeter (`monitored = false`) or includes it again.
    /// Returns whether it exists.
    pub fn repository_set_monitored(
        &self,
        id: RepositoryId,
        monitored: bool,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .prepare_cached("UPDATE repository SET monitored = ?2 WHERE id = ?1")?
            .execute(rusqlite::params![id.0, monitored])?;
        Ok(n == 1)
    }

    /// Applies a rename or move (`repo:modified`) to the repository with Bitbucket id `bb_id`:
    /// its project key, slug and name change, its row (history, findings, exclusion) stays.
    /// Returns the updated record, or `None` when the repository is not stored.
    pub fn repository_rename(
        &self,
        instance: InstanceId,
        bb_id: i64,
        project_key: &str,
        slug: &str,
        name: Option<&str>,
    ) -> Result<Option<RepositoryRecord>, StoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!(
                // RETURNING cannot name a table alias.
                "UPDATE repository SET project_key = ?3, slug = ?4, name = COALESCE(?5, name)
                 WHERE instance_id = ?1 AND bb_id = ?2 RETURNING {}",
                COLUMNS.replace("r.", "")
            ))?
            .query_row(rusqlite::params![instance.0, bb_id, project_key, slug, name], from_row)
            .optional()?;
        Ok(row)
    }

    /// Records the default branch found when scanning (`None`: empty repository).
    pub fn repository_set_default_branch(
        &self,
        id: RepositoryId,
        default_branch: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("UPDATE repository SET default_branch = ?2 WHERE id = ?1")?
            .execute(rusqlite::params![id.0, default_branch])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance::{Perimeter, PerimeterMode};

    fn seeded() -> (Store, InstanceId) {
        let (store, instance) = crate::fixture::store_with_instance();
        store
            .projects_upsert(
                instance,
                &[
                    ProjectUpsert { key: "SHOP", name: Some("Shop"), personal: false },
                    ProjectUpsert { key: "PLAT", name: None, personal: false },
                    ProjectUpsert { key: "~JDOE", name: None, personal: true },
                ],
            )
            .unwrap();
        let repo = |bb_id, project_key, slug, archived, personal| RepositoryUpsert {
            bb_id,
            project_key,
            slug,
            name: None,
            archived,
            personal,
        };
        store
            .repositories_upsert(
                instance,
                &[
                    repo(1, "SHOP", "web", false, false),
                    repo(2, "SHOP", "api", false, false),
                    repo(3, "PLAT", "legacy", true, false),
                    repo(4, "~JDOE", "scratch", false, true),
                ],
            )
            .unwrap();
        (store, instance)
    }

    fn slugs(repos: &[RepositoryRecord]) -> Vec<String> {
        repos.iter().map(|r| format!("{}/{}", r.project_key, r.slug)).collect()
    }

    #[test]
    fn perimeter_follows_mode_exclusions_personal_and_archived() {
        let (store, instance) = seeded();
        // Default: all projects, personal in, archived out.
        assert_eq!(
            slugs(&store.perimeter_repositories(instance).unwrap()),
            ["SHOP/api", "SHOP/web", "~JDOE/scratch"]
        );
        let web = store.repository_by_slug(instance, "shop", "web").unwrap().unwrap();
        assert!(store.repository_set_monitored(web.id, false).unwrap());
        store
            .instance_set_perimeter(
                instance,
                &Perimeter {
                    mode: PerimeterMode::Projects,
                    include_personal: false,
                    include_archived: true,
                },
            )
            .unwrap();
        assert!(store.perimeter_repositories(instance).unwrap().is_empty(), "nothing selected");
        assert!(store.project_set_selected(instance, "plat", true).unwrap());
        assert!(store.project_set_selected(instance, "SHOP", true).unwrap());
        assert!(!store.project_set_selected(instance, "NOPE", true).unwrap());
        assert_eq!(
            slugs(&store.perimeter_repositories(instance).unwrap()),
            ["PLAT/legacy", "SHOP/api"]
        );
        let projects = store.projects(instance).unwrap();
        assert_eq!(projects.iter().map(|p| p.repository_count).collect::<Vec<_>>(), [1, 2, 1]);
    }

    #[test]
    fn a_renamed_repository_keeps_its_row() {
        let (store, instance) = seeded();
        let before = store.repository_by_slug(instance, "SHOP", "web").unwrap().unwrap();
        store
            .repositories_upsert(
                instance,
                &[RepositoryUpsert {
                    bb_id: 1,
                    project_key: "PLAT",
                    slug: "storefront",
                    name: Some("Storefront"),
                    archived: false,
                    personal: false,
                }],
            )
            .unwrap();
        let after = store.repository(before.id).unwrap().unwrap();
        assert_eq!((after.project_key.as_str(), after.slug.as_str()), ("PLAT", "storefront"));
        assert_eq!(store.repositories(instance, None).unwrap().len(), 4);
        assert_eq!(store.repositories(instance, Some("shop")).unwrap().len(), 1);
    }

    #[test]
    fn repo_modified_moves_a_repository_by_bitbucket_id() {
        let (store, instance) = seeded();
        let before = store.repository_by_slug(instance, "SHOP", "api").unwrap().unwrap();
        store.repository_set_monitored(before.id, false).unwrap();
        let moved = store
            .repository_rename(instance, 2, "PLAT", "api-gateway", Some("API gateway"))
            .unwrap()
            .unwrap();
        assert_eq!(moved.id, before.id);
        assert_eq!(
            (moved.project_key.as_str(), moved.slug.as_str(), moved.name.as_deref()),
            ("PLAT", "api-gateway", Some("API gateway"))
        );
        assert!(!moved.monitored, "the exclusion follows the repository");
        assert!(store.repository_by_slug(instance, "SHOP", "api").unwrap().is_none());
        // No name in the event keeps the stored one; an unknown id changes nothing.
        let renamed = store.repository_rename(instance, 2, "PLAT", "gw", None).unwrap().unwrap();
        assert_eq!(renamed.name.as_deref(), Some("API gateway"));
        assert!(store.repository_rename(instance, 99, "X", "y", None).unwrap().is_none());
        assert_eq!(store.repositories(instance, None).unwrap().len(), 4);
    }
}
