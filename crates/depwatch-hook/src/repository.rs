//! Whether a delivery's repository is one the app monitors (the app provides the answer).

use crate::config::InstanceId;
use depwatch_bitbucket::webhook::HookEvent;

/// The answer for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoLookup {
    /// Monitored: the entry goes to the worker.
    Known,
    /// Not monitored: the delivery is recorded as ignored with this reason and answered 202.
    Unknown { reason: String },
}

/// Looks repositories up in the app's perimeter. Called on the request path, so it must be
/// fast (an in-memory set, not a network call).
pub trait RepoDirectory: Send + Sync + 'static {
    /// Whether `event`'s repository (by `repository.id`, then project key and slug) is
    /// monitored on `instance`.
    fn lookup(&self, instance: &InstanceId, event: &HookEvent) -> RepoLookup;
}

/// Treats every repository as monitored (a listener started without a perimeter, such as the
/// CLI's `serve-hook` against a fresh database).
#[derive(Debug, Clone, Copy, Default)]
pub struct EveryRepository;

impl RepoDirectory for EveryRepository {
    fn lookup(&self, _instance: &InstanceId, _event: &HookEvent) -> RepoLookup {
        RepoLookup::Known
    }
}
