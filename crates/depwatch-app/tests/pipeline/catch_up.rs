//! Catch-up polling against the fake: which branch heads are polled and what was missed.

use depwatch_bitbucket::{Auth, Client, InstanceConfig, RetryPolicy, Secret};
use depwatch_fakebb::{CommitSpec, Config, FakeBitbucket, Push, RepoSpec};

#[tokio::test]
async fn catch_up_sees_every_monitored_branch_head_and_nothing_else() {
    use depwatch_app::catch_up::{missed, monitored_heads, ProcessedRef};
    use depwatch_app::ref_plan::RefWork;
    use depwatch_app::RefFilter;

    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("admin-pw"), true).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "web").file("Cargo.lock", "version = 3\n")).unwrap();
    let auth = Auth::Basic { username: "admin".into(), secret: Secret::new("admin-pw") };
    let mut cfg = InstanceConfig::new(fake.base_url(), auth).unwrap();
    cfg.retry = RetryPolicy::fast_for_tests();
    let client = Client::new(cfg).unwrap();
    let processed_main = fake.branch_head("SHOP", "web", "main").unwrap();
    // Asleep: three pushes, a release branch and a feature branch.
    for i in 0..3 {
        fake.push(
            "SHOP",
            "web",
            Push::new()
                .commit(CommitSpec::on("main").file("Cargo.lock", format!("version = {i}\n"))),
        )
        .await
        .unwrap();
    }
    fake.push(
        "SHOP",
        "web",
        Push::new()
            .create_branch("release/1", Some("main"))
            .create_branch("feature/x", Some("main")),
    )
    .await
    .unwrap();
    let filter = RefFilter::default();
    let heads =
        monitored_heads(&client, "SHOP", "web", Some("refs/heads/main"), &filter).await.unwrap();
    let mut ids: Vec<&str> = heads.iter().map(|h| h.ref_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["refs/heads/main", "refs/heads/release/1"]);
    let now_main = fake.branch_head("SHOP", "web", "main").unwrap();
    let work = missed(
        &heads,
        &[ProcessedRef {
            ref_id: "refs/heads/main".into(),
            head: Some(processed_main.clone()),
            gone: false,
        }],
    );
    assert!(work.contains(&RefWork::Scan {
        ref_id: "refs/heads/main".into(),
        from: Some(processed_main),
        to: now_main.clone(),
        peel: false
    }));
    assert!(work.contains(&RefWork::Scan {
        ref_id: "refs/heads/release/1".into(),
        from: None,
        to: now_main,
        peel: false
    }));
    assert_eq!(work.len(), 2);
}
