//! Historical-scan load on the fake: 1,000 repositories, each read the way a scanner does
//! (default branch → head commit → file list → raw lockfiles), 16 requests in flight.
//!
//! `cargo bench -p depwatch-fakebb --bench scan` (set `FAKEBB_LATENCY_MS=20` to add latency).

use std::sync::Arc;
use std::time::Instant;

use depwatch_fakebb::{Config, FakeBitbucket, Permission, RepoSpec};
use serde_json::Value;

const REPOS: usize = 1000;
const IN_FLIGHT: usize = 16;

async fn get(http: &reqwest::Client, token: &str, url: String) -> Vec<u8> {
    let resp = http.get(&url).bearer_auth(token).send().await.expect("request");
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.bytes().await.expect("body").to_vec()
}

async fn json(http: &reqwest::Client, token: &str, url: String) -> Value {
    serde_json::from_slice(&get(http, token, url).await).expect("json")
}

#[tokio::main]
async fn main() {
    let latency_ms: u64 =
        std::env::var("FAKEBB_LATENCY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let fake = FakeBitbucket::start(Config {
        latency: std::time::Duration::from_millis(latency_ms),
        ..Config::default()
    })
    .await
    .expect("start");
    fake.add_user("scanner", None, true).expect("user");
    let token = fake.add_personal_token("scanner", Permission::Read).expect("token");
    fake.add_project("BENCH", "Bench").expect("project");
    let cargo_lock = include_str!("../demo/vulnerable.Cargo.lock");
    let go_mod = include_str!("../demo/cli-cli.go.mod");
    let npm_lock = include_str!("../demo/vulnerable.package-lock.json");
    let t0 = Instant::now();
    fake.add_repos((0..REPOS).map(|i| {
        RepoSpec::new("BENCH", &format!("svc-{i:04}"))
            .file("Cargo.lock", cargo_lock)
            .file("tools/go.mod", go_mod)
            .file("web/package-lock.json", npm_lock)
            .file("README.md", "# service\n")
    }))
    .expect("seed");
    let seeding = t0.elapsed();

    let http = reqwest::Client::new();
    let api = format!("{}/rest/api/1.0", fake.base_url());
    let t1 = Instant::now();
    let mut slugs = Vec::new();
    let mut start = 0;
    loop {
        let page = json(&http, &token, format!("{api}/repos?limit=1000&start={start}")).await;
        for v in page["values"].as_array().expect("values") {
            slugs.push(v["slug"].as_str().expect("slug").to_owned());
        }
        if page["isLastPage"] == true {
            break;
        }
        start = page["nextPageStart"].as_u64().expect("next");
    }
    let sem = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::new();
    for slug in slugs {
        let (http, token, api, sem) = (http.clone(), token.clone(), api.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore");
            let repo = format!("{api}/projects/BENCH/repos/{slug}");
            let branch = json(&http, &token, format!("{repo}/default-branch")).await;
            let at = branch["id"].as_str().expect("id").replace('/', "%2F");
            let commits = json(&http, &token, format!("{repo}/commits?until={at}&limit=1")).await;
            let head = commits["values"][0]["id"].as_str().expect("head").to_owned();
            let files = json(&http, &token, format!("{repo}/files?at={head}&limit=1000")).await;
            let mut requests = 3;
            let mut bytes = 0;
            for f in files["values"].as_array().expect("files") {
                let path = f.as_str().expect("path");
                if path.ends_with(".lock")
                    || path.ends_with("go.mod")
                    || path.ends_with("-lock.json")
                {
                    bytes += get(&http, &token, format!("{repo}/raw/{path}?at={head}")).await.len();
                    requests += 1;
                }
            }
            (requests, bytes)
        }));
    }
    let mut requests = 1;
    let mut bytes = 0;
    for t in tasks {
        let (r, b) = t.await.expect("task");
        requests += r;
        bytes += b;
    }
    let scan = t1.elapsed();
    println!(
        "seeded {REPOS} repos in {seeding:.2?}; scanned them with {requests} requests ({} KiB of lockfiles) in {scan:.2?} = {:.0} req/s ({IN_FLIGHT} in flight, latency {latency_ms} ms)",
        bytes / 1024,
        requests as f64 / scan.as_secs_f64()
    );
}
