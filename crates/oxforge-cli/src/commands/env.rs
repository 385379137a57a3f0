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
        #[arg(long, default_value = ".env.local")]
        file: String,
    },
}

pub async fn run(cmd: EnvCommand, out: Output, dir: &Path) -> Result<(), CliError> {
    let EnvCommand::Pull { stdout, file } = cmd;
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
    let present = |key: &str| {
        existing.lines().any(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
    };
    let mut text = existing.clone();
    let (mut written, mut kept) = (Vec::new(), Vec::new());
    for (k, v) in &values {
        if present(k) {
            kept.push(*k);
            continue;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("{k}={v}\n"));
        written.push(*k);
    }
    crate::project::write_private(&path, &text)?;
    for k in &written {
        out.success(&format!("{k} written to {file}"));
    }
    for k in &kept {
        out.info(&format!("{k} already set in {file}; left unchanged"));
    }
    out.json_value(&json!({ "file": path, "written": written, "kept": kept }));
    Ok(())
}
