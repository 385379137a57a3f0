//! What every handler can reach.

use std::sync::Arc;

use oxforge_auth::Authenticator;
use oxforge_auth::admin::AdminCredentials;
use oxforge_db::Pool;
use oxforge_schema::SchemaCacheHandle;

use crate::rate_limit::AuthLimits;

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Reported by `/api/health`.
    pub version: String,
    /// Largest accepted request body, in bytes: the data API's limit, and the cap of the others.
    pub body_limit: usize,
    /// Largest body of auth, secrets, metadata and the small admin routes, in bytes.
    pub small_body_limit: usize,
    /// Lifetime of access tokens oxforge issues.
    pub access_token_ttl_seconds: i64,
    /// Lifetime of refresh tokens oxforge issues.
    pub refresh_token_ttl_seconds: i64,
    /// Shortest accepted password (InsForge's default: 6).
    pub password_min_length: usize,
    /// Longest a data-API statement of `anon`/`authenticated` may run, in milliseconds (0: no limit).
    pub statement_timeout_ms: u64,
    /// Longest an admin's data-API statement may run, in milliseconds (0: no limit).
    pub admin_statement_timeout_ms: u64,
    /// Origins CORS allows (`scheme://host[:port]`); empty: the request's origin is reflected.
    pub cors_origins: Vec<String>,
    /// `Prefer: tx=rollback` honoured for every caller (`false`: for admins only, PostgREST's default).
    pub tx_rollback_for_all: bool,
    /// Most rows one insert/upsert may carry (0: no limit).
    pub max_batch_rows: usize,
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
            statement_timeout_ms: 10_000,
            admin_statement_timeout_ms: 30_000,
            tx_rollback_for_all: false,
            cors_origins: Vec::new(),
            max_batch_rows: 10_000,
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
    /// The `authenticator`'s connections for the data API (prepared statements kept).
    pub data_pool: Pool,
    /// The `authenticator`'s connections for restricted SQL, migrations and table management
    /// (`DISCARD ALL` before reuse).
    pub sql_pool: Pool,
    /// In-flight data-API requests per client address; `None` turns the bound off.
    pub client_limiter: Option<Arc<crate::client_limit::ClientLimiter>>,
    pub schema: Arc<SchemaCacheHandle>,
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
