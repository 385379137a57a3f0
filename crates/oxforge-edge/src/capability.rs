//! A capability: a crate that adds an area of the API (accounts, the data API, storage…). It
//! declares, once, everything the server needs to run it: its name, its settings section, its
//! bootstrap SQL and its routes. The server lists capabilities in one place
//! (`oxforge-server/src/capabilities.rs`) and does the rest: config layers, one bootstrap
//! transaction, one router.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use oxforge_auth::Authenticator;
use oxforge_auth::admin::AdminCredentials;
use oxforge_db::{Pool, SecretCipher, Step};
use oxforge_schema::SchemaCacheHandle;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client_ip::TrustedProxies;
use crate::settings::Section;

/// What start-up has built before any capability: the project's credentials and the
/// connections of each database role.
#[derive(Clone)]
pub struct Shared {
    /// The project's keys and third-party providers: every credential is checked here.
    pub auth: Arc<Authenticator>,
    /// The root admin's username and password.
    pub admin: Arc<AdminCredentials>,
    /// The owner's connections (secrets, catalog, unrestricted SQL).
    pub owner_pool: Pool,
    /// The `authenticator`'s connections for the data API (prepared statements kept).
    pub data_pool: Pool,
    /// The `authenticator`'s connections for restricted SQL, migrations and table management
    /// (`DISCARD ALL` before reuse).
    pub sql_pool: Pool,
    /// The `authenticator`'s connections switched to `oxforge_accounts` (users and sessions).
    pub accounts_pool: Pool,
    /// The schema cache of the data API, reloaded on DDL.
    pub schema: Arc<SchemaCacheHandle>,
    /// Seals and opens `system.secrets` values.
    pub cipher: Arc<SecretCipher>,
    /// How the client's address is found (trusted proxies).
    pub proxies: TrustedProxies,
    /// How long a request waits for a free connection.
    pub pool_timeout: Duration,
    /// The largest request body any route accepts, in bytes: a capability's own limits stay
    /// under it.
    pub body_limit: usize,
    /// oxforge's data directory when it runs the embedded PostgreSQL (logs are kept there); none
    /// with an external database.
    pub data_dir: Option<std::path::PathBuf>,
    /// The embedded PostgreSQL's log file (none with an external database).
    pub postgres_log: Option<std::path::PathBuf>,
    /// What capabilities listed earlier provide to those after them (by type: accounts puts its
    /// `AccountsState` here for the project's metadata and key rotation).
    pub provided: axum::http::Extensions,
}

/// One capability. Implemented by a unit type in the capability's crate
/// (`pub struct Accounts;`), listed once by the server.
pub trait Capability {
    /// Its name: the bootstrap component that owns its SQL, and its name in logs.
    const NAME: &'static str;
    /// Its settings, a section declared with [`crate::settings!`].
    type Settings: Section + Default + Clone + std::fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// Its bootstrap SQL steps, applied after core's and those of the capabilities listed
    /// before it, in one transaction.
    const SQL: &'static [Step] = &[];

    /// Refuses settings that cannot work, naming the setting and its environment variable.
    fn validate(_settings: &Self::Settings) -> Result<(), String> {
        Ok(())
    }

    /// Its routes, its own state applied (`Router::with_state`); it may leave in
    /// `shared.provided` what a capability listed after it needs.
    fn router(shared: &mut Shared, settings: &Self::Settings) -> Result<Router, String>;
}
