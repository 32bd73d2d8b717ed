//! Runs a demo fake Bitbucket Server on an address of your choice.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Parser;
use depwatch_fakebb::{Config, FakeBitbucket};

const AFTER_HELP: &str = r#"CONTROL API (no auth, outside /rest; {base} is the printed base URL):

  Push a vulnerable commit (delivers repo:refs_changed to registered webhooks
  and the Web Post Hooks payload to hook-url-N settings):

    curl -sS -X POST {base}/_control/projects/DATA/repos/reporting/push \
      -H 'Content-Type: application/json' \
      -d '{"actor":"jdoe","ops":[{"op":"commit","branch":"main","author":"jdoe",
           "message":"Pin jinja2","files":{"requirements.txt":"jinja2==2.4.1\n"}}]}'

  Other ops: {"op":"createBranch","name":"x","startPoint":"main"},
  {"op":"deleteBranch","name":"x"}, {"op":"createTag","name":"v1","target":"main",
  "message":"annotated"}, {"op":"deleteTag","name":"v1"}; "payload" selects variants
  ({"timestamps":"iso","includeToCommit":false,"emptyChanges":true,"dateOffsetMinutes":60}).

  Faults:   POST {base}/_control/faults {"pathPrefix":"/rest/api/1.0/repos","status":429,"count":3}
  Latency:  PUT  {base}/_control/latency {"ms":20}
  Clock:    PUT  {base}/_control/clock {"skewSeconds":-600}
  Inspect:  GET  {base}/_control/requests | /_control/deliveries | /_control/state
"#;

/// A fake Bitbucket Server / Data Center with demo content, for trying depwatch by hand.
#[derive(Debug, Parser)]
#[command(name = "depwatch-fake-bitbucket", version, about, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7990")]
    addr: SocketAddr,
    /// Context path (non-empty).
    #[arg(long, default_value = "/bitbucket")]
    context_path: String,
    /// Per-resource page cap (the server silently lowers larger `limit`s).
    #[arg(long, default_value_t = 1000)]
    page_cap: usize,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Report the Web Post Hooks plugin as not installed.
    #[arg(long)]
    no_plugin: bool,
    /// Register a project-level webhook (repo:refs_changed, repo:modified) on every demo
    /// project, delivering to this URL.
    #[arg(long)]
    webhook_url: Option<String>,
    /// HMAC secret for `--webhook-url` (deliveries then carry `X-Hub-Signature: sha256=…`).
    #[arg(long, requires = "webhook_url")]
    webhook_secret: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let config = Config {
        bind: args.addr,
        context_path: args.context_path,
        default_cap: args.page_cap,
        latency: std::time::Duration::from_millis(args.latency_ms),
        plugin_installed: !args.no_plugin,
        ..Config::default()
    };
    let fake = FakeBitbucket::start(config).await.context("starting the fake Bitbucket server")?;
    let info = depwatch_fakebb::demo::seed(&fake).await.context("seeding demo content")?;
    if let Some(url) = &args.webhook_url {
        for key in fake.project_keys() {
            fake.add_project_webhook(&key, url, args.webhook_secret.as_deref())
                .with_context(|| format!("registering the webhook on project {key}"))?;
        }
    }
    let base = fake.base_url();
    println!("Fake Bitbucket {base}");
    println!("  user/password : {} / {}", info.admin_user, info.admin_password);
    println!("  admin token   : {}", info.admin_token);
    println!("  SHOP read-only project token (Bearer): {}", info.shop_read_token);
    println!(
        "  try: curl -H 'Authorization: Bearer {}' {base}/rest/api/1.0/repos",
        info.admin_token
    );
    println!("  push a vulnerable commit:");
    println!(
        "    curl -X POST {base}/_control/projects/DATA/repos/reporting/push -H 'Content-Type: application/json' \\\n      -d '{{\"ops\":[{{\"op\":\"commit\",\"branch\":\"main\",\"author\":\"jdoe\",\"message\":\"Pin jinja2\",\"files\":{{\"requirements.txt\":\"jinja2==2.4.1\\n\"}}}}]}}'"
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    fake.shutdown().await;
    Ok(())
}
