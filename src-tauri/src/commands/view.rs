//! What the read commands share: running store work off the UI thread, the clock, and the
//! view errors' codes.

use crate::{CommandError, ErrorCode, Shell};
use depwatch_app::view::ViewError;
use depwatch_app::App;
use std::sync::Arc;

impl From<ViewError> for CommandError {
    fn from(err: ViewError) -> CommandError {
        let code = match &err {
            ViewError::NotFound(_) => ErrorCode::NotFound,
            ViewError::InvalidInput(_) => ErrorCode::InvalidInput,
            ViewError::InvalidState(_) => ErrorCode::InvalidState,
            ViewError::Store(_) => ErrorCode::Database,
        };
        CommandError::new(code, err.to_string())
    }
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs `work` against the open app on a blocking thread: SQLite calls never run on the UI
/// thread (Tauri runs synchronous commands there) nor on an async worker.
pub(crate) async fn with_app<T, E, F>(shell: &Shell, work: F) -> Result<T, CommandError>
where
    F: FnOnce(&App, i64) -> Result<T, E> + Send + 'static,
    E: Into<CommandError> + Send + 'static,
    T: Send + 'static,
{
    let app: Arc<App> = shell.app_arc()?;
    let joined = tauri::async_runtime::spawn_blocking(move || work(&app, now_ms())).await;
    match joined {
        Ok(result) => result.map_err(Into::into),
        Err(err) => Err(CommandError::new(ErrorCode::Internal, format!("the query failed: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    //! The read and lifecycle commands over Tauri's mock IPC: argument names as the UI sends
    //! them (camelCase), JSON as types.ts expects, typed error codes.

    use crate::ipc_harness::Ipc;
    use crate::Shell;
    use depwatch_app::{App, DataDir};
    use depwatch_store::{
        AuthKind, FindingOrigin, NewFinding, NewInstance, NewSnapshot, RepositoryUpsert,
        SnapshotPackage, SnapshotVia,
    };
    use serde_json::json;

    /// The commands over a seeded data folder, which lives as long as they do.
    struct Seeded {
        _dir: tempfile::TempDir,
        ipc: Ipc,
    }

    impl std::ops::Deref for Seeded {
        type Target = Ipc;
        fn deref(&self) -> &Ipc {
            &self.ipc
        }
    }

    /// One repository (SHOP/billing) whose main branch has `time` 0.1.43 with the real
    /// RUSTSEC-2020-0071 record in the advisory database and a finding of it.
    fn seeded() -> (Seeded, i64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(DataDir::new(dir.path().to_path_buf())).unwrap();
        let record = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/depwatch-app/tests/fixtures/osv-rustsec/RUSTSEC-2020-0071.json");
        app.import_advisories(record.to_str().unwrap()).unwrap();
        let store = app.store();
        let instance = store
            .instance_insert(&NewInstance {
                name: "corp",
                base_url: "https://git.example.com",
                auth_kind: AuthKind::Bearer,
                username: None,
                consumer_key: None,
                ca_path: None,
                max_requests_per_second: None,
                created_at_ms: 0,
            })
            .unwrap()
            .id;
        store
            .repositories_upsert(
                instance,
                &[RepositoryUpsert {
                    bb_id: 7,
                    project_key: "SHOP",
                    slug: "billing",
                    name: None,
                    archived: false,
                    personal: false,
                }],
            )
            .unwrap();
        let repo = store.repository_by_slug(instance, "SHOP", "billing").unwrap().unwrap().id;
        store.repository_set_default_branch(repo, Some("refs/heads/main")).unwrap();
        let packages = [SnapshotPackage {
            manifest: "Cargo.lock".into(),
            ecosystem: "crates.io".into(),
            name: "time".into(),
            version: "0.1.43".into(),
            pinned: true,
            direct: Some(true),
            scope: "prod".into(),
            source: "registry".into(),
            paths: vec![],
        }];
        let findings = [NewFinding {
            advisory_id: "RUSTSEC-2020-0071".into(),
            aliases: vec!["CVE-2020-26235".into(), "GHSA-wcg3-cvx6-7396".into()],
            ecosystem: "crates.io".into(),
            package: "time".into(),
            version: "0.1.43".into(),
            manifest: "Cargo.lock".into(),
            severity: "medium".into(),
            score: Some(6.2),
            kind: "vulnerability".into(),
            fixed_version: Some("0.2.23".into()),
            summary: Some("Potential segfault in the time crate".into()),
            direct: Some(true),
            dependency_path: vec!["billing@0.1.0".into(), "time@0.1.43".into()],
        }];
        let diff = store
            .store_snapshot(&NewSnapshot {
                repository: repo,
                ref_id: "refs/heads/main",
                commit_id: "c0ffee",
                from_commit: Some("beef"),
                author: Some("Ada Admin"),
                via: SnapshotVia::Webhook,
                origin: FindingOrigin::Push,
                scanned_at_ms: 1_795_262_400_000,
                manifests_json: r#"{"manifests":[{"path":"Cargo.lock","format":"CargoLock","packages":1,"diagnostics":[]}],"diagnostics":[]}"#,
                packages: &packages,
                findings: &findings,
            })
            .unwrap();
        let finding = diff.introduced[0].id.0;
        (Seeded { _dir: dir, ipc: Ipc::new(Shell::new(Ok(app))) }, repo.0, finding)
    }

    #[test]
    fn read_commands_answer_with_the_ui_shapes() {
        let (ipc, repo, finding) = seeded();
        let dashboard = ipc.call("get_dashboard", json!({})).unwrap();
        assert_eq!(dashboard["counts"]["medium"], 1);
        assert_eq!(dashboard["trend"].as_array().map(Vec::len), Some(90));
        assert_eq!(dashboard["recentPushes"][0]["via"], "webhook");
        assert_eq!(dashboard["recentPushes"][0]["introduced"][0]["findingId"], finding);
        // The first read registers the OSV exports as sources: each has `AdvisorySourceStatus`'s
        // keys exactly, times as RFC 3339 or null.
        let source = &dashboard["advisorySources"][0];
        let mut keys: Vec<&str> = source.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "advisoryCount",
                "ecosystems",
                "enabled",
                "id",
                "lastError",
                "lastSyncAt",
                "name",
                "stale"
            ]
        );

        let repos = ipc.call("list_repositories", json!({})).unwrap();
        assert_eq!(
            repos[0]["webUrl"],
            "https://git.example.com/projects/SHOP/repos/billing/browse"
        );
        let detail = ipc.call("get_repository", json!({ "repositoryId": repo })).unwrap();
        assert_eq!(detail["branches"][0]["name"], "main");
        assert_eq!(detail["manifests"][0]["format"], "Cargo.lock");
        let deps = ipc
            .call("list_dependencies", json!({ "repositoryId": repo, "branch": "main" }))
            .unwrap();
        assert_eq!(
            (deps[0]["findingCount"].clone(), deps[0]["maxSeverity"].clone()),
            (json!(1), json!("medium"))
        );
        let pushes = ipc.call("list_pushes", json!({ "repositoryId": null, "limit": 10 })).unwrap();
        assert_eq!(pushes[0]["author"], "Ada Admin");
        assert_eq!(pushes[0]["fromCommit"], "beef");
        let findings = ipc.call("list_findings", json!({ "filter": {} })).unwrap();
        assert_eq!(findings[0]["dependencyPath"], json!(["billing@0.1.0", "time@0.1.43"]));
        let filtered = ipc
            .call(
                "list_findings",
                json!({ "filter": { "severities": ["critical"], "query": null } }),
            )
            .unwrap();
        assert_eq!(filtered, json!([]));
        let advisory = ipc.call("get_advisory", json!({ "advisoryId": "CVE-2020-26235" })).unwrap();
        assert_eq!(advisory["id"], "RUSTSEC-2020-0071");
        assert_eq!(advisory["cvss"]["score"], 6.2);
        assert_eq!(advisory["affectedRepositories"][0]["slug"], "billing");
    }

    #[test]
    fn lifecycle_commands_change_state_and_name_what_is_wrong() {
        let (ipc, repo, finding) = seeded();
        let acked = ipc.call("acknowledge_finding", json!({ "findingId": finding })).unwrap();
        assert_eq!(acked["state"], "acknowledged");
        let again = ipc.call("acknowledge_finding", json!({ "findingId": finding })).unwrap_err();
        assert_eq!(again["code"], "invalid-state");
        let past = ipc
            .call(
                "ignore_finding",
                json!({ "findingId": finding, "reason": "x", "until": "2000-01-01" }),
            )
            .unwrap_err();
        assert_eq!(past["code"], "invalid-input");
        let ignored = ipc
            .call(
                "ignore_finding",
                json!({ "findingId": finding, "reason": "fork", "until": "2999-01-01" }),
            )
            .unwrap();
        assert_eq!(
            (ignored["state"].clone(), ignored["ignoredUntil"].clone()),
            (json!("ignored"), json!("2999-01-01"))
        );
        let closed = ipc
            .call(
                "close_finding",
                json!({ "findingId": finding, "reason": "mitigated", "comment": "WAF rule" }),
            )
            .unwrap();
        assert_eq!(closed["stateReason"], "mitigated: WAF rule");
        let bad_reason = ipc
            .call(
                "close_finding",
                json!({ "findingId": finding, "reason": "meh", "comment": null }),
            )
            .unwrap_err();
        assert!(bad_reason.is_string() || bad_reason["code"].is_string(), "{bad_reason}");
        let reopened = ipc.call("reopen_finding", json!({ "findingId": finding })).unwrap();
        assert_eq!(reopened["state"], "open");
        let missing = ipc.call("reopen_finding", json!({ "findingId": 999_999 })).unwrap_err();
        assert_eq!(missing["code"], "not-found");
        let missing =
            ipc.call("get_repository", json!({ "repositoryId": repo + 100 })).unwrap_err();
        assert_eq!(missing["code"], "not-found");
        let limit =
            ipc.call("list_pushes", json!({ "repositoryId": repo, "limit": 0 })).unwrap_err();
        assert_eq!(limit["code"], "invalid-input");
    }
}
