//! The push inbox on a real database file: durability across reopen and concurrent writers.

use depwatch_store::{InboxState, InsertOutcome, NewInboxEntry, Store};
use std::sync::Arc;

fn entry<'a>(delivery_id: &'a str, body: &'a [u8]) -> NewInboxEntry<'a> {
    NewInboxEntry {
        instance: "corp",
        delivery_id,
        event_kind: "repo:refs_changed",
        received_at_ms: 1_700_000_000_000,
        body,
        event_json: None,
        ignored_reason: None,
    }
}

#[test]
fn committed_entries_and_claims_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("depwatch.db");
    {
        let store = Store::open(&path).unwrap();
        store.inbox_insert(&entry("d-1", b"{\"a\":1}")).unwrap();
        store.inbox_insert(&entry("d-2", b"{\"a\":2}")).unwrap();
        // A worker claims d-1 and the process dies before finishing it.
        store.inbox_claim_next(10).unwrap().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert!(store.info().unwrap().tables.iter().any(|t| t.name == "inbox" && t.rows == 2));
    assert_eq!(store.inbox_requeue_stale(i64::MAX).unwrap(), 1);
    let first = store.inbox_claim_next(20).unwrap().unwrap();
    assert_eq!(first.record.delivery_id, "d-1");
    assert_eq!(first.body, b"{\"a\":1}", "raw bytes come back exactly");
    assert_eq!(first.record.attempts, 2, "the lost attempt still counts");
    // A redelivery of an entry that was already stored is a duplicate, even after restart.
    assert!(matches!(
        store.inbox_insert(&entry("d-2", b"{\"a\":2}")).unwrap(),
        InsertOutcome::Duplicate(_)
    ));
}

#[test]
fn concurrent_inserts_store_each_delivery_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("depwatch.db")).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut new = 0;
                // Every thread sends the same 50 deliveries (a retrying sender) and 50 of its own.
                for i in 0..50 {
                    for id in [format!("shared-{i}"), format!("t{t}-{i}")] {
                        if let InsertOutcome::Inserted(_) =
                            store.inbox_insert(&entry(&id, b"{}")).unwrap()
                        {
                            new += 1;
                        }
                    }
                }
                new
            })
        })
        .collect();
    let inserted: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(inserted, 50 + 4 * 50);
    assert_eq!(store.inbox_count(Some(InboxState::Pending)).unwrap(), 250);
}
