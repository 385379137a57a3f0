//! Accounts: InsForge's `/api/auth` on PostgreSQL — sign-up and sign-in with email and password,
//! sessions (access tokens, rotating refresh tokens, cookies and CSRF for web clients), profiles,
//! user administration and the root admin's own session.
//!
//! - [`router`] serves every accounts route, state applied, to be merged into the server's router.
//! - [`AccountsSettings`] is the part of the configuration accounts read; [`ENV`] names the
//!   environment variables that set it.

mod config;
pub mod password_work;
mod query;
pub mod rate_limit;
mod routes;
mod state;
mod validate;

pub use config::{AccountsSettings, ENV};
pub use routes::{public_config_value, revoke_admin_sessions, router};
pub use state::AccountsState;
