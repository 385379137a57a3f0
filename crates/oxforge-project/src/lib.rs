//! The project: what an InsForge project is beyond its data and accounts — its health and
//! version (`/api/health`), its keys (`/.well-known/jwks.json`, `/api/metadata/api-key`,
//! `anon-key`, rotation under `/api/secrets/*/rotate`), its secrets (`/api/secrets`), its metadata
//! (`/api/metadata`, JSON or markdown, and one table's, `/api/metadata/{table}`), the MCP usage
//! reports (`/api/usage/mcp`), and oxforge's own credential diagnostics
//! (`/api/oxforge/whoami`, `/api/oxforge/auth/providers`, `/api/oxforge/auth/check`).
//!
//! Secrets are read and written as the owner (the secret store is not reachable by request
//! roles); [`keys`] loads the project's key material into the `Authenticator` at start and after
//! a rotation, here or announced by another process.

mod auth_diagnostics;
mod health;
mod jwks;
pub mod keys;
mod metadata;
mod secrets;
mod usage;
mod whoami;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use oxforge_accounts::AccountsState;
use oxforge_auth::Authenticator;
use oxforge_db::{Pool, SecretCipher};
use oxforge_edge::{Capability, Shared};

/// The InsForge API level oxforge implements: the `version` of `/api/health` and
/// `/api/metadata`. Clients gate features on it (InsForge's MCP server needs at least 1.5.1), so
/// it names the InsForge release whose HTTP API oxforge answers, not oxforge's own version.
pub const INSFORGE_API_VERSION: &str = "2.3.1";

/// oxforge's own version: `oxforgeVersion` beside `version` in `/api/health` and `/api/metadata`.
pub const OXFORGE_VERSION: &str = env!("CARGO_PKG_VERSION");

oxforge_edge::settings! {
    /// The project's routes have no settings of their own yet.
    pub struct ProjectSettings {}
}

/// What the project's routes reach.
#[derive(Clone)]
pub struct ProjectState {
    pub auth: Arc<Authenticator>,
    /// The owner's connections: the secret store, the catalog.
    pub owner_pool: Pool,
    /// Seals and opens `system.secrets` values (ENCRYPTION_KEY).
    pub cipher: Arc<SecretCipher>,
    /// Accounts: their public config (metadata) and the admin sessions a key rotation ends.
    pub accounts: AccountsState,
    /// The latest MCP tool reports (`/api/usage/mcp`), in memory.
    pub mcp_usage: Arc<usage::McpUsage>,
}

impl FromRef<ProjectState> for Arc<Authenticator> {
    fn from_ref(state: &ProjectState) -> Self {
        Arc::clone(&state.auth)
    }
}

/// The project as a capability; it needs accounts listed before it.
pub struct Project;

impl Capability for Project {
    const NAME: &'static str = "project";
    type Settings = ProjectSettings;

    fn router(shared: &mut Shared, _: &ProjectSettings) -> Result<Router, String> {
        let accounts = shared
            .provided
            .get::<AccountsState>()
            .cloned()
            .ok_or("needs the accounts capability listed before it")?;
        Ok(router(ProjectState {
            auth: Arc::clone(&shared.auth),
            owner_pool: shared.owner_pool.clone(),
            cipher: Arc::clone(&shared.cipher),
            accounts,
            mcp_usage: Arc::default(),
        }))
    }
}

/// The project's routes, state applied.
pub fn router<S: Clone + Send + Sync + 'static>(state: ProjectState) -> Router<S> {
    Router::new()
        .route("/api/health", get(health::health))
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .route("/api/.well-known/jwks.json", get(jwks::jwks))
        .route("/api/metadata", get(metadata::metadata))
        .route("/api/metadata/auth", get(metadata::auth_slice))
        .route("/api/metadata/database", get(metadata::database_slice))
        .route("/api/metadata/api-key", get(metadata::api_key))
        .route("/api/metadata/anon-key", get(metadata::anon_key))
        .route("/api/metadata/project-id", get(metadata::project_id))
        .route("/api/metadata/storage", get(metadata::storage_slice))
        .route("/api/metadata/functions", get(metadata::functions_slice))
        .route("/api/metadata/{table}", get(metadata::table))
        .route("/api/auth/tokens/anon", post(metadata::anon_token))
        .route("/api/usage/mcp", get(usage::list).post(usage::report))
        .route("/api/secrets", get(secrets::list).post(secrets::create))
        .route("/api/secrets/api-key/rotate", post(secrets::rotate_api_key))
        .route("/api/secrets/anon-key/rotate", post(secrets::rotate_anon_key))
        .route(
            "/api/secrets/{key}",
            get(secrets::get_secret).put(secrets::update).delete(secrets::delete),
        )
        .route("/api/oxforge/whoami", get(whoami::whoami))
        .route("/api/oxforge/auth/providers", get(auth_diagnostics::providers))
        .route("/api/oxforge/auth/check", post(auth_diagnostics::check))
        .with_state(state)
}
