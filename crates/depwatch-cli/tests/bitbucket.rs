//! `depwatch bitbucket …` against the fake Bitbucket, as a user runs it.

use assert_cmd::Command;
use depwatch_fakebb::{Config, FakeBitbucket, Permission, RepoSpec};
use predicates::str::contains;
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn depwatch(data_dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("depwatch").unwrap();
    cmd.arg("--data-dir").arg(data_dir).env("DEPWATCH_SECRET_STORE", "file");
    cmd
}

fn json(output: &[u8]) -> serde_json::Value {
    serde_json::from_slice(output).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_list_repos_and_scan_against_the_fake() {
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    let lock = std::fs::read(fixture("bitbucket-vulnerable.Cargo.lock")).unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "billing").file("Cargo.lock", lock)).unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "empty")).unwrap();
    let base = fake.base_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();

    // assert_cmd blocks; the fake serves from the runtime's other worker.
    let token_for_cli = token.clone();
    let out = tokio::task::spawn_blocking(move || {
        let run =
            |args: &[&str]| depwatch(&data).args(args).env("BB_TOKEN", &token_for_cli).assert();

        run(&["bitbucket", "add", &base, "--token-env", "NOT_SET_ANYWHERE", "--name", "x"])
            .failure()
            .stderr(contains("NOT_SET_ANYWHERE"));
        run(&[
            "bitbucket",
            "add",
            &base,
            "--token-env",
            "BB_TOKEN",
            "--name",
            "corp",
            "--max-rps",
            "0",
        ])
        .success()
        .stdout(contains("connection ok"))
        .stdout(contains("secrets.json"));
        run(&["bitbucket", "add", &base, "--token-env", "BB_TOKEN", "--name", "corp"])
            .failure()
            .stderr(contains("already exists"));

        let list =
            run(&["bitbucket", "list", "--format", "json"]).success().get_output().stdout.clone();
        let list = json(&list);
        assert_eq!(list[0]["name"], "corp");
        assert_eq!(list[0]["state"], "ok");
        assert_eq!(list[0]["authKind"], "bearer");

        let repos = run(&["bitbucket", "repos", "--project", "SHOP", "--format", "json"])
            .success()
            .get_output()
            .stdout
            .clone();
        let slugs: Vec<String> = json(&repos)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["slug"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(slugs, ["billing", "empty"]);
        run(&["bitbucket", "projects"]).success().stdout(contains("SHOP"));

        run(&["advisories", "import", fixture("osv-rustsec").to_str().unwrap()]).success();
        let scan =
            run(&["bitbucket", "scan", "--format", "json"]).success().get_output().stdout.clone();
        let scan = json(&scan);
        assert_eq!(scan["total"], 2, "{scan}");
        assert_eq!(scan["done"], 2, "{scan}");
        assert_eq!(scan["empty"], 1, "{scan}");
        assert_eq!(scan["findingsIntroduced"], 2, "{scan}");

        // A second instance makes --instance necessary.
        run(&["bitbucket", "add", &base, "--token-env", "BB_TOKEN", "--name", "lab"]).success();
        run(&["bitbucket", "test"]).failure().stderr(contains("--instance NAME"));
        run(&["bitbucket", "test", "--instance", "lab"])
            .success()
            .stdout(contains("authenticated as admin"));
        std::fs::read(data.join("depwatch.db")).unwrap()
    })
    .await
    .unwrap();
    assert!(
        !out.windows(token.len()).any(|w| w == token.as_bytes()),
        "token stored in the database"
    );
}
