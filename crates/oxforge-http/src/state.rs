//! What every handler can reach.

use std::sync::Arc;

use oxforge_accounts::AccountsState;
use oxforge_auth::Authenticator;
use oxforge_db::Pool;
use oxforge_schema::SchemaCacheHandle;

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Reported by `/api/health`.
    pub version: String,
    /// Largest accepted request body, in bytes: the data API's limit, and the cap of the others.
    pub body_limit: usize,
    /// Largest body of auth, secrets, metadata and the small admin routes, in bytes.
    pub small_body_limit: usize,
    /// Largest body of the SQL editor, migrations and table management, in bytes.
    pub sql_body_limit: usize,
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
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            body_limit: 10 * 1024 * 1024,
            small_body_limit: 64 * 1024,
            sql_body_limit: 1024 * 1024,
            statement_timeout_ms: 10_000,
            admin_statement_timeout_ms: 30_000,
            tx_rollback_for_all: false,
            cors_origins: Vec::new(),
            max_batch_rows: 10_000,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub auth: Arc<Authenticator>,
    /// The owner's connections: secrets, catalog reads, unrestricted SQL.
    pub pool: Pool,
    /// The `authenticator`'s connections for the data API (prepared statements kept).
    pub data_pool: Pool,
    /// The `authenticator`'s connections for restricted SQL, migrations and table management
    /// (`DISCARD ALL` before reuse).
    pub sql_pool: Pool,
    /// In-flight data-API requests per client address; `None` turns the bound off.
    pub client_limiter: Option<Arc<crate::client_limit::ClientLimiter>>,
    pub schema: Arc<SchemaCacheHandle>,
    pub settings: Arc<HttpSettings>,
    /// Seals and opens `system.secrets` values (ENCRYPTION_KEY).
    pub secret_cipher: Arc<oxforge_db::SecretCipher>,
    /// Accounts (`/api/auth`): their routes, and the public config and admin sessions that
    /// metadata and key rotation reach.
    pub accounts: AccountsState,
}

impl axum::extract::FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.auth)
    }
}
