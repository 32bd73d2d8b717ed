//! The perimeter as the desktop edits it: the whole instance, or a selection of whole projects
//! plus individual repositories, with personal and archived switches.
//!
//! The selection is kept as given (setting `perimeter.selection.<instance id>`) and applied to
//! the store's perimeter rules, which the historical scan and catch-up polling read: whole
//! projects are selected with every repository in; a project with only some repositories chosen
//! is selected with the others excluded. The selection is applied again after every listing
//! refresh, so a repository created later joins a wholly selected project but not a partly
//! selected one.

use crate::instance::InstanceError;
use crate::App;
use depwatch_store::{InstanceRecord, Perimeter, PerimeterMode, RepositoryId};
use serde::{Deserialize, Serialize};

/// Whether the whole instance is monitored or a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SelectionMode {
    Instance,
    Selection,
}

/// What the user chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerimeterSelection {
    pub mode: SelectionMode,
    /// Whole projects (new repositories in them join automatically).
    pub project_keys: Vec<String>,
    /// Individual repositories, by store id.
    pub repository_ids: Vec<i64>,
    pub exclude_personal: bool,
    pub include_archived: bool,
}

fn selection_key(instance: &InstanceRecord) -> String {
    format!("perimeter.selection.{}", instance.id.0)
}

impl App {
    /// The desktop perimeter of `instance`: the saved selection, or one read back from the
    /// store's rules (an instance configured with the CLI).
    pub fn perimeter_selection(
        &self,
        instance: &InstanceRecord,
    ) -> Result<PerimeterSelection, InstanceError> {
        if let Some(saved) = self.store.setting::<PerimeterSelection>(&selection_key(instance))? {
            return Ok(saved);
        }
        let rules = instance.perimeter;
        let mut selection = PerimeterSelection {
            mode: match rules.mode {
                PerimeterMode::All => SelectionMode::Instance,
                PerimeterMode::Projects => SelectionMode::Selection,
            },
            project_keys: Vec::new(),
            repository_ids: Vec::new(),
            exclude_personal: !rules.include_personal,
            include_archived: rules.include_archived,
        };
        if rules.mode == PerimeterMode::Projects {
            let repos = self.store.repositories(instance.id, None)?;
            for project in self.store.projects(instance.id)?.iter().filter(|p| p.selected) {
                let in_project: Vec<_> =
                    repos.iter().filter(|r| r.project_key == project.key).collect();
                if in_project.iter().all(|r| r.monitored) {
                    selection.project_keys.push(project.key.clone());
                } else {
                    selection
                        .repository_ids
                        .extend(in_project.iter().filter(|r| r.monitored).map(|r| r.id.0));
                }
            }
        }
        Ok(selection)
    }

    /// Validates, saves and applies a selection. Unknown projects or repositories, and an
    /// empty selection, are errors naming what is wrong.
    pub fn save_perimeter_selection(
        &self,
        instance: &InstanceRecord,
        selection: PerimeterSelection,
    ) -> Result<PerimeterSelection, InstanceError> {
        let projects = self.store.projects(instance.id)?;
        let repos = self.store.repositories(instance.id, None)?;
        let mut selection = selection;
        selection.project_keys.sort();
        selection.project_keys.dedup();
        selection.repository_ids.sort_unstable();
        selection.repository_ids.dedup();
        if selection.mode == SelectionMode::Selection
            && selection.project_keys.is_empty()
            && selection.repository_ids.is_empty()
        {
            return Err(InstanceError::Invalid(
                "select at least one project or repository, or monitor the whole instance"
                    .to_owned(),
            ));
        }
        for key in &mut selection.project_keys {
            match projects.iter().find(|p| p.key.eq_ignore_ascii_case(key)) {
                Some(p) => key.clone_from(&p.key),
                None => {
                    return Err(InstanceError::Invalid(format!(
                        "instance `{}` has no project `{key}` (refresh the project list)",
                        instance.name
                    )))
                }
            }
        }
        if let Some(id) =
            selection.repository_ids.iter().find(|id| !repos.iter().any(|r| r.id.0 == **id))
        {
            return Err(InstanceError::Invalid(format!(
                "instance `{}` has no repository with id {id} (refresh the project list)",
                instance.name
            )));
        }
        self.store.set_setting(&selection_key(instance), &selection)?;
        self.apply_perimeter_selection(instance, &selection)?;
        tracing::info!(instance = %instance.name, mode = ?selection.mode, projects = selection.project_keys.len(), repositories = selection.repository_ids.len(), "perimeter saved");
        Ok(selection)
    }

    /// Applies the saved selection again (after a listing refresh added repositories).
    pub(crate) fn reapply_perimeter_selection(
        &self,
        instance: &InstanceRecord,
    ) -> Result<(), InstanceError> {
        if let Some(saved) = self.store.setting::<PerimeterSelection>(&selection_key(instance))? {
            self.apply_perimeter_selection(instance, &saved)?;
        }
        Ok(())
    }

    fn apply_perimeter_selection(
        &self,
        instance: &InstanceRecord,
        selection: &PerimeterSelection,
    ) -> Result<(), InstanceError> {
        let repos = self.store.repositories(instance.id, None)?;
        let mode = match selection.mode {
            SelectionMode::Instance => PerimeterMode::All,
            SelectionMode::Selection => PerimeterMode::Projects,
        };
        let picked: Vec<&depwatch_store::RepositoryRecord> =
            repos.iter().filter(|r| selection.repository_ids.contains(&r.id.0)).collect();
        for project in self.store.projects(instance.id)? {
            let whole = selection.project_keys.contains(&project.key);
            let partly = picked.iter().any(|r| r.project_key == project.key);
            self.store.project_set_selected(instance.id, &project.key, whole || partly)?;
        }
        for repo in &repos {
            let monitored = match selection.mode {
                SelectionMode::Instance => true,
                SelectionMode::Selection => {
                    selection.project_keys.contains(&repo.project_key)
                        || selection.repository_ids.contains(&repo.id.0)
                }
            };
            if repo.monitored != monitored {
                self.store.repository_set_monitored(RepositoryId(repo.id.0), monitored)?;
            }
        }
        self.store.instance_set_perimeter(
            instance.id,
            &Perimeter {
                mode,
                include_personal: !selection.exclude_personal,
                include_archived: selection.include_archived,
            },
        )?;
        Ok(())
    }
}
