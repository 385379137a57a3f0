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
    Completions {
        /// The shell to write completions for
        shell: clap_complete::Shell,
    },
    #[command(flatten)]
    Client(oxforge_cli::Command),
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print on stdout and succeed; a wrong command line exits with
            // EX_USAGE (64), not clap's 2, which the client commands use for auth failures.
            let _ = e.print();
            return if e.use_stderr() {
                std::process::ExitCode::from(oxforge_cli::exit::USAGE as u8)
            } else {
                std::process::ExitCode::SUCCESS
            };
        }
    };
    {
        use tracing_subscriber::layer::SubscriberExt as _;
        use tracing_subscriber::util::SubscriberInitExt as _;
        use tracing_subscriber::{EnvFilter, Layer as _};
        let stderr = tracing_subscriber::fmt::layer()
            // Colours only for a terminal: logs collected from a pipe or a file stay plain text.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn")));
        // `/api/logs/insforge.logs`: oxforge's own INFO-or-worse events, whatever RUST_LOG says.
        let store = oxforge_logs::LogLayer::global().with_filter(tracing_subscriber::filter::LevelFilter::INFO);
        tracing_subscriber::registry().with(stderr).with(store).init();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of every command says what it is for in `--help`.
    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if arg.get_help().is_none() && !matches!(id, "help" | "version") {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "oxforge", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:#?}");
    }
}
