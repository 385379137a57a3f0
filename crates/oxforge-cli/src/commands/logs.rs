//! `logs <source> [--limit N] [--follow]`: the server's logs (`insforge.logs`, `postgres.logs`,
//! `function.logs`), oldest first, as InsForge's CLI shows them; `--follow` keeps printing new
//! entries until interrupted.

use std::path::Path;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

use super::client;
use crate::{CliError, Output};

/// The sources a server has (InsForge's names).
const SOURCES: [&str; 4] = ["insforge.logs", "postgres.logs", "postgREST.logs", "function.logs"];

#[derive(Args)]
pub struct LogsArgs {
    /// insforge.logs (requests and events), postgres.logs, postgREST.logs or function.logs
    pub source: String,
    /// How many of the newest entries to show first (the server caps it at 1000)
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Keep printing new entries (every 2 s) until interrupted
    #[arg(long, short)]
    pub follow: bool,
}

/// `timestamp  message`, one line per entry (continuation lines indented).
fn line(entry: &Value) -> String {
    let timestamp = entry["timestamp"].as_str().unwrap_or("");
    let message = entry["eventMessage"].as_str().unwrap_or("").replace('\n', "\n    ");
    format!("{timestamp}  {message}")
}

pub async fn run(args: LogsArgs, out: Output, dir: &Path) -> Result<(), CliError> {
    if !SOURCES.contains(&args.source.as_str()) {
        return Err(CliError::usage(format!(
            "unknown log source {:?}; use one of {}",
            args.source,
            SOURCES.join(", ")
        )));
    }
    let api = client(dir)?;
    let path = format!("/api/logs/{}?limit={}", args.source, args.limit.clamp(1, 1000));
    let first = api.get(&path).await?;
    out.json_value(&first);
    let mut last = String::new();
    let entries = first["logs"].as_array().cloned().unwrap_or_default();
    if entries.is_empty() && !args.follow {
        out.info(&format!("No entries in {}.", args.source));
    }
    for entry in &entries {
        out.info(&line(entry));
    }
    if let Some(newest) = entries.last() {
        last = newest["timestamp"].as_str().unwrap_or("").to_owned();
    }
    if !args.follow {
        return Ok(());
    }
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let page = api.get(&path).await?;
        for entry in page["logs"].as_array().into_iter().flatten() {
            let at = entry["timestamp"].as_str().unwrap_or("");
            // Timestamps are RFC 3339 in UTC with milliseconds: they sort as text.
            if at > last.as_str() {
                if out.json {
                    println!("{entry}");
                } else {
                    out.info(&line(entry));
                }
                last = at.to_owned();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_keep_continuations_readable() {
        let entry = json!({"timestamp": "2026-12-05T19:00:00.000Z", "eventMessage": "ERROR: x\nDETAIL: y"});
        assert_eq!(line(&entry), "2026-12-05T19:00:00.000Z  ERROR: x\n    DETAIL: y");
    }
}
