//! Deciding from the fake's compare API whether a push touched manifests.

use depwatch_app::change_set::RescanReason;
use depwatch_app::ref_plan::rescan_reason;
use depwatch_bitbucket::{Auth, Client, InstanceConfig, RetryPolicy, Secret};
use depwatch_fakebb::{CommitSpec, Config, FakeBitbucket, Push, RepoSpec};

#[tokio::test]
async fn only_pushes_that_touch_manifests_rescan() {
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("admin-pw"), true).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "web").file("Cargo.lock", "version = 3\n")).unwrap();
    let auth = Auth::Basic { username: "admin".into(), secret: Secret::new("admin-pw") };
    let mut cfg = InstanceConfig::new(fake.base_url(), auth).unwrap();
    cfg.retry = RetryPolicy::fast_for_tests();
    let client = Client::new(cfg).unwrap();

    let base = fake.branch_head("SHOP", "web", "main").unwrap();
    fake.push("SHOP", "web", Push::new().commit(CommitSpec::on("main").file("README.md", "hi")))
        .await
        .unwrap();
    let docs = fake.branch_head("SHOP", "web", "main").unwrap();
    assert_eq!(rescan_reason(&client, "SHOP", "web", Some(&base), &docs).await.unwrap(), None);

    fake.push(
        "SHOP",
        "web",
        Push::new()
            .commit(CommitSpec::on("main").file("web/package-lock.json", "{}").file("a.rs", "")),
    )
    .await
    .unwrap();
    let lock = fake.branch_head("SHOP", "web", "main").unwrap();
    assert_eq!(
        rescan_reason(&client, "SHOP", "web", Some(&base), &lock).await.unwrap(),
        Some(RescanReason::ManifestsChanged(vec!["web/package-lock.json".into()]))
    );
    assert_eq!(
        rescan_reason(&client, "SHOP", "web", None, &lock).await.unwrap(),
        Some(RescanReason::NewRef)
    );
    let unknown = "f".repeat(40);
    assert!(matches!(
        rescan_reason(&client, "SHOP", "web", Some(&unknown), &lock).await.unwrap(),
        Some(RescanReason::ChangesUnknown(_))
    ));
}
