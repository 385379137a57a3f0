/// Why oxforge could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error(
        "ROOT_ADMIN_PASSWORD is too weak: {0}. Set ROOT_ADMIN_PASSWORD (or root_admin_password in \
         oxforge.toml) to at least 12 characters that are not a well-known default, or unset it and \
         oxforge generates a strong one on the first start"
    )]
    WeakAdminPassword(String),
    #[error("embedded PostgreSQL: {0}")]
    Embedded(#[from] oxforge_embedded_pg::Error),
    #[error("{0}")]
    Database(#[from] oxforge_db::DbError),
    #[error("the database is not reachable after {attempts} attempts: {last}")]
    Unreachable { attempts: u32, last: oxforge_db::DbError },
    #[error("cannot load the schema cache: {0}")]
    Schema(String),
    #[error("project keys: {0}")]
    Keys(String),
    #[error("the stored secret {0} is missing")]
    MissingSecret(&'static str),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}
