//! The client side of `oxforge`: commands that talk to a running server over HTTP, with the
//! conventions of InsForge's CLI (`.insforge/project.json`, `--json`, exit codes 0–5) so that
//! both CLIs can share a project directory.

mod client;
mod commands;
mod error;
mod output;
mod project;

pub use commands::{Command, run};
pub use error::{CliError, exit};
pub use output::Output;
