//! `secrets list|get|add|update|delete|rotate`.

use std::path::Path;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

use super::client;
use crate::output::cell;
use crate::{CliError, Output};

#[derive(Subcommand)]
pub enum SecretsCommand {
    /// List secrets (names only); --all includes inactive ones.
    List {
        /// Include inactive (deleted or expired) secrets
        #[arg(long)]
        all: bool,
    },
    /// Print one secret's value.
    Get {
        /// The secret's name, e.g. JWT_SECRET
        key: String,
        /// Print the bare value and nothing else (to paste, or for $(…))
        #[arg(long)]
        raw: bool,
    },
    /// Create a secret.
    Add {
        /// The secret's name (upper case, e.g. STRIPE_KEY)
        key: String,
        /// The secret's value
        value: String,
        /// Reserved: cannot be deleted
        #[arg(long)]
        reserved: bool,
        /// Expiry, ISO-8601
        #[arg(long)]
        expires: Option<String>,
    },
    /// Change a secret.
    Update {
        /// The secret's name
        key: String,
        /// A new value
        #[arg(long)]
        value: Option<String>,
        /// Activate (true) or deactivate (false)
        #[arg(long)]
        active: Option<bool>,
        /// Mark reserved (true) or not (false)
        #[arg(long)]
        reserved: Option<bool>,
        /// Expiry (ISO-8601) or `null`
        #[arg(long)]
        expires: Option<String>,
    },
    /// Delete (deactivate) a secret.
    Delete {
        /// The secret's name
        key: String,
    },
    /// Rotate the API key or the anon key; the old one keeps working for the grace period.
    Rotate {
        /// Which key to rotate
        #[arg(value_parser = ["api-key", "anon-key"])]
        which: String,
        /// Hours the old key keeps working (the server's default when omitted)
        #[arg(long)]
        grace_hours: Option<f64>,
    },
}

pub async fn run(cmd: SecretsCommand, out: Output, dir: &Path) -> Result<(), CliError> {
    let api = client(dir)?;
    match cmd {
        SecretsCommand::List { all } => {
            let body = api.get("/api/secrets").await?;
            let secrets: Vec<&Value> = body["secrets"]
                .as_array()
                .map(|a| a.iter().filter(|s| all || s["isActive"] == true).collect())
                .unwrap_or_default();
            let rows = secrets
                .iter()
                .map(|s| {
                    vec![
                        cell(&s["key"]),
                        cell(&s["isActive"]),
                        cell(&s["isReserved"]),
                        cell(&s["expiresAt"]),
                        cell(&s["updatedAt"]),
                    ]
                })
                .collect::<Vec<_>>();
            out.table(
                &["Key", "Active", "Reserved", "Expires", "Updated"],
                &rows,
                "No secrets found.",
            );
            out.json_value(&json!({ "secrets": secrets }));
        }
        SecretsCommand::Get { key, raw } => {
            let body = api.get(&format!("/api/secrets/{key}")).await?;
            if raw {
                println!("{}", cell(&body["value"]));
                return Ok(());
            }
            out.info(&format!("{} = {}", key, cell(&body["value"])));
            out.json_value(&body);
        }
        SecretsCommand::Add {
            key,
            value,
            reserved,
            expires,
        } => {
            let body = api
                .post(
                    "/api/secrets",
                    &json!({ "key": key, "value": value, "isReserved": reserved, "expiresAt": expires }),
                )
                .await?;
            out.success(&format!("Secret {key} created"));
            out.json_value(&body);
        }
        SecretsCommand::Update {
            key,
            value,
            active,
            reserved,
            expires,
        } => {
            let mut change = serde_json::Map::new();
            if let Some(v) = value {
                change.insert("value".into(), v.into());
            }
            if let Some(a) = active {
                change.insert("isActive".into(), a.into());
            }
            if let Some(r) = reserved {
                change.insert("isReserved".into(), r.into());
            }
            if let Some(e) = expires {
                change.insert("expiresAt".into(), if e == "null" { Value::Null } else { e.into() });
            }
            let body = api
                .request(
                    Method::PUT,
                    &format!("/api/secrets/{key}"),
                    Some(&Value::Object(change)),
                )
                .await?;
            out.success(&format!("Secret {key} updated"));
            out.json_value(&body);
        }
        SecretsCommand::Delete { key } => {
            if !out.confirm(&format!("Delete secret {key}?"))? {
                return Ok(());
            }
            let body = api
                .request(Method::DELETE, &format!("/api/secrets/{key}"), None)
                .await?;
            out.success(&format!("Secret {key} deleted"));
            out.json_value(&body);
        }
        SecretsCommand::Rotate { which, grace_hours } => {
            if !out.confirm(&format!("Rotate the {which}? Clients must switch to the new key"))? {
                return Ok(());
            }
            let body = api
                .post(
                    &format!("/api/secrets/{which}/rotate"),
                    &json!({ "gracePeriodHours": grace_hours }),
                )
                .await?;
            let new_key = body["apiKey"].as_str().or(body["anonKey"].as_str()).unwrap_or("");
            out.success(&format!("New {which}: {new_key}"));
            out.info(&format!("The old key works until {}", cell(&body["oldKeyExpiresAt"])));
            out.json_value(&body);
        }
    }
    Ok(())
}
