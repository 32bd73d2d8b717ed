//! Context path, paging, files, refs, errors, auth kinds and filters over plain HTTP.

use axum::http::StatusCode;
use base64::Engine;
use depwatch_fakebb::{CommitSpec, Config, Permission, Push, RepoSpec, Resource};
use serde_json::Value;

use crate::common::seeded;

#[tokio::test]
async fn context_path_is_required_and_carried_in_links() {
    let env = seeded(Config::default()).await;
    let root = format!("http://{}", env.fake.addr());
    let resp = env
        .http
        .get(format!("{root}/rest/api/1.0/application-properties"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 404);
    let ct = resp.headers()["content-type"].to_str().expect("ct").to_owned();
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(resp.text().await.expect("body").contains("Not Found"));

    // application-properties needs no auth.
    let props: Value = env
        .http
        .get(env.api("/application-properties"))
        .send()
        .await
        .expect("send")
        .json_value()
        .await;
    assert_eq!(props["displayName"], "Bitbucket");
    assert!(props["version"].as_str().is_some_and(|v| v.starts_with('9')));

    let (status, _, repo) = env.get("/projects/SHOP/repos/web").await;
    assert_eq!(status, StatusCode::OK);
    let base = env.fake.base_url();
    assert!(base.ends_with("/bitbucket"));
    for link in ["self", "clone"] {
        let href = repo["links"][link][0]["href"].as_str().expect("href");
        assert!(href.starts_with(base), "{link}: {href}");
    }
    assert!(repo["project"]["links"]["self"][0]["href"]
        .as_str()
        .is_some_and(|h| h == format!("{base}/projects/SHOP")));
    assert_eq!(repo["defaultBranch"], "refs/heads/main");
    assert_eq!(repo["archived"], false);
    // `latest` is an alias of `1.0`.
    let resp = env
        .http
        .get(format!("{base}/rest/api/latest/projects/SHOP"))
        .bearer_auth(&env.token)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
}

/// Small extension so tests read JSON without reqwest's `json` feature.
trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        let bytes = self.bytes().await.expect("body");
        serde_json::from_slice(&bytes).expect("JSON body")
    }
}

#[tokio::test]
async fn paging_caps_limit_and_omits_next_page_start_on_last_page() {
    let env = seeded(Config::default().with_cap(Resource::Repos, 50)).await;
    env.fake.add_project("BULK", "Bulk").expect("project");
    env.fake
        .add_repos((0..118).map(|i| RepoSpec::new("BULK", &format!("repo-{i:03}"))))
        .expect("repos");
    let (_, _, first) = env.get("/repos?projectkey=BULK&limit=1000").await;
    assert_eq!(first["limit"], 50, "cap silently lowers limit");
    assert_eq!(first["size"], 50);
    assert_eq!(first["isLastPage"], false);
    assert_eq!(first["nextPageStart"], 50);
    let (_, _, default) = env.get("/repos?projectkey=BULK").await;
    assert_eq!(default["limit"], 25, "default limit");
    let (_, _, last) = env.get("/repos?projectkey=BULK&start=100&limit=50").await;
    assert_eq!(last["isLastPage"], true);
    assert_eq!(last["size"], 18);
    assert!(last.get("nextPageStart").is_none());
}

#[tokio::test]
async fn gap_mode_next_page_start_is_not_start_plus_size() {
    let env = seeded(Config { hidden_item_every: Some(9), ..Config::default() }).await;
    env.fake.add_project("BULK", "Bulk").expect("project");
    env.fake.add_repos((0..60).map(|i| RepoSpec::new("BULK", &format!("r{i:02}")))).expect("repos");
    let mut start = 0u64;
    let mut slugs = Vec::new();
    let mut jumped = false;
    for _ in 0..20 {
        let (_, _, page) = env.get(&format!("/projects/BULK/repos?start={start}&limit=10")).await;
        let values = page["values"].as_array().expect("values");
        slugs.extend(values.iter().map(|v| v["slug"].as_str().expect("slug").to_owned()));
        if page["isLastPage"] == true {
            break;
        }
        let next = page["nextPageStart"].as_u64().expect("nextPageStart");
        jumped |= next != start + values.len() as u64;
        start = next;
    }
    assert!(jumped, "some nextPageStart must differ from start+size");
    let expected: Vec<String> = (0..60).map(|i| format!("r{i:02}")).collect();
    assert_eq!(slugs, expected, "following nextPageStart visits every repo once");
}

