//! The connection pool.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::DbError;

pub type Pool = deadpool_postgres::Pool;

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: usize,
    /// How long a request waits for a free connection before failing.
    pub wait_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 16,
            wait_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A pool for a libpq-style connection string or `postgres://` URL. Connections are made lazily.
pub fn connect(connection_string: &str, options: &PoolOptions) -> Result<Pool, DbError> {
    let mut config = tokio_postgres::Config::from_str(connection_string).map_err(DbError::Config)?;
    if config.get_application_name().is_none() {
        config.application_name("oxforge");
    }
    config.connect_timeout(options.connect_timeout);
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager)
        .max_size(options.max_size)
        .wait_timeout(Some(options.wait_timeout))
        .create_timeout(Some(options.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()?)
}
