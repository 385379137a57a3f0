//! `oxforge serve`.

use std::path::PathBuf;

use clap::Args;
use oxforge_server::{CliOverrides, Config};
use tokio::signal::unix::{SignalKind, signal};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on [env: OXFORGE_HOST] [default: 127.0.0.1]
    #[arg(long)]
    host: Option<String>,
    /// Port to listen on; 0 picks a free one [env: PORT] [default: 7130]
    #[arg(long)]
    port: Option<u16>,
    /// Where the embedded PostgreSQL and oxforge's files live [env: OXFORGE_DATA_DIR] [default: ./.oxforge]
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Also expose the embedded PostgreSQL on 127.0.0.1:<PORT> (password auth) [env: OXFORGE_PG_PORT]
    #[arg(long)]
    pg_port: Option<u16>,
    /// Use this PostgreSQL instead of the embedded one [env: DATABASE_URL]
    #[arg(long)]
    database_url: Option<String>,
    /// Configuration file [default: ./oxforge.toml when present]
    #[arg(long)]
    config: Option<PathBuf>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = CliOverrides {
        host: args.host,
        port: args.port,
        data_dir: args.data_dir,
        pg_port: args.pg_port,
        database_url: args.database_url,
    };
    let config = Config::load(args.config.as_deref(), &overrides)?;
    // Listen for signals before starting, so an early SIGTERM still shuts down cleanly.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let server = oxforge_server::start(config).await?;
    crate::summary::print(server.info());
    server
        .run_until(async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down"),
                _ = interrupt.recv() => tracing::info!("SIGINT received; shutting down"),
            }
        })
        .await?;
    tracing::info!("oxforge stopped");
    Ok(())
}
