//! `depwatch bitbucket …` against the fake Bitbucket, as a user runs it.

use assert_cmd::Command;
use depwatch_fakebb::{press_authorize, Config, FakeBitbucket, Permission, RepoSpec};
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

/// Adds an OAuth instance with the CLI and registers its printed public key on the fake.
fn add_oauth_instance(fake: &FakeBitbucket, data: &Path) {
    let out = depwatch(data)
        .args(["bitbucket", "add", fake.base_url(), "--oauth", "--consumer-key", "depwatch-cli"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let start = out.find("-----BEGIN PUBLIC KEY-----").expect("public key printed");
    let end = out.find("-----END PUBLIC KEY-----").unwrap() + "-----END PUBLIC KEY-----".len();
    fake.add_consumer("depwatch-cli", "depwatch", &out[start..end], None).unwrap();
}

/// Runs `depwatch bitbucket authorize` as a child process and returns it with the authorize
/// URL read from its output.
fn spawn_authorize(
    data: &Path,
    extra: &[&str],
) -> (std::process::Child, std::io::Lines<std::io::BufReader<std::process::ChildStdout>>, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("depwatch"))
        .arg("--data-dir")
        .arg(data)
        .args(["bitbucket", "authorize", "--no-browser"])
        .args(extra)
        .env("DEPWATCH_SECRET_STORE", "file")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the CLI prints the authorize URL").unwrap();
        if let Some(url) = line.trim().strip_prefix("http") {
            break format!("http{url}");
        }
    };
    (child, lines, url)
}

