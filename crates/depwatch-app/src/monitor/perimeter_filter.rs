//! The listener's view of the perimeter: which repositories of which instance depwatch
//! monitors, held in memory because the listener asks on every request.
//!
//! A push to a repository outside the perimeter is recorded as ignored and answered 202. A
//! repository the inventory does not know yet (created since the last refresh) is ignored the
//! same way, but it also asks for an inventory refresh and a catch-up pass, which scans it if
//! the perimeter includes it: the push is not lost.

use depwatch_bitbucket::webhook::HookEvent;
use depwatch_hook::{InstanceId, RepoDirectory, RepoLookup};
use depwatch_store::{Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use tokio::sync::Notify;

#[derive(Debug, Default)]
struct Known {
    /// Bitbucket ids of every stored repository of the instance.
    stored: HashSet<i64>,
    /// Bitbucket ids of the repositories inside the perimeter.
    monitored: HashSet<i64>,
}

/// A [`RepoDirectory`] backed by the store's perimeter.
#[derive(Debug)]
pub struct PerimeterFilter {
    by_instance: RwLock<HashMap<String, Known>>,
    /// Woken when a delivery names a repository the inventory does not know.
    unknown_seen: Arc<Notify>,
}

impl PerimeterFilter {
    /// An empty filter (everything unknown until [`PerimeterFilter::refresh`]); `unknown_seen`
    /// is notified for deliveries about repositories the inventory lacks.
    pub fn new(unknown_seen: Arc<Notify>) -> PerimeterFilter {
        PerimeterFilter { by_instance: RwLock::new(HashMap::new()), unknown_seen }
    }

    /// Reloads every instance's repositories and perimeter from the store. Call after an
    /// inventory refresh or a perimeter change.
    ///
    /// # Errors
    /// Database errors (the previous view stays in force).
    pub fn refresh(&self, store: &Store) -> Result<(), StoreError> {
        let mut fresh = HashMap::new();
        for instance in store.instances()? {
            let stored = store.repositories(instance.id, None)?.iter().map(|r| r.bb_id).collect();
            let monitored =
                store.perimeter_repositories(instance.id)?.iter().map(|r| r.bb_id).collect();
            fresh.insert(instance.name, Known { stored, monitored });
        }
        *self.by_instance.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// How many repositories are monitored, over all instances.
    pub fn monitored_count(&self) -> usize {
        self.by_instance
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|k| k.monitored.len())
            .sum()
    }
}

impl RepoDirectory for PerimeterFilter {
    fn lookup(&self, instance: &InstanceId, event: &HookEvent) -> RepoLookup {
        let (id, label, rename) = match event {
            HookEvent::Push(p) => {
                (p.repository_id, format!("{}/{}", p.project_key, p.repo_slug), false)
            }
            HookEvent::RepoModified(m) => {
                (m.repository_id, format!("{}/{}", m.new.project_key, m.new.slug), true)
            }
        };
        let (stored, monitored) = {
            let map = self.by_instance.read().unwrap_or_else(|p| p.into_inner());
            match map.get(instance.as_str()) {
                Some(k) => (k.stored.contains(&id), k.monitored.contains(&id)),
                None => (false, false),
            }
        };
        // A rename keeps stored identity right even for an excluded repository.
        if monitored || (rename && stored) {
            return RepoLookup::Known;
        }
        if stored {
            return RepoLookup::Unknown {
                reason: format!(
                    "repository {label} (id {id}) is outside the monitored perimeter of {instance}"
                ),
            };
        }
        self.unknown_seen.notify_one();
        RepoLookup::Unknown {
            reason: format!(
                "repository {label} (id {id}) is not in the inventory of {instance}; an inventory \
                 refresh and catch-up were requested"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depwatch_bitbucket::webhook::{PayloadFormat, PushEvent, RepoIdentity, RepoModifiedEvent};
    use depwatch_store::{AuthKind, NewInstance, RepositoryUpsert};

    fn push(id: i64) -> HookEvent {
        HookEvent::Push(PushEvent {
            format: PayloadFormat::NativeWebhook,
            repository_id: id,
            project_key: "SHOP".into(),
            repo_slug: "web".into(),
            occurred_at: None,
            actor: None,
            ref_changes: Vec::new(),
            commits: Vec::new(),
            commits_complete: false,
            diagnostics: Vec::new(),
        })
    }

    fn rename(id: i64) -> HookEvent {
        let identity = RepoIdentity { project_key: "SHOP".into(), slug: "web2".into(), name: None };
        HookEvent::RepoModified(RepoModifiedEvent {
            repository_id: id,
            old: identity.clone(),
            new: identity,
            occurred_at: None,
            actor: None,
        })
    }

    #[test]
    fn monitored_excluded_and_unknown_repositories() {
        let store = Store::open_in_memory().unwrap();
        let instance = store
            .instance_insert(&NewInstance {
                name: "corp",
                base_url: "https://git.corp",
                auth_kind: AuthKind::Bearer,
                username: None,
                consumer_key: None,
                ca_path: None,
                max_requests_per_second: None,
                created_at_ms: 0,
            })
            .unwrap()
            .id;
        let repo = |bb_id, slug| RepositoryUpsert {
            bb_id,
            project_key: "SHOP",
            slug,
            name: None,
            archived: false,
            personal: false,
        };
        store.repositories_upsert(instance, &[repo(1, "web"), repo(2, "api")]).unwrap();
        let api = store.repository_by_slug(instance, "SHOP", "api").unwrap().unwrap();
        store.repository_set_monitored(api.id, false).unwrap();

        let woken = Arc::new(Notify::new());
        let filter = PerimeterFilter::new(Arc::clone(&woken));
        let corp = InstanceId::new("corp").unwrap();
        assert!(matches!(filter.lookup(&corp, &push(1)), RepoLookup::Unknown { .. }), "empty");
        filter.refresh(&store).unwrap();
        assert_eq!(filter.monitored_count(), 1);
        assert_eq!(filter.lookup(&corp, &push(1)), RepoLookup::Known);
        let RepoLookup::Unknown { reason } = filter.lookup(&corp, &push(2)) else {
            panic!("excluded repository accepted")
        };
        assert!(reason.contains("outside the monitored perimeter"), "{reason}");
        assert_eq!(filter.lookup(&corp, &rename(2)), RepoLookup::Known, "renames still apply");
        let RepoLookup::Unknown { reason } = filter.lookup(&corp, &push(3)) else {
            panic!("unknown repository accepted")
        };
        assert!(reason.contains("not in the inventory"), "{reason}");
        let other = InstanceId::new("other").unwrap();
        assert!(matches!(filter.lookup(&other, &push(1)), RepoLookup::Unknown { .. }));
        // The unknown repository asked for a refresh (a stored permit makes this immediate).
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(5), woken.notified())
                .await
                .expect("no refresh requested");
        });
    }
}
