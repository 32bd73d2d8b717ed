//! `depwatch serve`: the webhook listener, the inbox worker and catch-up polling, headless,
//! printing every app event as one JSON line on stdout.

use anyhow::Context;
use clap::Args;
use depwatch_app::{App, DataDir, PushProcessor, RefFilter, WakingInbox, Worker};
use depwatch_hook::{
    is_loopback_only, EveryRepository, HookConfig, HookState, InstanceConfig, InstanceId, Secret,
    StoreInbox, DEFAULT_PORT,
};
use depwatch_store::Store;
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
    /// Minutes between catch-up polls (0 = only at start).
    #[arg(long, default_value_t = 15)]
    poll_minutes: u64,
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

async fn serve(args: ServeArgs, data_dir: &DataDir) -> anyhow::Result<ExitCode> {
    let app = Arc::new(App::open(data_dir.clone())?);
    let secret = match &args.webhook_secret_env {
        Some(var) => {
            let value = std::env::var(var).with_context(|| {
                format!("--webhook-secret-env: environment variable {var} is not set")
            })?;
            Some(Secret::new(value))
        }
        None => None,
    };
    let mut instances = Vec::new();
    for record in app.instances()? {
        let id = InstanceId::new(record.name.clone()).with_context(|| {
            format!("instance `{}` cannot be used in a webhook URL", record.name)
        })?;
        let mut instance = InstanceConfig::new(id);
        instance.webhook_secret.clone_from(&secret);
        instances.push(instance);
    }
    if instances.is_empty() {
        eprintln!("warning: no Bitbucket instance is configured (`depwatch bitbucket add`); deliveries will be refused");
    }
    if secret.is_none() {
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
    let filter = if args.branches.is_empty() {
        RefFilter::default()
    } else {
        RefFilter::from_patterns(&args.branches, false)?
    };

    let db = app.data_dir().database_path();
    let worker = Worker::new(Arc::new(Store::open(&db)?));
    let inbox = WakingInbox::new(StoreInbox::new(Arc::new(Store::open(&db)?)), worker.waker());
    let config = HookConfig { bind: args.listen, instances, ..HookConfig::default() };
    let state = HookState::new(config, Arc::new(inbox), Arc::new(EveryRepository))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let bound = listener.local_addr()?;
    eprintln!("listening on {bound} (POST /webhook/<instance>)");

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

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = {
        let mut rx = stop_rx.clone();
        tokio::spawn(depwatch_hook::serve(listener, state, async move {
            let _ = rx.wait_for(|s| *s).await;
        }))
    };
    let processor = Arc::new(PushProcessor::with_store_advisories(Arc::clone(&app), filter));
    let poller = {
        let processor = Arc::clone(&processor);
        let mut rx = stop_rx.clone();
        let every = Duration::from_secs(args.poll_minutes.saturating_mul(60));
        tokio::spawn(async move {
            loop {
                match processor.catch_up().await {
                    Ok(report) => {
                        eprintln!(
                            "catch-up: {} repositories, {} refs processed, {} gone, {} errors",
                            report.repositories,
                            report.refs_processed,
                            report.refs_gone,
                            report.errors.len()
                        );
                        for e in &report.errors {
                            eprintln!("warning: catch-up: {e}");
                        }
                    }
                    Err(e) => eprintln!("warning: catch-up failed: {e}"),
                }
                if every.is_zero() {
                    break;
                }
                tokio::select! {
                    _ = rx.wait_for(|s| *s) => break,
                    () = tokio::time::sleep(every) => {}
                }
            }
        })
    };
    let worker_task = {
        let mut rx = stop_rx.clone();
        let processor = Arc::clone(&processor);
        tokio::spawn(async move {
            worker
                .run(processor.as_ref(), async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await
        })
    };
    tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
    eprintln!("stopping");
    let _ = stop_tx.send(true);
    server.await.context("listener task")??;
    worker_task.await.context("worker task")??;
    poller.abort();
    Ok(ExitCode::SUCCESS)
}
