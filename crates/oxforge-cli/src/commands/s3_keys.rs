//! `storage s3-keys list|create|delete`: access keys of the S3 gateway (InsForge's CLI names).
//! `create` prints the secret once, with the endpoint and region to paste into an S3 client.

use std::path::Path;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

use super::client;
use crate::output::cell;
use crate::{CliError, Output};

const KEYS: &str = "/api/storage/s3/access-keys";

#[derive(Subcommand)]
pub enum S3KeysCommand {
    /// List access keys (never their secrets).
    List,
    /// Create an access key; its secret is shown this once.
    Create {
        /// What the key is for (at most 200 characters)
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete an access key: S3 clients using it are refused from now on.
    Delete {
        /// The key's id (UUID) or its access key id (INSF…)
        id: String,
    },
}

pub async fn run(cmd: S3KeysCommand, out: Output, dir: &Path) -> Result<(), CliError> {
    let api = client(dir)?;
    match cmd {
        S3KeysCommand::List => {
            let keys = api.get(KEYS).await?;
            let rows: Vec<Vec<String>> = keys
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|k| {
                    let used = match &k["lastUsedAt"] {
                        Value::Null => "never".to_owned(),
                        at => cell(at),
                    };
                    vec![
                        cell(&k["accessKeyId"]),
                        cell(&k["description"]),
                        cell(&k["createdAt"]),
                        used,
                        cell(&k["id"]),
                    ]
                })
                .collect();
            out.table(
                &["Access key", "Description", "Created", "Last used", "Id"],
                &rows,
                "No S3 access keys yet: create one with `oxforge storage s3-keys create`.",
            );
            out.json_value(&keys);
        }
        S3KeysCommand::Create { description } => {
            let created = api.post(KEYS, &json!({ "description": description })).await?;
            let config = api.get("/api/storage/s3/config").await.unwrap_or(Value::Null);
            let endpoint = config["endpoint"].as_str().unwrap_or("<url>/storage/v1/s3");
            let region = config["region"].as_str().unwrap_or("us-east-2");
            let id = cell(&created["accessKeyId"]);
            let secret = cell(&created["secretAccessKey"]);
            out.success(&format!("Access key {id} created. Its secret is shown this once:"));
            out.info(&format!(
                "\n  AWS_ACCESS_KEY_ID={id}\n  AWS_SECRET_ACCESS_KEY={secret}\n  AWS_REGION={region}\n\n\
                 Try it: aws --endpoint-url {endpoint} --region {region} s3 ls\n\
                 (path-style addressing; rclone: provider = Other, force_path_style = true)"
            ));
            let mut shown = created.clone();
            shown["endpoint"] = json!(endpoint);
            shown["region"] = json!(region);
            out.json_value(&shown);
        }
        S3KeysCommand::Delete { id } => {
            if !out.confirm(&format!("Delete S3 access key {id}? Clients using it stop working."))? {
                return Ok(());
            }
            let path = format!("{KEYS}/{}", oxforge_client::encode_uri_component(&id));
            api.request(Method::DELETE, &path, None).await?;
            out.success(&format!("Access key {id} deleted"));
            out.json_value(&json!({ "id": id, "deleted": true }));
        }
    }
    Ok(())
}
