//! Historical scan of N repositories on the fake Bitbucket with injected latency: requests per
//! repository and wall time against the network bound (requests × latency / concurrency).
//!
//! `cargo run --release -p depwatch-app --example historical_scan_bench -- REPOS LATENCY_MS CONCURRENCY`

use depwatch_advisories::AdvisoryIndex;
use depwatch_app::{AddInstance, App, DataDir, HistoricalScanOptions, InstanceAuth};
use depwatch_bitbucket::Secret;
use depwatch_fakebb::{Config, FakeBitbucket, Permission, RepoSpec};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LOCK: &str = "version = 3\n\n[[package]]\nname = \"time\"\nversion = \"0.1.43\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

fn arg(i: usize, default: u64) -> anyhow::Result<u64> {
    match std::env::args().nth(i) {
        Some(v) => Ok(v.parse()?),
        None => Ok(default),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let repos = arg(1, 1000)?;
    let latency_ms = arg(2, 20)?;
    let concurrency = arg(3, 16)?;
    let fake = FakeBitbucket::start(Config::default()).await?;
    fake.add_user("admin", Some("pw"), true)?;
    let token = fake.add_personal_token("admin", Permission::Admin)?;
    fake.add_project("BENCH", "Bench")?;
    fake.add_repos((0..repos).map(|i| {
        RepoSpec::new("BENCH", &format!("r{i:05}"))
            .file("Cargo.lock", LOCK)
            .file("README.md", "x\n")
    }))?;
    let dir = tempfile::tempdir()?;
    std::env::set_var(depwatch_app::SECRET_STORE_ENV, "file");
    let app = App::open(DataDir::new(dir.path().to_path_buf()))?;
    app.add_instance(AddInstance {
        name: Some("bench".into()),
        base_url: fake.base_url().to_owned(),
        auth: InstanceAuth::Token(Secret::new(token)),
        ca_path: None,
        max_requests_per_second: None,
    })?;
    let loaded = depwatch_advisories::load_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv-rustsec"),
    )?;
    let index = Arc::new(AdvisoryIndex::from_records(loaded.advisories));
    fake.set_latency(Duration::from_millis(latency_ms));
    fake.clear_requests();
    let mut options = HistoricalScanOptions::new(index);
    options.concurrency = concurrency as usize;
    let start = Instant::now();
    let report = app.historical_scan(None, options).await?;
    let wall = start.elapsed();
    let requests = fake.requests().len() as u64;
    let per_repo_requests = fake.requests().iter().filter(|r| r.path.contains("/repos/r")).count()
        as f64
        / repos as f64;
    let bound = Duration::from_millis(requests * latency_ms / concurrency);
    println!("repositories:        {repos} (done {}, failed {})", report.done, report.failed);
    println!("findings introduced: {}", report.findings_introduced);
    println!(
        "requests:            {requests} total, {per_repo_requests:.2} per repository (+ listing)"
    );
    println!("wall time:           {:.2} s", wall.as_secs_f64());
    println!(
        "network bound:       {:.2} s (requests x {latency_ms} ms / concurrency {concurrency}); ratio {:.2}",
        bound.as_secs_f64(),
        wall.as_secs_f64() / bound.as_secs_f64().max(0.001)
    );
    Ok(())
}
