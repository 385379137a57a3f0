//! The database side of a bulk upsert, on one connection of its own and in one transaction as
//! `project_admin`: the table's columns from the catalog, `COPY` of the file's rows into a temp
//! table typed like the target's columns (a value that is not of its column's type fails there,
//! naming its row), then one `INSERT … SELECT` (`ON CONFLICT (key) DO UPDATE` with an upsert key)
//! that checks the constraints. Identifiers come from the catalog only, quoted; values only
//! travel in the `COPY` stream, never in SQL text.

use axum::http::StatusCode;
use bytes::Bytes;
use futures_util::SinkExt;
use oxforge_db::deadpool_postgres::{ClientWrapper, Object};
use oxforge_db::{DbError, Pool};
use oxforge_edge::ApiError;
use oxforge_sql::ident;
use tokio_postgres::CopyInSink;

use super::encode::LineMap;
use crate::error::sql_error;

/// Statement timeout of each step (the `COPY` runs as long as the upload).
const BULK_TIMEOUT_MS: u64 = 15 * 60 * 1000;

/// The temp table the rows are copied into (dropped at commit).
const STAGE: &str = "pg_temp.oxforge_bulk";

pub struct Session {
    client: ClientWrapper,
    schema: String,
    table: String,
    /// The table's insertable columns, as the catalog spells them.
    columns: Vec<String>,
    /// The file's columns, in its order (a subset of `columns`).
    pub staged: Vec<String>,
}

fn db(e: tokio_postgres::Error) -> ApiError {
    ApiError::from(DbError::Postgres(e))
}

impl Session {
    /// A connection of its own (closed after use: an interrupted upload leaves nothing behind),
    /// a transaction as `project_admin`, the table's columns (`404` when it does not exist).
    pub async fn open(pool: &Pool, claims: &str, schema: &str, table: &str) -> Result<Self, ApiError> {
        let client = Object::take(pool.get().await.map_err(DbError::from)?);
        client
            .batch_execute(&format!(
                "BEGIN; SET LOCAL statement_timeout = {BULK_TIMEOUT_MS}; SET LOCAL ROLE project_admin;"
            ))
            .await
            .map_err(db)?;
        client
            .execute("SELECT set_config('request.jwt.claims', $1, true)", &[&claims])
            .await
            .map_err(db)?;
        let rows = client
            .query(
                "SELECT a.attname::text, a.attgenerated <> '' \
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') \
                   AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                &[&schema, &table],
            )
            .await
            .map_err(db)?;
        if rows.is_empty() {
            return Err(ApiError::not_found(
                "TABLE_NOT_FOUND",
                format!("Table {schema}.{table} not found"),
            ));
        }
        let columns = rows
            .iter()
            .filter(|r| !r.get::<_, bool>(1))
            .map(|r| r.get::<_, String>(0))
            .collect();
        Ok(Self {
            client,
            schema: schema.to_owned(),
            table: table.to_owned(),
            columns,
            staged: Vec::new(),
        })
    }

    /// Checks the file's header against the table and starts the `COPY`.
    pub async fn start_copy(&mut self, header: &[String]) -> Result<CopyInSink<Bytes>, ApiError> {
        let mut staged: Vec<String> = Vec::with_capacity(header.len());
        for name in header {
            let Some(column) = self.columns.iter().find(|c| *c == name) else {
                return Err(ApiError::invalid_input(format!(
                    "Column '{name}' does not exist on table {}.{} (or is generated)",
                    self.schema, self.table
                )));
            };
            if staged.contains(column) {
                return Err(ApiError::invalid_input(format!("Column '{name}' appears twice")));
            }
            staged.push(column.clone());
        }
        if staged.is_empty() {
            return Err(ApiError::invalid_input("The file names no columns"));
        }
        let list = staged.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
        let target = format!("{}.{}", ident(&self.schema), ident(&self.table));
        self.client
            .batch_execute(&format!(
                "CREATE TEMP TABLE oxforge_bulk ON COMMIT DROP AS SELECT {list} FROM {target} WITH NO DATA"
            ))
            .await
            .map_err(|e| sql_error(&e))?;
        self.staged = staged;
        self.client
            .copy_in(&format!("COPY {STAGE} FROM STDIN"))
            .await
            .map_err(|e| sql_error(&e))
    }

    /// Ends a failed upload: the copy (its sink already dropped, which sends `CopyFail`) and the
    /// transaction, in that order, before the connection is closed.
    pub async fn abort(self) {
        let _ = self.client.batch_execute("ROLLBACK").await;
    }

    /// The staged rows into the table, then commit; the rows inserted or updated.
    pub async fn insert(self, upsert_key: Option<&str>) -> Result<u64, ApiError> {
        let list = self.staged.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
        let mut sql = format!(
            "INSERT INTO {}.{} ({list}) SELECT {list} FROM {STAGE}",
            ident(&self.schema),
            ident(&self.table)
        );
        if let Some(key) = upsert_key {
            let Some(key) = self.staged.iter().find(|c| *c == key) else {
                return Err(ApiError::invalid_input(format!(
                    "Upsert key '{key}' not found in record columns"
                )));
            };
            let updates: Vec<String> = self
                .staged
                .iter()
                .filter(|c| *c != key)
                .map(|c| format!("{0} = EXCLUDED.{0}", ident(c)))
                .collect();
            sql.push_str(&format!(" ON CONFLICT ({}) DO ", ident(key)));
            if updates.is_empty() {
                sql.push_str("NOTHING");
            } else {
                sql.push_str(&format!("UPDATE SET {}", updates.join(", ")));
            }
        }
        let affected = self.client.execute(&sql, &[]).await.map_err(|e| sql_error(&e))?;
        self.client.batch_execute("COMMIT").await.map_err(|e| sql_error(&e))?;
        Ok(affected)
    }
}

/// Sends encoded rows.
pub async fn send(
    sink: &mut std::pin::Pin<&mut CopyInSink<Bytes>>,
    data: Bytes,
    lines: &LineMap,
) -> Result<(), ApiError> {
    sink.send(data).await.map_err(|e| copy_error(&e, lines))
}

/// Ends the `COPY`; the rows copied.
pub async fn finish(sink: std::pin::Pin<&mut CopyInSink<Bytes>>, lines: &LineMap) -> Result<u64, ApiError> {
    sink.finish().await.map_err(|e| copy_error(&e, lines))
}

/// A value PostgreSQL refused during the `COPY` (`…, line N, column c: "…"` in its context):
/// `400` naming the file's line and the column.
fn copy_error(e: &tokio_postgres::Error, lines: &LineMap) -> ApiError {
    let Some(db) = e.as_db_error() else {
        return sql_error(e);
    };
    let context = db.where_().unwrap_or_default();
    let row = context
        .split(", line ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u64>().ok());
    let column = context
        .split(", column ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .map(|c| format!(" (column {c})"))
        .unwrap_or_default();
    match row.and_then(|r| lines.line(r)) {
        Some(line) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            format!("line {line}{column}: {}", db.message()),
        ),
        None => sql_error(e),
    }
}
