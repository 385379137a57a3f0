//! Accounts: InsForge's `/api/auth` on PostgreSQL — sign-up and sign-in with email and password,
//! sessions (short-lived access tokens, single-use refresh tokens in a cookie with a CSRF value
//! for web clients, in the body for others), profiles, user administration, the root admin's own
//! session, and oxforge's revoke-all routes.
//!
//! The contract, from the outside in:
//! - [`router`] serves every accounts route with its state applied, to be merged into the
//!   server's router, whose layers (body limit, CORS, request log) then apply to it.
//! - Handlers (`routes`) only extract, call one [`Accounts`] method and shape the answer
//!   (cookies, CSRF, `client_type` web or not). They never touch the database.
//! - [`Accounts`] ([`AccountsState::service`]) is the service for one request and one caller;
//!   anything beyond the caller's own rows is on [`AdminAccounts`], reached through
//!   [`Accounts::as_admin`] by an admin caller only. It runs the SQL of `query` (users and
//!   sessions, user objects built by PostgreSQL in InsForge's shape) on the accounts pool.
//! - Every failure is an [`AccountsError`]; its one conversion to `oxforge_edge::ApiError` gives
//!   InsForge's status, code and message.
//! - [`AccountsSettings`] is the part of the configuration accounts read; [`ENV`] names the
//!   environment variables that set it.
//!
//! Password hashing runs on dedicated threads ([`password_work`]); failed sign-ins are limited
//! per client address ([`rate_limit`]). Cryptography (tokens, CSRF, password hashes) is
//! `oxforge-auth`'s.

mod config;
mod error;
pub mod password_work;
mod query;
pub mod rate_limit;
mod routes;
mod service;
mod session;
mod state;
mod validate;

pub use config::{AccountsSettings, ENV};
pub use error::AccountsError;
pub use routes::{public_config_value, router};
pub use service::{Accounts, AdminAccounts, AdminSession, NewAccount, Refreshed, SignedUp, UserList, UserSession};
pub use session::{Issued, PresentedSession, SessionKind};
pub use state::AccountsState;
