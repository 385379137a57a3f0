//! `link`, `unlink`, `current`, `login`.

use std::io::IsTerminal;
use std::path::Path;

use clap::Args;
use serde_json::json;

use crate::client::Client;
use crate::error::exit;
use crate::project::{self, ProjectConfig};
use crate::{CliError, Output};

#[derive(Args)]
pub struct LinkArgs {
    /// The server's URL, e.g. http://127.0.0.1:7130
    #[arg(long, alias = "url")]
    api_base_url: String,
    /// The admin API key (ik_…)
    #[arg(long)]
    api_key: String,
}

#[derive(Args)]
pub struct LoginArgs {
    /// The server's URL, e.g. http://127.0.0.1:7130
    #[arg(long)]
    url: String,
    /// The root admin's username
    #[arg(long, default_value = "admin")]
    username: String,
    /// The admin password [env: ROOT_ADMIN_PASSWORD]; asked for when missing
    #[arg(long, env = "ROOT_ADMIN_PASSWORD", hide_env_values = true)]
    password: Option<String>,
}

/// A URL the CLI can use: with a scheme, http or https. Names the usual mistakes.
fn check_url(url: &str) -> Result<(), CliError> {
    if !url.contains("://") {
        return Err(CliError::usage(format!(
            "{url} has no scheme: write http://{url} (or https://…)"
        )));
    }
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(u) => Err(CliError::usage(format!(
            "{url}: the URL must be http:// or https:// with a host, not {}://",
            u.scheme()
        ))),
        Err(e) => Err(CliError::usage(format!("invalid URL {url}: {e}"))),
    }
}

/// An admin API key has the `ik_` prefix; the anon key (`anon_…`) and JWTs are named as such.
fn check_api_key(key: &str) -> Result<(), CliError> {
    let problem = if key.starts_with("ik_") {
        return Ok(());
    } else if key.starts_with("anon_") {
        "this is the anon key (anon_…), the public one for your app; --api-key takes the admin API key (ik_…)"
    } else if key.starts_with("eyJ") {
        "this is a JWT; --api-key takes the admin API key (ik_…), printed by `oxforge serve` as \"API key\""
    } else {
        "not an API key: admin API keys start with ik_ (printed by `oxforge serve` as \"API key\")"
    };
    Err(CliError::usage(problem).with_code("NOT_AN_API_KEY", exit::USAGE))
}

/// Checks the server answers as one and the key is an admin key; returns the server's version.
async fn verify(url: &str, key: &str, out: Output) -> Result<String, CliError> {
    let anonymous = Client::new(url, "")?;
    let health = out
        .spin("Contacting the server…", anonymous.get("/api/health"))
        .await
        .map_err(|mut e| {
            if e.code == "UNREACHABLE" {
                e.message =
                    format!("nothing answers at {url}: is the server running (`oxforge serve`) and is the port right?");
            }
            e
        })?;
    if health["status"] != "ok" {
        return Err(CliError::general(format!(
            "{url} does not look like an oxforge or InsForge server"
        )));
    }
    let admin = Client::new(url, key)?;
    admin.get("/api/metadata/api-key").await.map_err(|mut e| {
        if e.exit == exit::AUTH || e.exit == exit::FORBIDDEN {
            e.message = format!("the server refused the API key: {}", e.message);
        }
        e
    })?;
    // oxforge names itself in `oxforgeVersion`; `version` is the InsForge API level (or InsForge's own).
    Ok(match health["oxforgeVersion"].as_str() {
        Some(own) => format!("oxforge {own}"),
        None => health["version"].as_str().unwrap_or("?").to_owned(),
    })
}

async fn save_link(url: &str, key: &str, out: Output, dir: &Path) -> Result<(), CliError> {
    let version = verify(url, key, out).await?;
    let config = ProjectConfig::self_hosted(url, key);
    project::write(dir, &config)?;
    out.success(&format!("Linked to {} (server {version})", config.oss_host));
    out.json_value(&json!({ "linked": true, "url": config.oss_host, "version": version, "file": project::path(dir) }));
    Ok(())
}

pub async fn link(args: LinkArgs, out: Output, dir: &Path) -> Result<(), CliError> {
    check_url(&args.api_base_url)?;
    check_api_key(&args.api_key)?;
    save_link(&args.api_base_url, &args.api_key, out, dir).await
}

pub async fn login(args: LoginArgs, out: Output, dir: &Path) -> Result<(), CliError> {
    check_url(&args.url)?;
    let password = match args.password {
        Some(p) => p,
        None if out.json => {
            return Err(CliError::general(
                "--password (or ROOT_ADMIN_PASSWORD) is required with --json",
            ));
        }
        None if !std::io::stdin().is_terminal() => {
            return Err(CliError::usage(
                "no terminal to ask the password on: pass --password <password> or set ROOT_ADMIN_PASSWORD",
            ));
        }
        None => rpassword::prompt_password(format!("Password for {}: ", args.username))?,
    };
    let anonymous = Client::new(&args.url, "")?;
    let session = anonymous
        .post(
            "/api/auth/admin/sessions",
            &json!({ "username": args.username, "password": password }),
        )
        .await?;
    let token = session["accessToken"]
        .as_str()
        .ok_or_else(|| CliError::general("the server returned no access token"))?;
    let key = Client::new(&args.url, token)?.get("/api/metadata/api-key").await?;
    let key = key["apiKey"]
        .as_str()
        .ok_or_else(|| CliError::general("the server returned no API key"))?;
    save_link(&args.url, key, out, dir).await
}

pub fn unlink(out: Output, dir: &Path) -> Result<(), CliError> {
    match std::fs::remove_file(project::path(dir)) {
        Ok(()) => {
            out.success("Unlinked");
            out.json_value(&json!({ "unlinked": true }));
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CliError::not_linked()),
        Err(e) => Err(e.into()),
    }
}

pub fn current(out: Output, dir: &Path) -> Result<(), CliError> {
    let (url, _) = project::target(dir)?;
    let file = project::read(dir)?;
    out.info(&format!("Server: {url}"));
    if let Some(f) = &file {
        out.info(&format!("Project: {} ({})", f.project_name, f.project_id));
    }
    // The key is never printed.
    out.json_value(&json!({ "url": url, "project": file.map(|f| json!({"project_id": f.project_id, "project_name": f.project_name})) }));
    Ok(())
}
