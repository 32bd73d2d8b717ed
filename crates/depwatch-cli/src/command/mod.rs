//! The command tree. Each group of subcommands lives in its own module.

mod advisories;
mod bitbucket;
mod db;
mod inbox;
mod scan;
mod serve;
mod versions;

use clap::{Parser, Subcommand};
use depwatch_app::DataDir;
use std::path::PathBuf;
use std::process::ExitCode;

/// depwatch watches the dependencies of your Bitbucket Server repositories for vulnerable packages.
#[derive(Debug, Parser)]
#[command(name = "depwatch", version, about, propagate_version = true)]
pub struct Cli {
    /// Directory holding depwatch's database and logs (default: the platform's data directory,
    /// or $DEPWATCH_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect or upgrade the database.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Import, sync and inspect the offline advisory database.
    #[command(subcommand)]
    Advisories(advisories::AdvisoriesCommand),
    /// Scan a lockfile, manifest or directory for vulnerable packages.
    Scan(scan::ScanArgs),
    /// Compare versions with an ecosystem's ordering rules.
    #[command(subcommand)]
    Versions(versions::VersionsCommand),
    /// Webhook deliveries received by `depwatch serve` and their state.
    #[command(subcommand)]
    Inbox(inbox::InboxCommand),
    /// Run the webhook listener, the push pipeline and catch-up polling headless, printing
    /// events as JSON lines.
    Serve(serve::ServeArgs),
    /// Configure Bitbucket instances, list their projects and repositories, run the historical
    /// scan.
    #[command(subcommand)]
    Bitbucket(bitbucket::BitbucketCommand),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data_dir = DataDir::resolve(cli.data_dir)?;
    match cli.command {
        Command::Db(cmd) => db::run(cmd, &data_dir),
        Command::Advisories(cmd) => advisories::run(cmd, &data_dir),
        Command::Scan(args) => scan::run(args, &data_dir),
        Command::Versions(cmd) => versions::run(cmd),
        Command::Inbox(cmd) => inbox::run(cmd, &data_dir),
        Command::Serve(args) => serve::run(args, &data_dir),
        Command::Bitbucket(cmd) => bitbucket::run(cmd, &data_dir),
    }
}
