//! Installing, reconciling and removing our webhook on the fake Bitbucket.

use depwatch_app::webhook_registration::{
    install_for_project, reconcile_webhook, remove_from, DesiredWebhook, HookAction, RepoToCover,
    WEBHOOK_EVENTS,
};
use depwatch_bitbucket::model::WebhookSpec;
use depwatch_bitbucket::{Auth, Client, HookTarget, InstanceConfig, RetryPolicy, Secret};
use depwatch_fakebb::{Config, FakeBitbucket, Permission, RepoSpec};

const URL: &str = "http://10.20.30.40:28123/webhook/corp";

async fn fake(version: &str) -> FakeBitbucket {
    let config = Config { version: version.to_owned(), ..Config::default() };
    let fake = FakeBitbucket::start(config).await.unwrap();
    fake.add_user("admin", Some("admin-pw"), true).unwrap();
    fake.add_user("jdoe", Some("jdoe-pw"), false).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    for slug in ["web", "api"] {
        fake.add_repo(RepoSpec::new("SHOP", slug).file("Cargo.lock", "version = 3\n")).unwrap();
    }
    fake
}

fn client(fake: &FakeBitbucket, user: &str) -> Client {
    let auth = Auth::Basic { username: user.into(), secret: Secret::new(format!("{user}-pw")) };
    let mut cfg = InstanceConfig::new(fake.base_url(), auth).unwrap();
    cfg.retry = RetryPolicy::fast_for_tests();
    cfg.max_requests_per_second = None;
    Client::new(cfg).unwrap()
}

fn desired(secret: &str) -> DesiredWebhook {
    DesiredWebhook { name: "depwatch-laptop".into(), url: URL.into(), secret: Secret::new(secret) }
}

fn repos() -> Vec<RepoToCover> {
    ["web", "api"]
        .iter()
        .map(|s| RepoToCover {
            slug: (*s).to_owned(),
            plugin_url: format!("http://10.20.30.40:28123/repo-syncer/repos/git/SHOP/{s}?token=t"),
        })
        .collect()
}

#[tokio::test]
async fn project_admin_gets_one_project_webhook_that_is_reconciled_and_removed() {
    let fake = fake("9.4.2").await;
    let admin = client(&fake, "admin");
    let results = install_for_project(&admin, "SHOP", &repos(), &desired("s1")).await.unwrap();
    assert_eq!(results.len(), 1, "one project-level hook covers every repository");
    let (scope, outcome) = &results[0];
    assert_eq!(scope, "SHOP");
    let HookAction::Created { id } = outcome.as_ref().unwrap().action else {
        panic!("expected a new hook: {results:?}")
    };
    let target = HookTarget::project("SHOP");
    let hooks = admin.list_webhooks(&target).await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!((hooks[0].url.as_str(), hooks[0].active), (URL, Some(true)));
    assert_eq!(hooks[0].events, WEBHOOK_EVENTS);

    // Again: nothing to do, no second hook.
    let again = reconcile_webhook(&admin, &target, &desired("s1"), Some(true)).await.unwrap();
    assert_eq!(again, HookAction::Unchanged { id });

    // Someone deactivates it and drops an event: repaired in place.
    let broken = WebhookSpec {
        name: "depwatch-laptop".into(),
        url: URL.into(),
        active: false,
        events: vec!["repo:refs_changed".into()],
        secret: Some(Secret::new("s1")),
        ssl_verification_required: None,
    };
    admin.update_webhook(&target, id, &broken).await.unwrap();
    let repaired = reconcile_webhook(&admin, &target, &desired("s1"), Some(true)).await.unwrap();
    let HookAction::Repaired { id: rid, what } = repaired else { panic!("{repaired:?}") };
    assert_eq!(rid, id);
    assert!(what.contains(&"inactive".to_owned()), "{what:?}");
    assert!(what.contains(&"event repo:modified missing".to_owned()), "{what:?}");
    let hook = admin.get_webhook(&target, id).await.unwrap();
    assert_eq!((hook.active, hook.events.len()), (Some(true), 2));

    // A duplicate with our URL (a second install by hand) is cleaned up.
    admin.create_webhook(&target, &broken).await.unwrap();
    reconcile_webhook(&admin, &target, &desired("s1"), Some(true)).await.unwrap();
    assert_eq!(admin.list_webhooks(&target).await.unwrap().len(), 1);

    assert_eq!(remove_from(&admin, &target, URL, None).await.unwrap(), 1);
    assert!(admin.list_webhooks(&target).await.unwrap().is_empty());
}

#[tokio::test]
async fn repo_admin_without_project_admin_gets_one_webhook_per_repository() {
    let fake = fake("9.4.2").await;
    fake.grant_project("jdoe", "SHOP", Permission::Read).unwrap();
    fake.grant_repo("jdoe", "SHOP", "web", Permission::Admin).unwrap();
    let jdoe = client(&fake, "jdoe");
    let results = install_for_project(&jdoe, "SHOP", &repos(), &desired("s")).await.unwrap();
    let scopes: Vec<&str> = results.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(scopes, ["SHOP/web", "SHOP/api"]);
    assert!(matches!(results[0].1.as_ref().unwrap().action, HookAction::Created { .. }));
    // No REPO_ADMIN on api: that repository reports the refusal, the other one is covered.
    let err = results[1].1.as_ref().unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    let admin = client(&fake, "admin");
    assert!(admin.list_webhooks(&HookTarget::project("SHOP")).await.unwrap().is_empty());
    let web = admin.list_webhooks(&HookTarget::repo("SHOP", "web")).await.unwrap();
    assert_eq!(web.len(), 1);
    assert_eq!(web[0].url, URL);
}

#[tokio::test]
async fn servers_before_5_4_get_the_post_receive_plugin_url() {
    let fake = fake("5.3.1").await;
    let admin = client(&fake, "admin");
    let results = install_for_project(&admin, "SHOP", &repos(), &desired("s")).await.unwrap();
    assert_eq!(results.len(), 2);
    for (scope, outcome) in &results {
        let installed = outcome.as_ref().unwrap_or_else(|e| panic!("{scope}: {e}"));
        assert!(
            matches!(installed.action, HookAction::PluginConfigured { ref slot } if slot == "hook-url-0")
        );
    }
    let target = HookTarget::repo("SHOP", "web");
    let settings =
        admin.hook_settings(&target, depwatch_bitbucket::POST_RECEIVE_HOOK_KEY).await.unwrap();
    assert_eq!(
        settings.get("hook-url-0").and_then(|v| v.as_str()),
        Some("http://10.20.30.40:28123/repo-syncer/repos/git/SHOP/web?token=t")
    );
    let plugin_url = repos()[0].plugin_url.clone();
    remove_from(&admin, &target, URL, Some(&plugin_url)).await.unwrap();
    let settings =
        admin.hook_settings(&target, depwatch_bitbucket::POST_RECEIVE_HOOK_KEY).await.unwrap();
    assert!(settings.get("hook-url-0").is_none(), "{settings:?}");
}