#[tokio::test]
async fn large_instance_pages_over_2500_repos() {
    let env = seeded(Config::default()).await;
    env.fake.add_project("BIG", "Big").expect("project");
    let started = std::time::Instant::now();
    env.fake
        .add_repos((0..2500).map(|i| {
            RepoSpec::new("BIG", &format!("svc-{i:04}")).file("Cargo.lock", "version = 3\n")
        }))
        .expect("repos");
    let seeding = started.elapsed();
    let mut start = 0;
    let mut count = 0;
    loop {
        let (status, _, page) =
            env.get(&format!("/repos?limit=1000&start={start}&projectkey=BIG")).await;
        assert_eq!(status, StatusCode::OK);
        count += page["size"].as_u64().expect("size");
        if page["isLastPage"] == true {
            break;
        }
        start = page["nextPageStart"].as_u64().expect("next");
    }
    assert_eq!(count, 2500);
    eprintln!("seeded 2500 repos in {seeding:?}");
}

#[tokio::test]
async fn repos_filters_archived_permission_name_projectkey() {
    let env = seeded(Config::default()).await;
    env.fake
        .add_repo(RepoSpec::new("SHOP", "old-site").name("Old Site").archived(true))
        .expect("repo");
    let slugs = |v: &Value| -> Vec<String> {
        v["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(|r| r["slug"].as_str().expect("slug").to_owned())
            .collect()
    };
    let (_, _, active) = env.get("/repos").await;
    assert!(!slugs(&active).contains(&"old-site".to_owned()), "archived hidden by default");
    let (_, _, archived) = env.get("/repos?archived=ARCHIVED").await;
    assert_eq!(slugs(&archived), vec!["old-site"]);
    let (_, _, all) = env.get("/repos?archived=ALL&projectkey=shop").await;
    assert_eq!(slugs(&all).len(), 2);
    let (_, _, by_name) = env.get("/repos?name=web%20sh").await;
    assert_eq!(slugs(&by_name), vec!["web"]);
    let (status, _, bad) = env.get("/repos?archived=SOMETIMES").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["errors"][0]["message"].as_str().is_some_and(|m| m.contains("archived")));

    // jdoe: read on SHOP only; REPO_ADMIN filter hides it.
    env.fake.grant_project("jdoe", "SHOP", Permission::Read).expect("grant");
    let jdoe =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("jdoe:jdoe-pw"));
    let (_, headers, mine) = env.get_as("/repos", &jdoe).await;
    assert_eq!(slugs(&mine), vec!["web"]);
    assert_eq!(headers["x-ausername"], "jdoe");
    let (_, _, admin_only) = env.get_as("/repos?permission=REPO_ADMIN", &jdoe).await;
    assert!(slugs(&admin_only).is_empty());
    let (_, _, projects) = env.get_as("/projects", &jdoe).await;
    assert_eq!(projects["size"], 1);
    assert_eq!(projects["values"][0]["key"], "SHOP");
    assert_eq!(projects["values"][0]["type"], "NORMAL");
}

#[tokio::test]
async fn personal_projects_and_users() {
    let env = seeded(Config::default()).await;
    env.fake.add_repo(RepoSpec::new("~jdoe", "scratch").file("a.txt", "a")).expect("personal repo");
    let (status, _, project) = env.get("/projects/~JDOE").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(project["type"], "PERSONAL");
    assert_eq!(project["key"], "~JDOE");
    let (status, _, repo) = env.get("/projects/~jdoe/repos/scratch").await;
    assert_eq!(status, StatusCode::OK);
    let href = repo["links"]["self"][0]["href"].as_str().expect("href");
    assert!(href.contains("/users/jdoe/repos/scratch"), "{href}");
    let (_, _, user) = env.get("/users/jdoe").await;
    assert_eq!(user["slug"], "jdoe");
    assert_eq!(user["type"], "NORMAL");
    let (_, _, users) = env.get("/users?filter=jd").await;
    assert_eq!(users["size"], 1);
}

