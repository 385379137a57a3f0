//! Connection pools.
//!
//! oxforge keeps two kinds of connection: the **owner**'s (the role of `DATABASE_URL`: bootstrap,
//! secrets, accounts, catalog reads, unrestricted SQL) and the **authenticator**'s (a NOINHERIT
//! login role that can only switch to `anon`, `authenticated` or `project_admin`: the data API,
//! restricted SQL, migrations and table management). A request path connection therefore cannot
//! become a superuser, whatever SQL it runs.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::DbError;

pub type Pool = deadpool_postgres::Pool;

/// What a connection goes through before it is handed out again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recycling {
    /// Only a liveness check: the connection keeps its prepared statements (the data API).
    Keep,
    /// `DISCARD ALL`: session-level `SET`, roles, prepared statements, `LISTEN`, temporary tables
    /// and advisory locks left by arbitrary SQL are gone before anyone else uses it.
    Discard,
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: usize,
    /// How long a request waits for a free connection before failing.
    pub wait_timeout: Duration,
    pub connect_timeout: Duration,
    pub recycling: Recycling,
    /// A role every new connection switches to for good (`SET ROLE`): for pools that only
    /// ever run oxforge's own SQL, such as the accounts pool.
    pub session_role: Option<&'static str>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 16,
            wait_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            recycling: Recycling::Keep,
            session_role: None,
        }
    }
}

/// Parses a libpq-style connection string or `postgres://` URL.
pub fn parse_config(connection_string: &str) -> Result<tokio_postgres::Config, DbError> {
    tokio_postgres::Config::from_str(connection_string).map_err(DbError::Config)
}

/// A pool for a libpq-style connection string or `postgres://` URL. Connections are made lazily.
pub fn connect(connection_string: &str, options: &PoolOptions) -> Result<Pool, DbError> {
    connect_with(parse_config(connection_string)?, options)
}

/// A pool for parsed connection settings. Connections are made lazily.
pub fn connect_with(mut config: tokio_postgres::Config, options: &PoolOptions) -> Result<Pool, DbError> {
    if config.get_application_name().is_none() {
        config.application_name("oxforge");
    }
    config.connect_timeout(options.connect_timeout);
    let recycling_method = match options.recycling {
        Recycling::Keep => RecyclingMethod::Fast,
        Recycling::Discard => RecyclingMethod::Custom("DISCARD ALL".into()),
    };
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method });
    let mut builder = Pool::builder(manager);
    if let Some(role) = options.session_role {
        builder = builder.post_create(deadpool_postgres::Hook::async_fn(move |client, _| {
            Box::pin(async move {
                // `role` is one of oxforge's own role names (a constant), quoted all the same.
                let statement = format!("SET ROLE \"{}\"", role.replace('"', "\"\""));
                client
                    .batch_execute(&statement)
                    .await
                    .map_err(deadpool_postgres::HookError::Backend)
            })
        }));
    }
    Ok(builder
        .max_size(options.max_size)
        .wait_timeout(Some(options.wait_timeout))
        .create_timeout(Some(options.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()?)
}