fn rest(lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>) -> String {
    lines.map(|l| l.unwrap()).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_receives_the_browser_callback_on_a_loopback_listener() {
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    {
        let data = data.clone();
        let fake_ref = &fake;
        tokio::task::block_in_place(|| add_oauth_instance(fake_ref, &data));
    }
    let (child, lines, url) = tokio::task::block_in_place(|| spawn_authorize(&data, &[]));
    assert!(url.contains("/bitbucket/plugins/servlet/oauth/authorize?oauth_token="), "{url}");
    let location = press_authorize(&url, true)
        .await
        .unwrap()
        .redirect()
        .expect("Allow redirects to the loopback callback");
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let page = reqwest::get(&location).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("You can close this tab"));
    let (output, rest) = tokio::task::block_in_place(|| {
        let rest = rest(lines);
        (child.wait_with_output().unwrap(), rest)
    });
    assert!(output.status.success(), "{rest}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(rest.contains("authorized"), "{rest}");
    assert!(rest.contains("authenticated as admin"), "{rest}");

    // The instance now works, and the access token is not in the database.
    let list = tokio::task::block_in_place(|| {
        depwatch(&data)
            .args(["bitbucket", "test", "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    });
    assert_eq!(json(&list)["state"], "ok");
    let db = std::fs::read(data.join("depwatch.db")).unwrap();
    let secrets: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("secrets.json")).unwrap()).unwrap();
    let access = secrets["instance/127.0.0.1/oauth-access-token"].as_str().unwrap();
    let session = secrets["instance/127.0.0.1/oauth-session"].as_str().unwrap();
    let db = String::from_utf8_lossy(&db);
    assert!(!db.contains(access), "the access token must not reach the database");
    assert!(!db.contains("BEGIN PRIVATE KEY"));
    let handle = serde_json::from_str::<serde_json::Value>(session).unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!db.contains(&handle));

    // `renew` uses the session handle.
    fake.clear_requests();
    tokio::task::block_in_place(|| {
        depwatch(&data).args(["bitbucket", "renew"]).assert().success().stdout(contains("renewed"));
    });
    assert!(fake.requests().iter().any(|r| r.path.ends_with("/oauth/access-token")
        && r.query.as_deref().unwrap_or("").contains("oauth_session_handle")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_reports_a_denial_and_paste_completes_out_of_band() {
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    tokio::task::block_in_place(|| add_oauth_instance(&fake, &data));

    // Deny: the command fails and says so.
    let (child, lines, url) = tokio::task::block_in_place(|| spawn_authorize(&data, &[]));
    let location = press_authorize(&url, false)
        .await
        .unwrap()
        .redirect()
        .expect("Deny redirects to the callback");
    let page = reqwest::get(&location).await.unwrap().text().await.unwrap();
    assert!(page.contains("Access denied"), "{page}");
    let (output, _) = tokio::task::block_in_place(|| {
        let rest = rest(lines);
        (child.wait_with_output().unwrap(), rest)
    });
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("denied"), "{stderr}");

    // --paste: Bitbucket shows the code, the user types it in.
    let (mut child, lines, url) =
        tokio::task::block_in_place(|| spawn_authorize(&data, &["--paste"]));
    let page = press_authorize(&url, true).await.unwrap().page().expect("out of band shows a page");
    let marker = "<code id=\"oauth-verifier\">";
    let start = page.find(marker).unwrap() + marker.len();
    let verifier = page[start..].split('<').next().unwrap().to_owned();
    let (output, rest) = tokio::task::block_in_place(|| {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{verifier}").unwrap();
        drop(stdin);
        let rest = rest(lines);
        (child.wait_with_output().unwrap(), rest)
    });
    assert!(output.status.success(), "{rest}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(rest.contains("authenticated as admin"), "{rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perimeter_shows_and_changes_projects_repositories_personal_and_archived() {
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    fake.add_project("PLAT", "Platform").unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "billing").file("README.md", "x")).unwrap();
    fake.add_repo(RepoSpec::new("SHOP", "web").file("README.md", "x")).unwrap();
    fake.add_repo(RepoSpec::new("PLAT", "api").file("README.md", "x")).unwrap();
    fake.add_repo(RepoSpec::new("PLAT", "legacy").archived(true).file("README.md", "x")).unwrap();
    fake.add_repo(RepoSpec::new("~ADMIN", "scratch").file("README.md", "x")).unwrap();
    let base = fake.base_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| depwatch(&data).args(args).env("BB_TOKEN", &token).assert();
        run(&["bitbucket", "add", &base, "--token-env", "BB_TOKEN", "--name", "corp"]).success();
        let show = |extra: &[&str]| {
            let mut args = vec!["bitbucket", "perimeter", "--format", "json"];
            args.extend_from_slice(extra);
            json(&run(&args).success().get_output().stdout)
        };
        // Before any listing: whole instance, defaults, nothing known yet.
        let fresh = show(&[]);
        assert_eq!(fresh["mode"], "all");
        assert_eq!(fresh["includePersonal"], true);
        assert_eq!(fresh["includeArchived"], false);
        assert_eq!(fresh["repositories"], serde_json::json!([]));

        // Choosing projects fetches the listing first.
        let chosen = show(&["--project", "PLAT"]);
        assert_eq!(chosen["mode"], "projects");
        assert_eq!(chosen["selectedProjects"], serde_json::json!(["PLAT"]));
        assert_eq!(chosen["repositories"], serde_json::json!(["PLAT/api"]));
        let archived = show(&["--archived", "on"]);
        assert_eq!(archived["repositories"], serde_json::json!(["PLAT/api", "PLAT/legacy"]));

        // Whole instance, personal off, one repository excluded then included again.
        let all = show(&[
            "--all",
            "--personal",
            "off",
            "--archived",
            "off",
            "--exclude-repo",
            "SHOP/web",
        ]);
        assert_eq!(all["mode"], "all");
        assert_eq!(all["excludedRepositories"], serde_json::json!(["SHOP/web"]));
        assert_eq!(all["repositories"], serde_json::json!(["PLAT/api", "SHOP/billing"]));
        let back = show(&["--personal", "on", "--include-repo", "SHOP/web"]);
        assert_eq!(
            back["repositories"],
            serde_json::json!(["PLAT/api", "SHOP/billing", "SHOP/web", "~ADMIN/scratch"])
        );
        assert_eq!(back["excludedRepositories"], serde_json::json!([]));

        // Table output and clear errors.
        run(&["bitbucket", "perimeter"])
            .success()
            .stdout(contains("watching the whole instance"))
            .stdout(contains("4 repositories in the perimeter"));
        run(&["bitbucket", "perimeter", "--project", "NOPE"]).failure().stderr(contains("NOPE"));
        run(&["bitbucket", "perimeter", "--exclude-repo", "SHOP"])
            .failure()
            .stderr(contains("PROJECT/slug"));
        run(&["bitbucket", "perimeter", "--exclude-repo", "SHOP/nope"])
            .failure()
            .stderr(contains("SHOP/nope"));
        run(&["bitbucket", "perimeter", "--archived", "maybe"])
            .failure()
            .stderr(contains("on or off"));
        run(&["bitbucket", "perimeter", "--all", "--project", "SHOP"]).failure();
    })
    .await
    .unwrap();
}
