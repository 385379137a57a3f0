//! `oxforge`: the server (`oxforge serve`) and the client commands that talk to one.

mod serve;
mod summary;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "oxforge",
    version,
    about = "A self-hostable backend that speaks InsForge's HTTP API"
)]
struct Cli {
    /// Machine-readable output (errors as JSON on stderr)
    #[arg(long, global = true)]
    json: bool,
    /// Answer yes to confirmations
    #[arg(short = 'y', long, global = true)]
    yes: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (with its own PostgreSQL unless DATABASE_URL is set).
    Serve(serve::ServeArgs),
    /// Shell completions: `oxforge completions bash > /etc/bash_completion.d/oxforge`.
    Completions { shell: clap_complete::Shell },
    #[command(flatten)]
    Client(oxforge_cli::Command),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Serve(args) => match runtime.block_on(serve::run(args)) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        },
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "oxforge", &mut std::io::stdout());
            std::process::ExitCode::SUCCESS
        }
        Command::Client(command) => {
            let out = oxforge_cli::Output::new(cli.json, cli.yes);
            let dir = std::env::current_dir().unwrap_or_else(|_| ".".into());
            let code = runtime.block_on(oxforge_cli::run(command, out, &dir));
            std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
    }
}
