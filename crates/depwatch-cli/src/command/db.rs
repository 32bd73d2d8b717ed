//! `depwatch db info` and `depwatch db migrate`.

use crate::output::{print_json, Format};
use anyhow::Context;
use clap::Subcommand;
use depwatch_app::DataDir;
use depwatch_store::Store;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Show the database path, schema version, sizes and row counts (does not migrate).
    Info {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Apply pending schema migrations.
    Migrate,
}

pub fn run(cmd: DbCommand, data_dir: &DataDir) -> anyhow::Result<ExitCode> {
    let path = data_dir.database_path();
    match cmd {
        DbCommand::Info { format } => {
            data_dir.ensure()?;
            let store = Store::open_unmigrated(&path)?;
            let info = store.info().with_context(|| format!("cannot read {}", path.display()))?;
            match format {
                Format::Json => print_json(&info)?,
                Format::Table => {
                    println!("path:            {}", info.path.display());
                    let pending = info.latest_schema_version.saturating_sub(info.schema_version);
                    let note = if pending > 0 {
                        format!(" ({pending} pending: run `depwatch db migrate`)")
                    } else {
                        String::new()
                    };
                    println!(
                        "schema version:  {} of {}{note}",
                        info.schema_version, info.latest_schema_version
                    );
                    println!("journal mode:    {}", info.journal_mode);
                    println!("file size:       {} bytes", info.file_bytes);
                    println!("wal size:        {} bytes", info.wal_bytes);
                    println!("pages:           {} x {} bytes", info.page_count, info.page_size);
                    for table in &info.tables {
                        println!("table {:<24} {} rows", table.name, table.rows);
                    }
                }
            }
        }
        DbCommand::Migrate => {
            data_dir.ensure()?;
            let store = Store::open_unmigrated(&path)?;
            let before = store.schema_version()?;
            let applied = store.migrate()?;
            let after = store.schema_version()?;
            if applied == 0 {
                println!("{}: schema version {after}, already up to date", path.display());
            } else {
                println!(
                    "{}: migrated from schema version {before} to {after} ({applied} applied)",
                    path.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
