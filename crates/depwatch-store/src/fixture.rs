//! Test fixtures shared by the store's unit tests.

use crate::instance::{AuthKind, InstanceId, NewInstance};
use crate::Store;

/// An in-memory store with one Bitbucket instance, `corp`, using a bearer token.
pub(crate) fn store_with_instance() -> (Store, InstanceId) {
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
    (store, instance)
}
