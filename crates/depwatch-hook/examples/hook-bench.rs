//! Throughput bench target for `bench/hook-throughput.sh`: the real listener on the real
//! SQLite inbox in a given directory, with the rate limit raised out of the way.
//!
//! ```text
//! cargo run --release -p depwatch-hook --example hook-bench -- \
//!     --data-dir /tmp/x --port 28124 --secret s3cret
//! ```
//! On Ctrl-C (SIGINT) it stops accepting, waits for in-flight requests, then checks that every
//! delivery id listed in `<data-dir>/acked-*.txt` (written by the wrk script for each 2xx) has a
//! row, and prints a one-line JSON summary.

use anyhow::{bail, Context, Result};
use depwatch_hook::{
    serve, EveryRepository, HookConfig, HookState, InstanceConfig, InstanceId, RateLimit, Secret,
    StoreInbox,
};
use depwatch_store::Store;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

struct Args {
    data_dir: PathBuf,
    port: u16,
    secret: String,
}

fn parse_args() -> Result<Args> {
    let mut data_dir = None;
    let mut port = 28124;
    let mut secret = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--data-dir" => data_dir = Some(PathBuf::from(value)),
            "--port" => port = value.parse().with_context(|| format!("--port {value}"))?,
            "--secret" => secret = Some(value),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(Args {
        data_dir: data_dir.context("--data-dir is required")?,
        port,
        secret: secret.context("--secret is required")?,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let store = Arc::new(Store::open(&args.data_dir.join("depwatch.db"))?);
    let mut instance = InstanceConfig::new(InstanceId::new("bench")?);
    instance.webhook_secret = Some(Secret::new(args.secret));
    let config = HookConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], args.port)),
        instances: vec![instance],
        rate_limit: RateLimit { burst: u32::MAX, per_second: 1e9 },
        ..HookConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let state = HookState::new(
        config,
        Arc::new(StoreInbox::new(store.clone())),
        Arc::new(EveryRepository),
    )?;
    eprintln!("hook-bench listening on {}", listener.local_addr()?);
    serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;

    let rows = store.inbox_list(None, u32::MAX)?;
    let stored: HashSet<&str> = rows.iter().map(|r| r.delivery_id.as_str()).collect();
    let mut acked = 0u64;
    let mut missing = 0u64;
    for entry in std::fs::read_dir(&args.data_dir)? {
        let path = entry?.path();
        let is_ack_file = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("acked-") && n.ends_with(".txt"));
        if !is_ack_file {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for id in text.lines().filter(|l| !l.is_empty()) {
            acked += 1;
            if !stored.contains(id) {
                missing += 1;
            }
        }
    }
    println!(
        "{{\"rows\":{},\"distinct_rows\":{},\"acked\":{acked},\"acked_without_row\":{missing}}}",
        rows.len(),
        stored.len()
    );
    if missing > 0 {
        bail!("{missing} acknowledged deliveries have no row");
    }
    Ok(())
}
