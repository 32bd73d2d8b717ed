//! `depwatch advisories import|sync|sources|info`: the offline advisory database.

use crate::output::{print_json, Format};
use clap::Subcommand;
use depwatch_app::{App, DataDir, DownloadLimits, ImportReport};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum AdvisoriesCommand {
    /// Import OSV records from an `all.zip` (file or http(s) URL), a directory of JSON files,
    /// or a JSON file. A zip replaces what the same zip imported before; records that fail to
    /// parse are listed and skipped.
    Import {
        /// Files, directories or URLs, imported in order.
        #[arg(required = true, value_name = "FILE|DIR|URL")]
        inputs: Vec<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Download every configured source (by default the OSV exports of crates.io, npm, PyPI,
    /// Go, Maven, NuGet, Packagist and RubyGems), skipping unchanged ones (HTTP 304).
    Sync {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List the sources `sync` uses; add or remove some.
    Sources {
        /// Add a source: an `http(s)://…/all.zip` URL, or a local zip, directory or JSON file.
        #[arg(long, value_name = "FILE|DIR|URL")]
        add: Vec<String>,
        /// Stop syncing a source (as listed); its records stay until a newer import replaces them.
        #[arg(long, value_name = "LOCATION")]
        remove: Vec<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show record counts per ecosystem and the last sync of every source.
    Info {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(cmd: AdvisoriesCommand, data_dir: &DataDir) -> anyhow::Result<ExitCode> {
    let app = App::open(data_dir.clone())?;
    match cmd {
        AdvisoriesCommand::Import { inputs, format } => {
            let results: Vec<(String, Result<ImportReport, _>)> = inputs
                .iter()
                .map(|i| (depwatch_app::redact_url(i), app.import_advisories(i)))
                .collect();
            print_imports(&results, format)
        }
        AdvisoriesCommand::Sync { format } => {
            let results = app.sync_advisories(&DownloadLimits::default())?;
            print_imports(&results, format)
        }
        AdvisoriesCommand::Sources { add, remove, format } => {
            for input in &add {
                app.add_advisory_source(input)?;
            }
            for location in &remove {
                if !app.remove_advisory_source(location)? {
                    anyhow::bail!(
                        "no advisory source `{location}` (see `depwatch advisories sources`)"
                    );
                }
            }
            let sources: Vec<_> = app
                .configured_advisory_sources()?
                .into_iter()
                .map(|mut s| {
                    s.location = depwatch_app::redact_url(&s.location);
                    s
                })
                .collect();
            match format {
                Format::Json => print_json(&sources)?,
                Format::Table => {
                    for s in &sources {
                        println!("{:<5} {}", s.kind.as_str(), s.location);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AdvisoriesCommand::Info { format } => {
            let info = app.advisory_db_info()?;
            match format {
                Format::Json => print_json(&info)?,
                Format::Table => {
                    println!("{:<12} {:>8} {:>10}", "ECOSYSTEM", "RECORDS", "WITHDRAWN");
                    for c in &info.ecosystems {
                        let name = if c.ecosystem.is_empty() { "(none)" } else { &c.ecosystem };
                        println!("{name:<12} {:>8} {:>10}", c.records, c.withdrawn);
                    }
                    println!("{:<12} {:>8}", "total", info.total);
                    if info.sources.is_empty() {
                        println!("\nno sources yet: run `depwatch advisories sync` or `import`");
                    } else {
                        println!("\nSOURCES");
                    }
                    for s in &info.sources {
                        let state = match (s.last_result, &s.last_error) {
                            (_, Some(error)) => format!("failed: {error}"),
                            (Some(result), None) => format!(
                                "{} ({} records, {} skipped)",
                                result.as_str().replace('_', " "),
                                s.record_count,
                                s.skipped_count
                            ),
                            (None, None) => "never synced".to_owned(),
                        };
                        let when = s
                            .last_sync_at
                            .map(|t| format!("at {}", utc_timestamp(t)))
                            .unwrap_or_default();
                        let synced = if s.configured { "sync" } else { "once" };
                        println!(
                            "{synced:<4} {:<4} {} {state} {when}",
                            s.kind.as_str(),
                            s.location
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints import results; any failed source makes the exit code 2.
fn print_imports<E: std::fmt::Display>(
    results: &[(String, Result<ImportReport, E>)],
    format: Format,
) -> anyhow::Result<ExitCode> {
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = results
                .iter()
                .map(|(input, r)| match r {
                    Ok(report) => serde_json::json!({ "input": input, "report": report }),
                    Err(e) => serde_json::json!({ "input": input, "error": e.to_string() }),
                })
                .collect();
            print_json(&rows)?;
        }
        Format::Table => {
            for (_, result) in results {
                match result {
                    Ok(r) if r.not_modified => {
                        println!(
                            "{}: not modified since the last sync; nothing rewritten",
                            r.source
                        )
                    }
                    Ok(r) => {
                        println!(
                            "{}: {} records ({} withdrawn): {} new, {} updated, {} unchanged, {} \
                             deleted, {} skipped",
                            r.source,
                            r.records,
                            r.withdrawn,
                            r.stats.inserted,
                            r.stats.updated,
                            r.stats.unchanged,
                            r.stats.deleted,
                            r.skipped.len()
                        );
                        for s in &r.skipped {
                            println!("  skipped {}: {}", s.record, s.reason);
                        }
                    }
                    // The error names the file or URL already.
                    Err(e) => eprintln!("error: {e}"),
                }
            }
        }
    }
    Ok(if failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc_timestamp(unix: i64) -> String {
    format!("{} UTC", crate::output::utc_datetime(unix))
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_print_as_utc_dates() {
        assert_eq!(super::utc_timestamp(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc_timestamp(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(super::utc_timestamp(1_795_305_601), "2026-11-22 00:00:01 UTC");
    }
}