#[tokio::test]
async fn files_browse_raw_and_at_forms() {
    let env = seeded(Config::default()).await;
    let (_, _, files) = env.get("/projects/SHOP/repos/web/files?limit=1000").await;
    assert_eq!(
        files["values"],
        serde_json::json!([
            "Cargo.lock",
            "docs/crlf.txt",
            "web/package-lock.json",
            "web/package.json"
        ])
    );
    let (_, _, sub) = env.get("/projects/SHOP/repos/web/files/web").await;
    assert_eq!(sub["values"], serde_json::json!(["package-lock.json", "package.json"]));
    let (_, _, paged) = env.get("/projects/SHOP/repos/web/files?limit=1&start=1").await;
    assert_eq!(paged["values"], serde_json::json!(["docs/crlf.txt"]));
    assert_eq!(paged["nextPageStart"], 2);

    // Raw keeps CRLF exactly.
    let raw = env
        .http
        .get(env.api("/projects/SHOP/repos/web/raw/docs/crlf.txt?at=refs%2Fheads%2Fmain"))
        .bearer_auth(&env.token)
        .send()
        .await
        .expect("send")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&raw[..], b"line one\r\nline two\r\n");

    // Browse: lines paged, type and size probes.
    let (_, _, lines) = env.get("/projects/SHOP/repos/web/browse/docs/crlf.txt?limit=1").await;
    assert_eq!(lines["lines"][0]["text"], "line one");
    assert_eq!(lines["isLastPage"], false);
    assert_eq!(lines["nextPageStart"], 1);
    let (_, _, t) = env.get("/projects/SHOP/repos/web/browse/web?type=true").await;
    assert_eq!(t["type"], "DIRECTORY");
    let (_, _, t) = env.get("/projects/SHOP/repos/web/browse/Cargo.lock?type=true&size=1").await;
    assert_eq!(t["type"], "FILE", "only an explicit =true counts");
    let (_, _, s) =
        env.get("/projects/SHOP/repos/web/browse/docs/crlf.txt?type=true&size=true").await;
    assert_eq!(s["size"], 20, "size wins over type");
    let (_, _, dir) = env.get("/projects/SHOP/repos/web/browse").await;
    assert_eq!(dir["children"]["values"][0]["type"], "DIRECTORY");

    // at= accepts a commit id, refs/heads/x and refs/tags/x (annotated tag peels).
    let first = env.fake.branch_head("SHOP", "web", "main").expect("head");
    env.fake
        .push(
            "SHOP",
            "web",
            Push::new()
                .create_tag("v1", None, Some("release 1"))
                .commit(CommitSpec::on("main").file("Cargo.lock", "version = 4\n").message("bump")),
        )
        .await
        .expect("push");
    let get_raw = |at: String| {
        let env = &env;
        async move {
            env.http
                .get(env.api(&format!("/projects/SHOP/repos/web/raw/Cargo.lock?at={at}")))
                .bearer_auth(&env.token)
                .send()
                .await
                .expect("send")
                .text()
                .await
                .expect("text")
        }
    };
    assert_eq!(get_raw("refs%2Fheads%2Fmain".into()).await, "version = 4\n");
    assert!(get_raw("refs%2Ftags%2Fv1".into()).await.starts_with("version = 3"));
    assert!(get_raw(first.clone()).await.starts_with("version = 3"));
    let (_, _, tag) = env.get("/projects/SHOP/repos/web/tags/v1").await;
    assert_eq!(tag["latestCommit"], first.as_str());
    assert_ne!(tag["hash"], tag["latestCommit"], "annotated tag: object hash differs");
    assert_eq!(tag["hash"].as_str().map(str::len), Some(40));
}

