//! PostgreSQL access shared by every part of the server: the connection pool, the
//! versioned bootstrap schema (roles, grants, `auth.*` helpers, the secret store) and the
//! project secret store itself.

pub mod accounts;
mod bootstrap;
mod error;
pub mod exec;
mod pool;
pub mod secrets;

pub use bootstrap::{BOOTSTRAP_VERSION, bootstrap, migrate};
pub use error::DbError;
pub use pool::{Pool, PoolOptions, connect};

pub use deadpool_postgres;
pub use tokio_postgres;
