//! Push → finding-event latency through the real monitoring runtime: a push to the fake
//! Bitbucket changes a 1,000-package Cargo.lock (one package flips between a vulnerable and a
//! fixed version), the fake delivers the signed webhook to the runtime's listener, the worker
//! fetches, parses, matches against the imported OSV export and stores the snapshot, and the
//! `FindingIntroduced` / `FindingFixed` event arrives. Prints p50/p99/max over the pushes.
//!
//! `cargo run --release -p depwatch-app --example push_latency_bench -- PUSHES PACKAGES ADVISORIES`
//! (ADVISORIES: an OSV `all.zip`, directory or JSON file; default the test fixtures).

use depwatch_app::monitor::{InstanceSecrets, Secret};
use depwatch_app::{AddInstance, App, DataDir, Event, InstanceAuth, Monitor, MonitorConfig};
use depwatch_fakebb::{CommitSpec, Config, FakeBitbucket, Permission, Push, RepoSpec};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(i: usize) -> Option<String> {
    std::env::args().nth(i)
}

/// A Cargo.lock with `packages` entries; `time` is 0.1.43 (RUSTSEC-2020-0071) or 0.2.23.
fn lockfile(packages: usize, vulnerable: bool) -> String {
    let mut out = String::from("version = 3\n");
    for i in 0..packages.saturating_sub(1) {
        let _ = write!(
            out,
            "\n[[package]]\nname = \"bench-dep-{i:04}\"\nversion = \"1.{}.{}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            i % 7,
            i % 13
        );
    }
    let time = if vulnerable { "0.1.43" } else { "0.2.23" };
    let _ = write!(
        out,
        "\n[[package]]\nname = \"time\"\nversion = \"{time}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
    );
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let pushes: usize = arg(1).map_or(Ok(200), |v| v.parse())?;
    let packages: usize = arg(2).map_or(Ok(1000), |v| v.parse())?;
    let advisories = arg(3).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/osv-rustsec").to_owned()
    });

    let fake = FakeBitbucket::start(Config::default()).await?;
    fake.add_user("admin", Some("pw"), true)?;
    let token = fake.add_personal_token("admin", Permission::Admin)?;
    fake.add_project("BENCH", "Bench")?;
    fake.add_repo(RepoSpec::new("BENCH", "app").file("Cargo.lock", lockfile(packages, false)))?;

    let dir = tempfile::tempdir()?;
    std::env::set_var(depwatch_app::SECRET_STORE_ENV, "file");
    let app = Arc::new(App::open(DataDir::new(dir.path().to_path_buf()))?);
    app.add_instance(AddInstance {
        name: Some("bench".into()),
        base_url: fake.base_url().to_owned(),
        auth: InstanceAuth::Token(depwatch_bitbucket::Secret::new(&token)),
        ca_path: None,
        max_requests_per_second: None,
    })?;
    let imported = app.import_advisories(&advisories)?;
    let mut events = app.events().subscribe();
    let config = MonitorConfig {
        listen: "127.0.0.1:0".parse()?,
        secrets: BTreeMap::from([(
            "bench".to_owned(),
            InstanceSecrets {
                webhook_secret: Some(Secret::new("bench-secret")),
                ..Default::default()
            },
        )]),
        poll_interval: None,
        advisory_sync_interval: None,
        ..MonitorConfig::default()
    };
    let monitor = Monitor::start(Arc::clone(&app), config).await?;
    // The start-up catch-up scans the baseline.
    loop {
        if let Event::CatchUpFinished { .. } = events.recv().await? {
            break;
        }
    }
    let addr = monitor.listen_addr().await.ok_or_else(|| anyhow::anyhow!("no listener"))?;
    fake.add_project_webhook(
        "BENCH",
        &format!("http://{addr}/webhook/bench"),
        Some("bench-secret"),
    )?;
    let locks = [lockfile(packages, true), lockfile(packages, false)];

    let warmup = 5;
    let mut latencies = Vec::with_capacity(pushes);
    for n in 0..pushes + warmup {
        let lock = locks[n % 2].clone();
        let started = Instant::now();
        let report = fake
            .push(
                "BENCH",
                "app",
                Push::new().actor("admin").commit(CommitSpec::on("main").file("Cargo.lock", lock)),
            )
            .await?;
        if !report.deliveries.iter().all(|d| d.status.is_some_and(|s| (200..300).contains(&s))) {
            anyhow::bail!("a delivery was not accepted: {:?}", report.deliveries);
        }
        let arrived = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                match events.recv().await {
                    Ok(Event::FindingIntroduced { .. } | Event::FindingFixed { .. }) => {
                        return Ok(())
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        })
        .await;
        match arrived {
            Ok(Ok(())) => {}
            Ok(Err(e)) => anyhow::bail!("event stream closed: {e}"),
            Err(_) => anyhow::bail!("no finding event within 60 s after push {n}"),
        }
        if n >= warmup {
            latencies.push(started.elapsed());
        }
        // Other events of the same push (the fix of the previous finding) are drained.
        while events.try_recv().is_ok() {}
    }
    monitor.stop().await?;
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "push -> finding event, {packages}-package Cargo.lock, {} advisories ({}), {pushes} pushes: \
         p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        imported.records,
        advisories,
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(percentile(&latencies, 100.0)),
    );
    Ok(())
}
