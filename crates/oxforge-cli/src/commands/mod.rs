//! The commands and their arguments (clap), and the dispatcher.

mod auth;
mod bulk;
mod db;
mod env;
mod link;
mod logs;
mod migrations;
mod s3_keys;
mod secrets;
mod sql_guard;
mod storage;
mod token;

use std::path::Path;

use clap::Subcommand;

use crate::client::Client;
use crate::{CliError, Output, project};

#[derive(Subcommand)]
pub enum Command {
    /// Link this directory to an oxforge (or InsForge) server; checks the URL and the key first.
    Link(link::LinkArgs),
    /// Remove this directory's link.
    Unlink,
    /// Show the linked server.
    Current,
    /// Link by signing in as the root admin (username + password); fetches the API key for you.
    Login(link::LoginArgs),
    /// The project's secrets (JWT secret, keys, your own).
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// SQL, tables, policies and migrations.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// The server's metadata (auth settings, tables).
    Metadata,
    /// Environment files for your app.
    #[command(subcommand)]
    Env(env::EnvCommand),
    /// Identity providers and token checks.
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Test tokens signed with the project's JWT secret.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// The server's logs: requests and events, the embedded PostgreSQL's.
    Logs(logs::LogsArgs),
    /// Buckets and files: list, create, delete, upload, download, remove.
    #[command(subcommand)]
    Storage(storage::StorageCommand),
}

/// The linked server's client.
fn client(dir: &Path) -> Result<Client, CliError> {
    let (url, key) = project::target(dir)?;
    Client::new(&url, &key)
}

/// Runs a command in `dir`; returns the process exit code.
pub async fn run(command: Command, out: Output, dir: &Path) -> i32 {
    let result = match command {
        Command::Link(args) => link::link(args, out, dir).await,
        Command::Unlink => link::unlink(out, dir),
        Command::Current => link::current(out, dir),
        Command::Login(args) => link::login(args, out, dir).await,
        Command::Secrets(cmd) => secrets::run(cmd, out, dir).await,
        Command::Db(cmd) => db::run(cmd, out, dir).await,
        Command::Metadata => db::metadata(out, dir).await,
        Command::Env(cmd) => env::run(cmd, out, dir).await,
        Command::Token(cmd) => token::run(cmd, out, dir).await,
        Command::Auth(cmd) => auth::run(cmd, out, dir).await,
        Command::Logs(args) => logs::run(args, out, dir).await,
        Command::Storage(cmd) => storage::run(cmd, out, dir).await,
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            out.error(&e);
            e.exit
        }
    }
}
