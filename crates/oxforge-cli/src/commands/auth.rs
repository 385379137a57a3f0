//! `auth providers`, `auth check <token>`: what the server accepts, and why.

use std::path::Path;

use clap::Subcommand;
use serde_json::json;

use super::client;
use crate::error::exit;
use crate::output::cell;
use crate::{CliError, Output};

#[derive(Subcommand)]
pub enum AuthCommand {
    /// Configured identity providers and the state of their keys.
    Providers,
    /// Explain what the server would do with a token (exit 2 if it would refuse it).
    Check {
        /// The token (with or without `Bearer `)
        token: String,
    },
}

pub async fn run(cmd: AuthCommand, out: Output, dir: &Path) -> Result<(), CliError> {
    let api = client(dir)?;
    match cmd {
        AuthCommand::Providers => {
            let body = api.get("/api/oxforge/auth/providers").await?;
            let rows: Vec<Vec<String>> = body["providers"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            vec![
                                cell(&p["name"]),
                                cell(&p["issuer"]),
                                cell(&p["audiences"]),
                                cell(&p["keys"]["keyIds"]),
                                p["keys"]["lastError"]
                                    .as_str()
                                    .map_or_else(|| "ok".to_owned(), |e| format!("error: {e}")),
                            ]
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.table(
                &["Name", "Issuer", "Audiences", "Keys", "Last fetch"],
                &rows,
                "No third-party providers configured (shared-secret HS256 tokens still work).",
            );
            out.json_value(&body);
        }
        AuthCommand::Check { token } => {
            let body = api.post("/api/oxforge/auth/check", &json!({ "token": token })).await?;
            out.info(&format!("Checked against: {}", cell(&body["verifiedBy"])));
            if body["valid"] == true {
                out.success(&format!("Accepted as {}", cell(&body["role"])));
                out.info(&format!("request.jwt.claims = {}", body["claims"]));
            } else {
                out.info(&format!(
                    "✗ Refused: {} {} — {}",
                    cell(&body["status"]),
                    cell(&body["error"]),
                    cell(&body["message"])
                ));
                if let Some(reason) = body["reason"].as_str() {
                    out.info(&format!("  Why: {reason}"));
                }
            }
            out.json_value(&body);
            if body["valid"] != true {
                return Err(
                    CliError::general("the server would refuse this token").with_code("TOKEN_REFUSED", exit::AUTH)
                );
            }
        }
    }
    Ok(())
}
