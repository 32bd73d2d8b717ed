//! `depwatch serve`: the monitoring runtime (webhook listener, inbox worker, catch-up polling,
//! scheduled advisory sync) headless, printing every app event as one JSON line on stdout.

use anyhow::Context;
use clap::Args;
use depwatch_app::monitor::Secret;
use depwatch_app::settings::outgoing_address;
use depwatch_app::{App, DataDir, Monitor, MonitorConfig, RefFilter};
use depwatch_hook::{is_loopback_only, webhook_url, InstanceId, DEFAULT_PORT};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address the webhook listener binds. Bitbucket runs on another machine, so a loopback
    /// address only works for local tests.
    #[arg(long, value_name = "ADDR:PORT", default_value_t = SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)))]
    listen: SocketAddr,
    /// Environment variable holding the webhook HMAC secret, used for every instance.
    #[arg(long, value_name = "VAR")]
    webhook_secret_env: Option<String>,
    /// Minutes between catch-up polls (0 = only at start and after the machine slept).
    #[arg(long, default_value_t = 15)]
    poll_minutes: u64,
    /// Minutes between advisory syncs (0 = never; `depwatch advisories sync` by hand).
    #[arg(long, default_value_t = 360)]
    advisory_sync_minutes: u64,
    /// Branch patterns monitored besides the default branch (repeatable; default release/*).
    #[arg(long = "branch", value_name = "GLOB")]
    branches: Vec<String>,
}

pub fn run(args: ServeArgs, data_dir: &DataDir) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, data_dir))
}

fn minutes(n: u64) -> Option<Duration> {
    (n > 0).then(|| Duration::from_secs(n.saturating_mul(60)))
}

async fn serve(args: ServeArgs, data_dir: &DataDir) -> anyhow::Result<ExitCode> {
    let app = Arc::new(App::open(data_dir.clone())?);
    let default_secret = match &args.webhook_secret_env {
        Some(var) => {
            let value = std::env::var(var).with_context(|| {
                format!("--webhook-secret-env: environment variable {var} is not set")
            })?;
            Some(Secret::new(value))
        }
        None => None,
    };
    if app.instances()?.is_empty() {
        eprintln!("warning: no Bitbucket instance is configured (`depwatch bitbucket add`); deliveries will be refused");
    }
    if default_secret.is_none() {
        eprintln!(
            "warning: no webhook secret (--webhook-secret-env): unsigned deliveries are accepted"
        );
    }
    if is_loopback_only(&args.listen) {
        eprintln!(
            "warning: {} only accepts connections from this machine; Bitbucket cannot reach it",
            args.listen
        );
    }
    let ref_filter = if args.branches.is_empty() {
        RefFilter::default()
    } else {
        RefFilter::from_patterns(&args.branches, false)?
    };
    let config = MonitorConfig {
        listen: args.listen,
        default_secret,
        poll_interval: minutes(args.poll_minutes),
        ref_filter,
        advisory_sync_interval: minutes(args.advisory_sync_minutes),
        ..MonitorConfig::default()
    };

    // Subscribe before starting so the first catch-up's events are printed.
    let mut events = app.events().subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => match serde_json::to_string(&event) {
                    Ok(line) => println!("{line}"),
                    Err(e) => eprintln!("warning: event not printable: {e}"),
                },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    eprintln!("warning: {n} events skipped (output too slow)");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    let monitor = Monitor::start(Arc::clone(&app), config).await?;
    let bound = monitor.status().await.listen;
    eprintln!("listening on {bound} (POST /webhook/<instance>)");
    // The URL to register in Bitbucket: this machine's address toward the server when the
    // listener binds every interface.
    for instance in app.instances()? {
        let Ok(id) = InstanceId::new(instance.name.clone()) else { continue };
        let server_host = instance
            .base_url
            .split_once("://")
            .and_then(|(_, rest)| rest.split(['/', ':']).next())
            .map(str::to_owned);
        let host = if bound.ip().is_unspecified() {
            outgoing_address(server_host.as_deref()).unwrap_or(bound.ip())
        } else {
            bound.ip()
        };
        eprintln!(
            "webhook URL for {}: {}",
            instance.name,
            webhook_url(&host.to_string(), bound.port(), Some(&id))
        );
    }
    if monitor.monitoring() == depwatch_app::Monitoring::Paused {
        eprintln!("monitoring is paused: deliveries are recorded but not processed until resumed");
    }
    tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
    eprintln!("stopping");
    monitor.stop().await?;
    Ok(ExitCode::SUCCESS)
}
