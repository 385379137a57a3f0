//! `env pull`: the values an app needs, into `.env.local`, never overwriting what is there.

use std::path::Path;

use clap::Subcommand;
use serde_json::json;

use super::client;
use crate::{CliError, Output};

#[derive(Subcommand)]
pub enum EnvCommand {
    /// Write NEXT_PUBLIC_INSFORGE_URL, NEXT_PUBLIC_INSFORGE_ANON_KEY and INSFORGE_JWT_SECRET.
    Pull {
        /// Print instead of writing
        #[arg(long)]
        stdout: bool,
        /// The file to write
        #[arg(long, default_value = ".env.local")]
        file: String,
        /// Overwrite values that differ from the server's (otherwise they are only reported)
        #[arg(long)]
        force: bool,
    },
}

/// The value a `KEY=value` line of an env file gives `key` (quotes removed), if any.
fn value_in(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix(key)?.trim_start().strip_prefix('=')?;
        let v = rest.trim();
        let unquoted = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        Some(unquoted.to_owned())
    })
}

/// Enough of a value to tell two apart without printing a whole secret.
fn glimpse(value: &str) -> String {
    if value.chars().count() <= 12 {
        format!("{value:?}")
    } else {
        format!("\"{}…\"", value.chars().take(10).collect::<String>())
    }
}

pub async fn run(cmd: EnvCommand, out: Output, dir: &Path) -> Result<(), CliError> {
    let EnvCommand::Pull { stdout, file, force } = cmd;
    let api = client(dir)?;
    let anon = api.get("/api/metadata/anon-key").await?;
    let secret = api.get("/api/secrets/JWT_SECRET").await?;
    let values = [
        ("NEXT_PUBLIC_INSFORGE_URL", api.base.clone()),
        (
            "NEXT_PUBLIC_INSFORGE_ANON_KEY",
            anon["anonKey"].as_str().unwrap_or("").to_owned(),
        ),
        ("INSFORGE_JWT_SECRET", secret["value"].as_str().unwrap_or("").to_owned()),
    ];
    if stdout {
        for (k, v) in &values {
            println!("{k}={v}");
        }
        return Ok(());
    }
    let path = dir.join(&file);
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines: Vec<String> = existing.lines().map(str::to_owned).collect();
    let (mut written, mut updated, mut same, mut differ) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, v) in &values {
        match value_in(&existing, k) {
            None => {
                lines.push(format!("{k}={v}"));
                written.push(*k);
            }
            Some(old) if old == *v => same.push(*k),
            Some(old) if force => {
                for line in lines.iter_mut().filter(|l| value_in(l, k).is_some()) {
                    *line = format!("{k}={v}");
                }
                out.success(&format!("{k} updated in {file} (was {})", glimpse(&old)));
                updated.push(*k);
            }
            Some(old) => {
                out.info(&format!(
                    "! {k} differs in {file}: {} there, {} on the server; left unchanged (--force overwrites)",
                    glimpse(&old),
                    glimpse(v)
                ));
                differ.push(*k);
            }
        }
    }
    if !written.is_empty() || !updated.is_empty() {
        let mut text = lines.join("\n");
        text.push('\n');
        crate::project::write_private(&path, &text)?;
    }
    for k in &written {
        out.success(&format!("{k} written to {file}"));
    }
    for k in &same {
        out.info(&format!("{k} already up to date in {file}"));
    }
    out.json_value(
        &json!({ "file": path, "written": written, "updated": updated, "unchanged": same, "differing": differ }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::value_in;

    #[test]
    fn values_are_read_from_env_lines() {
        let text = "A=1\n  B = \"two\"\nC='3'\nAB=no\n";
        assert_eq!(value_in(text, "A").as_deref(), Some("1"));
        assert_eq!(value_in(text, "B").as_deref(), Some("two"));
        assert_eq!(value_in(text, "C").as_deref(), Some("3"));
        assert_eq!(value_in(text, "D"), None);
    }
}