#[tokio::test]
async fn commits_changes_compare_and_max_changes() {
    let env = seeded(Config { max_changes: 10, ..Config::default() }).await;
    let before = env.fake.branch_head("SHOP", "web", "main").expect("head");
    let mut commit = CommitSpec::on("main").message("many files").author("jdoe");
    for i in 0..30 {
        commit = commit.file(&format!("gen/f{i:02}.txt"), format!("{i}\n"));
    }
    env.fake
        .push("SHOP", "web", Push::new().commit(commit.delete("web/package.json")))
        .await
        .expect("push");
    let head = env.fake.branch_head("SHOP", "web", "main").expect("head");
    let (_, _, commits) = env.get("/projects/SHOP/repos/web/commits?limit=1").await;
    assert_eq!(commits["values"][0]["id"], head.as_str());
    assert_eq!(commits["values"][0]["parents"][0]["id"], before.as_str());
    assert!(commits["values"][0]["authorTimestamp"].is_i64());
    assert_eq!(commits["values"][0]["author"]["name"], "Jdoe");
    let (_, _, changes) =
        env.get(&format!("/projects/SHOP/repos/web/commits/{head}/changes?limit=1000")).await;
    assert_eq!(changes["size"], 10, "page.max.changes truncates");
    assert_eq!(changes["isLastPage"], true);
    let (_, _, beyond) =
        env.get(&format!("/projects/SHOP/repos/web/commits/{head}/changes?start=10")).await;
    assert_eq!(beyond["size"], 0);
    let (_, _, compare) = env
        .get(&format!("/projects/SHOP/repos/web/compare/changes?from={head}&to={before}&limit=5"))
        .await;
    assert_eq!(compare["values"][0]["type"], "ADD");
    let (_, _, since) = env.get(&format!("/projects/SHOP/repos/web/commits?since={before}")).await;
    assert_eq!(since["size"], 1);
}

#[tokio::test]
async fn default_branch_204_404_and_configured() {
    let env = seeded(Config::default()).await;
    env.fake.add_repo(RepoSpec::new("SHOP", "empty")).expect("empty repo");
    let (status, _, _) = env.get("/projects/SHOP/repos/empty/branches/default").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, configured) = env.get("/projects/SHOP/repos/empty/default-branch").await;
    assert_eq!(configured["id"], "refs/heads/main");
    assert_eq!(configured["displayId"], "main");

    // Default configured as "trunk", but only "dev" was pushed.
    env.fake.add_repo(RepoSpec::new("SHOP", "odd").default_branch("trunk")).expect("repo");
    env.fake
        .push("SHOP", "odd", Push::new().commit(CommitSpec::on("dev").file("a", "b")))
        .await
        .expect("push");
    let (status, _, err) = env.get("/projects/SHOP/repos/odd/branches/default").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(err["errors"][0]["exceptionName"]
        .as_str()
        .is_some_and(|e| e.ends_with("NoSuchBranchException")));
    let (_, _, configured) = env.get("/projects/SHOP/repos/odd/default-branch").await;
    assert_eq!(configured["id"], "refs/heads/trunk");

    let (status, _, branch) = env.get("/projects/SHOP/repos/web/branches/default").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(branch["isDefault"], true);
    assert_eq!(branch["displayId"], "main");
    let (_, _, branches) = env.get("/projects/SHOP/repos/odd/branches").await;
    assert_eq!(branches["values"][0]["id"], "refs/heads/dev");
}

