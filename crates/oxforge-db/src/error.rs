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
    #[error("bootstrap step {component} {version} ({name}) failed: {source}")]
    Bootstrap {
        component: &'static str,
        version: i32,
        name: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(transparent)]
    Components(#[from] crate::ComponentError),
    /// PostgreSQL text cannot hold NUL; the wire protocol would cut the statement short.
    #[error("invalid byte sequence for encoding \"UTF8\": 0x00")]
    NulByte,
    #[error("unexpected answer from the database: {0}")]
    Protocol(String),
    #[error("cannot use the stored secret {key}: {reason}")]
    Secret { key: String, reason: String },
    #[error("cannot prepare the project's secrets: {0}")]
    Seed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// PostgreSQL's protocol ends statement text at a NUL byte (the rest would be read as the next
/// message) and text values cannot hold one; every client-supplied text is checked here first.
pub(crate) fn reject_nul<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<(), DbError> {
    match texts.into_iter().any(|t| t.contains('\0')) {
        true => Err(DbError::NulByte),
        false => Ok(()),
    }
}

impl DbError {
    /// The database could not be reached or went away (as opposed to refusing a statement):
    /// the client should retry shortly.
    pub fn is_unavailable(&self) -> bool {
        use deadpool_postgres::PoolError;
        let connection_failure = |e: &tokio_postgres::Error| match e.as_db_error() {
            None => true,
            Some(db) => {
                let code = db.code().code();
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
            }
        };
        match self {
            DbError::Pool(PoolError::Backend(e)) | DbError::Postgres(e) => connection_failure(e),
            DbError::Pool(_) => true,
            _ => false,
        }
    }

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
