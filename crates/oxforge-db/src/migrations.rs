//! The project's migrations (`system.custom_migrations`): applied one at a time, in one
//! transaction each, under an advisory lock, as `project_admin` with `search_path = public`.
//! `apply` and `dry_run` take the authenticator's SQL pool (see `crate::pool`); `list`, any pool.

use crate::{DbError, Pool};

/// `pg_advisory_xact_lock` key for applying migrations.
const MIGRATION_LOCK: i64 = 0x006f_7866_6d69_6772;

/// Every migration as `{migrations:[{version,name,statements,createdAt}]}` (newest first).
pub async fn list(pool: &Pool) -> Result<String, DbError> {
    let client = pool.get().await?;
    let row = client
        .query_one(
            r#"SELECT json_build_object('migrations', coalesce(json_agg(json_build_object(
                 'version', version, 'name', name, 'statements', statements,
                 'createdAt', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                 ORDER BY version::numeric DESC), '[]'::json))::text
               FROM system.custom_migrations"#,
            &[],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Why a migration was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("migration {version} is not newer than the latest applied migration {latest}")]
    NotNewer { version: String, latest: String },
    #[error("statement {index} failed: {source}")]
    Statement {
        index: usize,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for ApplyError {
    fn from(e: tokio_postgres::Error) -> Self {
        ApplyError::Db(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for ApplyError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        ApplyError::Db(e.into())
    }
}

/// Runs a migration's statements as `project_admin` with `search_path = public`; an error names
/// the statement.
async fn run_statements(
    tx: &deadpool_postgres::Transaction<'_>,
    statements: &[String],
    timeout_ms: u64,
) -> Result<(), ApplyError> {
    crate::error::reject_nul(statements.iter().map(String::as_str)).map_err(ApplyError::Db)?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {timeout_ms}; SET LOCAL ROLE project_admin; SET LOCAL search_path TO public"
    ))
    .await?;
    for (index, statement) in statements.iter().enumerate() {
        tx.batch_execute(statement)
            .await
            .map_err(|source| ApplyError::Statement {
                index: index + 1,
                source,
            })?;
    }
    Ok(())
}

/// Applies one migration; returns the stored row as JSON text.
pub async fn apply(
    pool: &Pool,
    version: &str,
    name: &str,
    statements: &[String],
    timeout_ms: u64,
) -> Result<String, ApplyError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.batch_execute("SET LOCAL ROLE project_admin").await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let latest: Option<String> = tx
        .query_one("SELECT max(version::numeric)::text FROM system.custom_migrations", &[])
        .await?
        .try_get(0)?;
    if let Some(latest) = latest {
        let newer: bool = tx
            .query_one("SELECT $1::text::numeric > $2::text::numeric", &[&version, &latest])
            .await?
            .try_get(0)?;
        if !newer {
            return Err(ApplyError::NotNewer {
                version: version.to_owned(),
                latest,
            });
        }
    }
    run_statements(&tx, statements, timeout_ms).await?;
    // Recorded as project_admin too (a statement may have switched roles; the authenticator can
    // only switch back to the API roles).
    tx.batch_execute("SET LOCAL ROLE project_admin; SET LOCAL search_path TO public")
        .await?;
    let row = tx
        .query_one(
            r#"INSERT INTO system.custom_migrations (version, name, statements) VALUES ($1, $2, $3)
               RETURNING json_build_object('version', version, 'name', name, 'statements', statements,
                 'createdAt', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text"#,
            &[&version, &name, &statements],
        )
        .await?;
    let stored: String = row.try_get(0)?;
    tx.commit().await?;
    Ok(stored)
}

/// Runs the statements as a migration would, then rolls everything back. `Err` names the first
/// statement that failed.
pub async fn dry_run(pool: &Pool, statements: &[String], timeout_ms: u64) -> Result<(), ApplyError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    run_statements(&tx, statements, timeout_ms).await?;
    tx.rollback().await?;
    Ok(())
}
