//! `depwatch bitbucket …`: configure Bitbucket instances, list what they hold, run the
//! historical scan.

use crate::output::{print_json, Format};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use depwatch_app::{
    AddInstance, App, Authorization, AuthorizationState, BrowserOpener, CallbackEndpoint, DataDir,
    Event, HistoricalScanOptions, InstanceAuth,
};
use depwatch_bitbucket::Secret;
use depwatch_store::InstanceState;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum BitbucketCommand {
    /// Add a Bitbucket Server / Data Center instance.
    Add(AddArgs),
    /// List the configured instances and their connection state.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Test the connection (version, user, credentials) and record the outcome.
    Test {
        #[command(flatten)]
        instance: InstanceArg,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Finish OAuth setup: opens Bitbucket's authorization page in the browser and receives
    /// the answer on a one-shot loopback listener (127.0.0.1); `--paste` to paste the
    /// verification code instead.
    Authorize(AuthorizeArgs),
    /// Renew the OAuth access token now with its session handle (depwatch also renews on its
    /// own before expiry).
    Renew {
        #[command(flatten)]
        instance: InstanceArg,
    },
    /// List the instance's projects (refreshed from Bitbucket).
    Projects {
        #[command(flatten)]
        instance: InstanceArg,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List the instance's repositories (refreshed from Bitbucket).
    Repos {
        #[command(flatten)]
        instance: InstanceArg,
        /// Only this project's repositories.
        #[arg(long, value_name = "KEY")]
        project: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Scan the default branch of every repository in the perimeter (resumes an unfinished
    /// scan).
    Scan(ScanArgs),
    /// Show the perimeter (which projects and repositories are watched), or change it with the
    /// options below; changes print the perimeter afterwards.
    Perimeter(PerimeterArgs),
}

#[derive(Debug, Args)]
pub struct InstanceArg {
    /// The instance to use (required when several are configured).
    #[arg(long, value_name = "NAME")]
    instance: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Base URL including the context path, e.g. https://git.corp/bitbucket.
    url: String,
    /// Name of the environment variable holding an HTTP access token (never pass the token
    /// itself on the command line).
    #[arg(long, value_name = "VAR", conflicts_with = "oauth")]
    token_env: Option<String>,
    /// With --token-env: authenticate with Basic as this user (the variable holds a password or
    /// personal token) instead of Bearer.
    #[arg(long, value_name = "USER", requires = "token_env")]
    username: Option<String>,
    /// Authenticate with OAuth 1.0a through an Application Link.
    #[arg(long, requires = "consumer_key")]
    oauth: bool,
    /// OAuth consumer key registered on the Application Link.
    #[arg(long, value_name = "KEY", requires = "oauth")]
    consumer_key: Option<String>,
    /// Name for this instance (default: the URL's host).
    #[arg(long)]
    name: Option<String>,
    /// PEM file with CA certificates to trust in addition to the system ones.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Client-side request ceiling (requests per second; 0 = unlimited).
    #[arg(long, value_name = "N", default_value_t = 10)]
    max_rps: u32,
}

#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    #[command(flatten)]
    instance: InstanceArg,
    /// Out of band: Bitbucket shows a verification code after Allow, which you paste here (when
    /// the browser runs on another machine or the loopback callback cannot work).
    #[arg(long)]
    paste: bool,
    /// Only print the URL; do not try to open a browser.
    #[arg(long)]
    no_browser: bool,
}

#[derive(Debug, Args)]
pub struct PerimeterArgs {
    #[command(flatten)]
    instance: InstanceArg,
    /// Watch the whole instance (every project the credentials can see, new ones included).
    #[arg(long, conflicts_with = "project")]
    all: bool,
    /// Watch only these projects (repeatable); replaces the previous choice.
    #[arg(long, value_name = "KEY")]
    project: Vec<String>,
    /// Leave this repository out (`PROJECT/slug`, repeatable).
    #[arg(long, value_name = "PROJECT/SLUG")]
    exclude_repo: Vec<String>,
    /// Watch this repository again after an exclusion (`PROJECT/slug`, repeatable).
    #[arg(long, value_name = "PROJECT/SLUG")]
    include_repo: Vec<String>,
    /// Personal (`~user`) projects: on or off.
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    personal: Option<bool>,
    /// Archived repositories: on or off (off by default).
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    archived: Option<bool>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn on_off(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        other => Err(format!("expected on or off, got {other:?}")),
    }
}

fn split_repo(spec: &str) -> anyhow::Result<(&str, &str)> {
    match spec.split_once('/') {
        Some((project, slug)) if !project.is_empty() && !slug.is_empty() && !slug.contains('/') => {
            Ok((project, slug))
        }
        _ => bail!("repository {spec:?} must be written PROJECT/slug"),
    }
}

/// The perimeter as `bitbucket perimeter --format json` prints it.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PerimeterView {
    instance: String,
    mode: depwatch_store::PerimeterMode,
    include_personal: bool,
    include_archived: bool,
    /// Projects watched in `projects` mode.
    selected_projects: Vec<String>,
    /// `PROJECT/slug` of the repositories excluded one by one.
    excluded_repositories: Vec<String>,
    /// `PROJECT/slug` of every repository inside the perimeter.
    repositories: Vec<String>,
}

fn perimeter(app: &App, args: PerimeterArgs) -> anyhow::Result<ExitCode> {
    let name = args.instance.instance.as_deref();
    let instance = app.resolve_instance(name)?;
    let changes = args.all
        || !args.project.is_empty()
        || !args.exclude_repo.is_empty()
        || !args.include_repo.is_empty()
        || args.personal.is_some()
        || args.archived.is_some();
    if changes && app.projects(Some(&instance.name))?.is_empty() {
        // Projects and repositories are chosen from the listing; fetch it once.
        runtime()?.block_on(app.refresh_inventory(Some(&instance.name)))?;
    }
    if args.all || !args.project.is_empty() || args.personal.is_some() || args.archived.is_some() {
        let mut rules = instance.perimeter;
        if args.all {
            rules.mode = depwatch_store::PerimeterMode::All;
        }
        if !args.project.is_empty() {
            rules.mode = depwatch_store::PerimeterMode::Projects;
        }
        if let Some(on) = args.personal {
            rules.include_personal = on;
        }
        if let Some(on) = args.archived {
            rules.include_archived = on;
        }
        let selected = (!args.project.is_empty()).then_some(args.project.as_slice());
        app.set_perimeter(Some(&instance.name), rules, selected)?;
    }
    for (specs, excluded) in [(&args.exclude_repo, true), (&args.include_repo, false)] {
        for spec in specs {
            let (project, slug) = split_repo(spec)?;
            app.set_repository_excluded(Some(&instance.name), project, slug, excluded)?;
        }
    }
    let instance = app.resolve_instance(Some(&instance.name))?;
    let label = |r: &depwatch_store::RepositoryRecord| format!("{}/{}", r.project_key, r.slug);
    let all_repos = app.repositories(Some(&instance.name), None)?;
    let view = PerimeterView {
        instance: instance.name.clone(),
        mode: instance.perimeter.mode,
        include_personal: instance.perimeter.include_personal,
        include_archived: instance.perimeter.include_archived,
        selected_projects: app
            .projects(Some(&instance.name))?
            .into_iter()
            .filter(|p| p.selected)
            .map(|p| p.key)
            .collect(),
        excluded_repositories: all_repos.iter().filter(|r| !r.monitored).map(label).collect(),
        repositories: app.perimeter_repositories(Some(&instance.name))?.iter().map(label).collect(),
    };
    match args.format {
        Format::Json => print_json(&view)?,
        Format::Table => {
            let scope = match view.mode {
                depwatch_store::PerimeterMode::All => "the whole instance".to_owned(),
                depwatch_store::PerimeterMode::Projects if view.selected_projects.is_empty() => {
                    "no project chosen yet".to_owned()
                }
                depwatch_store::PerimeterMode::Projects => {
                    format!("projects {}", view.selected_projects.join(", "))
                }
            };
            println!("{}: watching {scope}", view.instance);
            let word = |on: bool| if on { "included" } else { "left out" };
            println!("  personal projects: {}", word(view.include_personal));
            println!("  archived repositories: {}", word(view.include_archived));
            if !view.excluded_repositories.is_empty() {
                println!("  excluded: {}", view.excluded_repositories.join(", "));
            }
            println!("  {} repositories in the perimeter", view.repositories.len());
            for r in &view.repositories {
                println!("    {r}");
            }
            if all_repos.is_empty() {
                println!("  (no listing yet: run `depwatch bitbucket repos` to fetch it)");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    instance: InstanceArg,
    /// Repositories scanned at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Start over instead of resuming an unfinished scan.
    #[arg(long)]
    restart: bool,
    /// On resume, scan the repositories that failed last time again.
    #[arg(long)]
    retry_failed: bool,
    /// OSV advisories to match against: an OSV export (.zip), a directory or a JSON file
    /// (default: the advisory database filled by `depwatch advisories import|sync`).
    #[arg(long, value_name = "PATH")]
    advisories: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn state_word(state: InstanceState) -> &'static str {
    match state {
        InstanceState::Unchecked => "not tested",
        InstanceState::Ok => "ok",
        InstanceState::AuthError => "AUTH ERROR",
        InstanceState::Unreachable => "unreachable",
        InstanceState::AuthorizationPending => "waiting for OAuth authorization",
    }
}

pub fn run(cmd: BitbucketCommand, data_dir: &DataDir) -> anyhow::Result<ExitCode> {
    let app = App::open(data_dir.clone())?;
    match cmd {
        BitbucketCommand::Add(args) => add(&app, args),
        BitbucketCommand::List { format } => {
            let instances = app.instances()?;
            match format {
                Format::Json => print_json(&instances)?,
                Format::Table => {
                    if instances.is_empty() {
                        println!("no Bitbucket instance configured; add one with `depwatch bitbucket add URL --token-env VAR`");
                    }
                    for i in &instances {
                        println!(
                            "{:<20} {:<45} {:<7} {}{}",
                            i.name,
                            i.base_url,
                            i.auth_kind,
                            state_word(i.state),
                            i.last_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        BitbucketCommand::Test { instance, format } => {
            let report = runtime()?.block_on(app.test_instance(instance.instance.as_deref()))?;
            match format {
                Format::Json => print_json(&report)?,
                Format::Table => {
                    println!("{}: {}", report.instance, state_word(report.state));
                    if let Some(v) = &report.server_version {
                        println!("  Bitbucket {v}");
                    }
                    if let Some(u) = &report.user_name {
                        println!("  authenticated as {u}");
                    }
                    if let Some(e) = &report.error {
                        println!("  {e}");
                    }
                }
            }
            Ok(if report.state == InstanceState::Ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        BitbucketCommand::Authorize(args) => authorize(&app, args),
        BitbucketCommand::Renew { instance } => {
            let session =
                runtime()?.block_on(app.renew_authorization(instance.instance.as_deref()))?;
            println!("{}: OAuth access token renewed", session.instance);
            if let Some(expires) = session.expires_at_ms {
                println!("  expires {}", crate::output::utc_datetime(expires / 1000));
            }
            Ok(ExitCode::SUCCESS)
        }
        BitbucketCommand::Projects { instance, format } => {
            let name = instance.instance.as_deref();
            runtime()?.block_on(app.refresh_inventory(name))?;
            let projects = app.projects(name)?;
            match format {
                Format::Json => print_json(&projects)?,
                Format::Table => {
                    for p in &projects {
                        println!(
                            "{:<16} {:<32} {:>5} repos{}",
                            p.key,
                            p.name.as_deref().unwrap_or(""),
                            p.repository_count,
                            if p.personal { "  (personal)" } else { "" }
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        BitbucketCommand::Repos { instance, project, format } => {
            let name = instance.instance.as_deref();
            runtime()?.block_on(app.refresh_inventory(name))?;
            let repos = app.repositories(name, project.as_deref())?;
            match format {
                Format::Json => print_json(&repos)?,
                Format::Table => {
                    for r in &repos {
                        let mut flags = Vec::new();
                        if r.archived {
                            flags.push("archived");
                        }
                        if r.personal {
                            flags.push("personal");
                        }
                        if !r.monitored {
                            flags.push("excluded");
                        }
                        if r.removed_at_ms.is_some() {
                            flags.push("removed (deleted or no access)");
                        }
                        println!(
                            "{:<40} id {:<8} {}",
                            format!("{}/{}", r.project_key, r.slug),
                            r.bb_id,
                            flags.join(", ")
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        BitbucketCommand::Scan(args) => scan(&app, args),
        BitbucketCommand::Perimeter(args) => perimeter(&app, args),
    }
}

/// Opens `url` in the system browser.
fn open_browser(url: &str) -> Result<(), String> {
    open::that_detached(url).map_err(|e| format!("cannot open a browser: {e}"))
}

fn authorize(app: &App, args: AuthorizeArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let flow = Authorization::new();
    let name = args.instance.instance.as_deref();
    let endpoint = if args.paste { CallbackEndpoint::OutOfBand } else { CallbackEndpoint::OneShot };
    let opener: &BrowserOpener<'_> = &open_browser;
    let started =
        rt.block_on(flow.start(app, name, endpoint, (!args.no_browser).then_some(opener)))?;
    println!("Open this URL in a browser, log in to Bitbucket and press Allow:");
    println!("  {}", started.authorize_url);
    if let Some(e) = &started.browser_error {
        println!("({e}; open the URL by hand)");
    }
    let status = if args.paste {
        println!("Then paste the verification code Bitbucket shows and press Enter:");
        std::io::stdout().flush().ok();
        let mut verifier = String::new();
        std::io::stdin().read_line(&mut verifier).context("cannot read the verification code")?;
        // The status below reports the failure in words; the error adds nothing.
        let _ = rt.block_on(flow.submit_verifier(app, verifier.trim()));
        flow.status()
    } else {
        println!(
            "Waiting for Bitbucket's answer at {} (the link expires in 10 minutes; Ctrl-C to stop; \
             use --paste if the browser runs on another machine)",
            started.callback_url.as_deref().unwrap_or("")
        );
        std::io::stdout().flush().ok();
        rt.block_on(async {
            tokio::select! {
                status = flow.wait(app) => status,
                _ = tokio::signal::ctrl_c() => {
                    flow.cancel();
                    flow.status()
                }
            }
        })
    };
    match status.state {
        AuthorizationState::Authorized => {
            let report = status.report;
            let instance =
                report.as_ref().map(|r| r.instance.as_str()).unwrap_or(&started.instance);
            println!("{instance}: authorized");
            if let Some(r) = &report {
                println!("  {}", state_word(r.state));
                if let Some(u) = &r.user_name {
                    println!("  authenticated as {u}");
                }
                if let Some(e) = &r.error {
                    println!("  {e}");
                }
                if r.state != InstanceState::Ok {
                    return Ok(ExitCode::from(1));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuthorizationState::Idle => bail!("authorization cancelled"),
        _ => {
            let why =
                status.failure.map(|f| f.message).unwrap_or_else(|| "unknown reason".to_owned());
            bail!("authorization of `{}` did not complete: {why}", started.instance)
        }
    }
}

fn add(app: &App, args: AddArgs) -> anyhow::Result<ExitCode> {
    let auth = if args.oauth {
        let Some(consumer_key) = args.consumer_key else {
            bail!("--oauth needs --consumer-key KEY");
        };
        InstanceAuth::OAuth { consumer_key }
    } else if let Some(var) = &args.token_env {
        let value = std::env::var(var).with_context(|| {
            format!("environment variable {var} (named by --token-env) is not set or not UTF-8")
        })?;
        if value.trim().is_empty() {
            bail!("environment variable {var} (named by --token-env) is empty");
        }
        let secret = Secret::new(value.trim());
        match args.username {
            Some(username) => InstanceAuth::Basic { username, secret },
            None => InstanceAuth::Token(secret),
        }
    } else {
        bail!("choose how to authenticate: --token-env VAR (access token) or --oauth --consumer-key KEY");
    };
    let added = app.add_instance(AddInstance {
        name: args.name,
        base_url: args.url,
        auth,
        ca_path: args.ca_file,
        max_requests_per_second: (args.max_rps > 0).then_some(args.max_rps),
    })?;
    let name = added.instance.name.clone();
    println!("added Bitbucket instance `{name}` ({})", added.instance.base_url);
    println!("secrets are kept in {}", added.secret_store);
    if let Some(pem) = &added.oauth_public_key_pem {
        println!();
        println!(
            "Next step: a Bitbucket administrator creates an Application Link (Administration →"
        );
        println!(
            "Application Links → Create link → Atlassian product or external application) with"
        );
        println!(
            "incoming authentication: consumer key `{}` and this public key:",
            added.instance.consumer_key.as_deref().unwrap_or("")
        );
        println!();
        print!("{pem}");
        println!();
        println!("Then run `depwatch bitbucket authorize --instance {name}`.");
        return Ok(ExitCode::SUCCESS);
    }
    let report = runtime()?.block_on(app.test_instance(Some(&name)))?;
    match report.state {
        InstanceState::Ok => {
            println!(
                "connection ok: Bitbucket {}{}",
                report.server_version.as_deref().unwrap_or("?"),
                report
                    .user_name
                    .as_deref()
                    .map(|u| format!(", authenticated as {u}"))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        state => {
            println!(
                "saved, but the connection test failed ({}): {}",
                state_word(state),
                report.error.as_deref().unwrap_or("")
            );
            println!("fix it and run `depwatch bitbucket test --instance {name}`");
            Ok(ExitCode::from(1))
        }
    }
}

fn scan(app: &App, args: ScanArgs) -> anyhow::Result<ExitCode> {
    let mut options = match &args.advisories {
        Some(path) => HistoricalScanOptions::new(Arc::new(load_advisories(path)?)),
        None => HistoricalScanOptions::default(),
    };
    options.concurrency = usize::from(args.concurrency);
    options.restart = args.restart;
    options.retry_failed = args.retry_failed;
    let rt = runtime()?;
    let mut events = app.events().subscribe();
    let bar = if args.quiet || args.format == Format::Json {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} repositories  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let report = rt.block_on(async {
        let progress = {
            let bar = bar.clone();
            async move {
                while let Ok(event) = events.recv().await {
                    match event {
                        Event::ScanProgress { done, total, current, failed, .. } => {
                            bar.set_length(total);
                            bar.set_position(done);
                            let failed = if failed > 0 {
                                format!("{failed} failed  ")
                            } else {
                                String::new()
                            };
                            bar.set_message(format!("{failed}{}", current.unwrap_or_default()));
                        }
                        Event::ScanFinished { .. } => break,
                        Event::AuthProblem { instance, message } => {
                            bar.println(format!("{instance}: {message}"));
                        }
                        _ => {}
                    }
                }
            }
        };
        let progress = tokio::spawn(progress);
        let report = app.historical_scan(args.instance.instance.as_deref(), options).await;
        progress.abort();
        report
    })?;
    bar.finish_and_clear();
    match args.format {
        Format::Json => print_json(&report)?,
        Format::Table => {
            println!(
                "{}: {} of {} repositories scanned ({} failed, {} empty, {} unchanged), {} findings introduced, {} fixed{}",
                report.instance,
                report.done + report.failed,
                report.total,
                report.failed,
                report.empty,
                report.unchanged,
                report.findings_introduced,
                report.findings_fixed,
                if report.resumed { " (resumed)" } else { "" }
            );
            if let Some(why) = &report.halted {
                println!("stopped early: {why}; run the command again to resume");
            }
        }
    }
    Ok(if report.halted.is_some() || report.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads OSV advisories from an export zip, a directory of records or one JSON file.
fn load_advisories(path: &std::path::Path) -> anyhow::Result<depwatch_advisories::AdvisoryIndex> {
    let context = || format!("cannot load advisories from {}", path.display());
    let loaded = if path.is_dir() {
        depwatch_advisories::load_dir(path).with_context(context)?
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
        let bytes = std::fs::read(path).with_context(context)?;
        depwatch_advisories::load_zip(&bytes, &path.display().to_string()).with_context(context)?
    } else {
        depwatch_advisories::load_file(path).with_context(context)?
    };
    for skipped in loaded.skipped.iter().take(5) {
        eprintln!("warning: advisory {} skipped: {}", skipped.record, skipped.reason);
    }
    if loaded.advisories.is_empty() {
        bail!("{} holds no OSV advisory that could be read", path.display());
    }
    Ok(depwatch_advisories::AdvisoryIndex::from_records(loaded.advisories))
}
