//! Putting oxforge together: configuration, PostgreSQL (embedded or external), the bootstrap
//! schema, the project's keys, the HTTP server, and an orderly shutdown.

mod capabilities;
mod config;
mod encryption;
mod error;
mod project;
mod serve;
mod startup;
mod watchdog;

pub use capabilities::sql_components;
pub use config::{CliOverrides, Config, DEFAULT_PORT};
pub use encryption::KeySource;
pub use error::StartError;
pub use project::ProjectSecrets;
pub use startup::{DatabaseInfo, Server, StartupInfo, start};