#[tokio::test]
async fn errors_are_bitbucket_json() {
    let env = seeded(Config::default()).await;
    let cases = [
        ("/projects/NOPE", 404, "com.atlassian.bitbucket.project.NoSuchProjectException"),
        (
            "/projects/SHOP/repos/nope",
            404,
            "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
        ),
        (
            "/projects/SHOP/repos/web/raw/missing.txt",
            404,
            "com.atlassian.bitbucket.content.NoSuchPathException",
        ),
        (
            "/projects/SHOP/repos/web/files?at=refs%2Fheads%2Fnope",
            404,
            "com.atlassian.bitbucket.commit.NoSuchCommitException",
        ),
        (
            "/projects/SHOP/repos/web/files?limit=abc",
            400,
            "com.atlassian.bitbucket.validation.ArgumentValidationException",
        ),
    ];
    for (path, status, exception) in cases {
        let (s, _, body) = env.get(path).await;
        assert_eq!(s.as_u16(), status, "{path}");
        assert_eq!(body["errors"][0]["exceptionName"], exception, "{path}");
        assert!(body["errors"][0]["message"].is_string());
    }
    // No permission → 401.
    let jdoe =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("jdoe:jdoe-pw"));
    let (s, _, body) = env.get_as("/projects/SHOP/repos/web", &jdoe).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["errors"][0]["exceptionName"],
        "com.atlassian.bitbucket.AuthorisationException"
    );
}

#[tokio::test]
async fn token_kinds_basic_bearer_and_identity_headers() {
    let env = seeded(Config::default()).await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    // Personal token: Bearer and Basic user:token.
    let (s, h, _) = env.get("/projects/SHOP/repos/web").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["x-ausername"], "admin");
    assert!(h.get("x-arequestid").is_some());
    let (s, _, _) = env
        .get_as(
            "/projects/SHOP/repos/web",
            &format!("Basic {}", b64(&format!("admin:{}", env.token))),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) =
        env.get_as("/projects/SHOP/repos/web", &format!("Basic {}", b64("admin:wrong"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Project token: Bearer only, scoped to its project, no user.
    let proj = env.fake.add_project_token("SHOP", Permission::Read).expect("token");
    let (s, h, _) = env.get_as("/projects/SHOP/repos/web", &format!("Bearer {proj}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h.get("x-ausername").is_none(), "project tokens have no user");
    let (s, _, _) = env.get_as("/projects/OPS/repos/tools", &format!("Bearer {proj}")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = env
        .get_as("/projects/SHOP/repos/web", &format!("Basic {}", b64(&format!("admin:{proj}"))))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "project token refused over Basic");

    // Repo token.
    let repo = env.fake.add_repo_token("OPS", "tools", Permission::Read).expect("token");
    let (s, _, _) = env.get_as("/projects/OPS/repos/tools/files", &format!("Bearer {repo}")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = env.get_as("/projects/SHOP/repos/web", &format!("Bearer {repo}")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // whoami is plain text.
    let who = env
        .http
        .get(format!("{}/plugins/servlet/applinks/whoami", env.fake.base_url()))
        .header("Authorization", format!("Basic {}", b64("jdoe:jdoe-pw")))
        .send()
        .await
        .expect("send");
    assert!(who.headers()["content-type"].to_str().expect("ct").starts_with("text/plain"));
    assert_eq!(who.text().await.expect("text"), "jdoe");

    // Expired personal token (server clock moved forward).
    let short = env
        .fake
        .add_expiring_personal_token("admin", Permission::Read, std::time::Duration::from_secs(60))
        .expect("token");
    let (s, _, _) = env.get_as("/projects", &format!("Bearer {short}")).await;
    assert_eq!(s, StatusCode::OK);
    env.fake.set_clock_skew(120);
    let (s, _, body) = env.get_as("/projects", &format!("Bearer {short}")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("expired")));
}

#[tokio::test]
async fn xsrf_check_on_mutations() {
    let env = seeded(Config::default()).await;
    let resp = env
        .http
        .post(env.api("/projects/SHOP/repos/web/webhooks"))
        .bearer_auth(&env.token)
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 403);
    assert!(resp.headers()["content-type"].to_str().expect("ct").starts_with("text/html"));
    assert!(resp.text().await.expect("text").contains("XSRF check failed"));
    let resp = env
        .http
        .delete(env.api("/projects/SHOP/repos/web/webhooks/1"))
        .bearer_auth(&env.token)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 403);
}
