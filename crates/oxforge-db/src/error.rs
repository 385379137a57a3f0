/// A failure talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database connection string: {0}")]
    Config(#[source] tokio_postgres::Error),
    #[error("cannot build the connection pool: {0}")]
    Build(#[from] deadpool_postgres::BuildError),
    #[error("no database connection available: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("bootstrap step {version} ({name}) failed: {source}")]
    Bootstrap {
        version: i32,
        name: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("unexpected answer from the database: {0}")]
    Protocol(String),
    #[error("cannot prepare the project's secrets: {0}")]
    Seed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl DbError {
    /// The PostgreSQL error behind this one, if any.
    pub fn as_db_error(&self) -> Option<&tokio_postgres::error::DbError> {
        match self {
            DbError::Postgres(e) | DbError::Bootstrap { source: e, .. } => e.as_db_error(),
            DbError::Pool(deadpool_postgres::PoolError::Backend(e)) => e.as_db_error(),
            _ => None,
        }
    }

    /// The SQLSTATE of a PostgreSQL error, if this is one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            DbError::Postgres(e) | DbError::Bootstrap { source: e, .. } => e.code().map(|c| c.code()),
            DbError::Pool(deadpool_postgres::PoolError::Backend(e)) => e.code().map(|c| c.code()),
            _ => None,
        }
    }
}
