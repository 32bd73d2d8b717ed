//! `depwatch inbox list`: the webhook deliveries received and what became of them.

use crate::output::{print_json, Format};
use clap::{Subcommand, ValueEnum};
use depwatch_app::{App, DataDir};
use depwatch_store::{InboxRecord, InboxState};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// List received deliveries, newest first, with their state (pending, processed, ignored
    /// with the reason, failed with the error).
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Only entries in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

/// `--state` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    Pending,
    Claimed,
    Processed,
    Ignored,
    Failed,
}

impl From<StateArg> for InboxState {
    fn from(s: StateArg) -> InboxState {
        match s {
            StateArg::Pending => InboxState::Pending,
            StateArg::Claimed => InboxState::Claimed,
            StateArg::Processed => InboxState::Processed,
            StateArg::Ignored => InboxState::Ignored,
            StateArg::Failed => InboxState::Failed,
        }
    }
}

pub fn run(cmd: InboxCommand, data_dir: &DataDir) -> anyhow::Result<ExitCode> {
    match cmd {
        InboxCommand::List { format, state, limit } => {
            let app = App::open(data_dir.clone())?;
            let rows = app.store().inbox_list(state.map(InboxState::from), limit)?;
            match format {
                Format::Json => print_json(&rows)?,
                Format::Table => print_table(&rows),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(rows: &[InboxRecord]) {
    if rows.is_empty() {
        println!("no deliveries received yet");
        return;
    }
    println!(
        "{:>6}  {:<24}  {:<12}  {:<18}  {:<10}  detail",
        "id", "received (UTC)", "instance", "event", "state"
    );
    for r in rows {
        let state = match r.state {
            InboxState::Pending => "pending",
            InboxState::Claimed => "claimed",
            InboxState::Processed => "processed",
            InboxState::Ignored => "ignored",
            InboxState::Failed => "failed",
        };
        println!(
            "{:>6}  {:<24}  {:<12}  {:<18}  {:<10}  {}",
            r.id.0,
            utc(r.received_at_ms),
            r.instance,
            r.event_kind,
            state,
            r.reason.as_deref().unwrap_or("")
        );
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm` (UTC) from Unix milliseconds.
fn utc(ms: i64) -> String {
    format!("{}.{:03}", crate::output::utc_datetime(ms.div_euclid(1000)), ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formatting() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00.000");
        assert_eq!(super::utc(1_741_940_813_123), "2025-03-14 08:26:53.123");
        assert_eq!(super::utc(951_782_400_000), "2000-02-29 00:00:00.000");
    }
}
