//! PostgreSQL access shared by every part of the server: the connection pool, the
//! versioned bootstrap schema (roles, grants, `auth.*` helpers, the secret store) and the
//! project secret store itself.

pub mod authenticator;
mod bootstrap;
pub mod catalog;
mod error;
pub mod exec;
pub mod listen;
pub mod migrations;
mod pool;
pub mod raw_sql;
pub mod secret_cipher;
pub mod secrets;
pub mod sql_script;

pub use bootstrap::{CORE, Component, ComponentError, Step, bootstrap, migrate};
pub use error::DbError;
pub use pool::{Pool, PoolOptions, Recycling, connect, connect_with, parse_config};
pub use secret_cipher::SecretCipher;

pub use deadpool_postgres;
pub use tokio_postgres;
