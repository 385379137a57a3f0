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
//! - [`AccountsCapability`]: its settings section
//!   ([`AccountsSettings`]), its bootstrap SQL (`sql/`: `auth.users`, `auth.sessions`, the
//!   `oxforge_accounts` role, `auth.config`) and its router, listed once by the server.
//! - The auth configuration ([`AuthConfig`], InsForge's `auth.config` record: password rules,
//!   sign-up closed, redirect URLs, email methods) is read through [`AccountsState::auth_config`]
//!   (cached for a second, replaced at once by a change made here) and changed by admins with
//!   `PUT /api/auth/config`; it takes effect without a restart.
//!
//! Password hashing runs on dedicated threads ([`password_work`]); failed sign-ins are limited
//! per client address ([`rate_limit`]). Cryptography (tokens, CSRF, password hashes) is
//! `oxforge-auth`'s.

mod auth_config;
mod config;
mod config_cache;
mod error;
pub mod password_work;
mod query;
pub mod rate_limit;
mod routes;
mod service;
mod session;
mod state;
mod validate;

pub use auth_config::{AuthConfig, AuthConfigPatch};
pub use config::AccountsSettings;
pub use error::AccountsError;
pub use routes::{public_config_value, router};
pub use service::{Accounts, AdminAccounts, AdminSession, NewAccount, Refreshed, SignedUp, UserList, UserSession};
pub use session::{Issued, PresentedSession, SessionKind};
pub use state::AccountsState;

/// Accounts as a capability: `auth.users`, `auth.sessions`, the `oxforge_accounts` role and
/// `auth.config` (`sql/`), its settings, its routes. It provides its [`AccountsState`] to the capabilities
/// listed after it.
pub struct AccountsCapability;

impl oxforge_edge::Capability for AccountsCapability {
    const NAME: &'static str = "accounts";
    type Settings = AccountsSettings;
    const SQL: &'static [oxforge_db::Step] = &[
        oxforge_db::Step {
            version: 1,
            name: "accounts",
            sql: include_str!("../sql/0001_accounts.sql"),
            formerly: Some(("core", 3)),
        },
        oxforge_db::Step {
            version: 2,
            name: "session_hardening",
            sql: include_str!("../sql/0002_session_hardening.sql"),
            formerly: Some(("core", 7)),
        },
        oxforge_db::Step {
            version: 3,
            name: "accounts_role",
            sql: include_str!("../sql/0003_accounts_role.sql"),
            formerly: None,
        },
        oxforge_db::Step {
            version: 4,
            name: "auth_config",
            sql: include_str!("../sql/0004_auth_config.sql"),
            formerly: None,
        },
    ];

    fn validate(settings: &AccountsSettings) -> Result<(), String> {
        settings.validate()
    }

    fn router(shared: &mut oxforge_edge::Shared, settings: &AccountsSettings) -> Result<axum::Router, String> {
        let state = AccountsState::new(
            shared.accounts_pool.clone(),
            std::sync::Arc::clone(&shared.auth),
            (*shared.admin).clone(),
            settings.clone(),
            shared.proxies.clone(),
        );
        shared.provided.insert(state.clone());
        Ok(router(state))
    }
}
