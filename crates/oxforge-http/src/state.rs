//! What every handler can reach.

use std::sync::Arc;

use oxforge_auth::Authenticator;
use oxforge_auth::admin::AdminCredentials;
use oxforge_db::Pool;

use crate::rate_limit::AuthLimits;

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Reported by `/api/health`.
    pub version: String,
    /// Largest request body any route accepts, in bytes (the data API's limit).
    pub body_limit: usize,
    /// Largest body of auth, secrets, metadata and the small admin routes, in bytes (at most
    /// `body_limit`).
    pub small_body_limit: usize,
    /// Lifetime of access tokens oxforge issues.
    pub access_token_ttl_seconds: i64,
    /// Lifetime of refresh tokens oxforge issues.
    pub refresh_token_ttl_seconds: i64,
    /// Shortest accepted password (InsForge's default: 6).
    pub password_min_length: usize,
    /// Origins CORS allows (`scheme://host[:port]`); empty: the request's origin is reflected.
    pub cors_origins: Vec<String>,
    /// No refresh extends a session beyond this long after its sign-in.
    pub session_max_lifetime_seconds: i64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            body_limit: 10 * 1024 * 1024,
            small_body_limit: 64 * 1024,
            access_token_ttl_seconds: 15 * 60,
            refresh_token_ttl_seconds: 7 * 24 * 3600,
            password_min_length: 6,
            cors_origins: Vec::new(),
            session_max_lifetime_seconds: 30 * 24 * 3600,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub auth: Arc<Authenticator>,
    /// The owner's connections: secrets, catalog reads, unrestricted SQL.
    pub pool: Pool,
    /// The `authenticator`'s connections switched to `oxforge_accounts` (users and sessions only).
    pub accounts_pool: Pool,
    pub admin: Arc<AdminCredentials>,
    pub settings: Arc<HttpSettings>,
    /// Sign-in and sign-up limits, and how the client's address is found.
    pub limits: Arc<AuthLimits>,
    /// Seals and opens `system.secrets` values (ENCRYPTION_KEY).
    pub secret_cipher: Arc<oxforge_db::SecretCipher>,
    /// Bounds concurrent password hashing (CPU and memory).
    pub password_work: Arc<crate::password_work::PasswordWork>,
}

impl axum::extract::FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.auth)
    }
}
