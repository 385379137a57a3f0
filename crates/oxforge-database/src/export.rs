//! `GET /api/database/tables/{table}/export?format=csv|json&schema=&limit=` (oxforge's own: the
//! dashboard builds its CSV in the browser from the grid's pages, the CLI asks for the file).
//!
//! Streamed as PostgreSQL sends it, never built whole: CSV by `COPY (SELECT …) TO STDOUT` with a
//! header row, JSON as an array of `row_to_json` objects, one row at a time. At most
//! `export_row_limit` rows (`limit` asks for fewer). Read as `project_admin` on a connection of
//! its own, closed when the body ends; a failure after the first byte ends the body early.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use oxforge_db::DbError;
use oxforge_db::deadpool_postgres::Object;
use oxforge_edge::{Admin, ApiError};
use oxforge_sql::ident;
use serde::Deserialize;

use crate::DatabaseState;
use crate::sql::admin_claims;

/// Statement timeout of an export.
const EXPORT_TIMEOUT_MS: u64 = 15 * 60 * 1000;

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    schema: Option<String>,
    limit: Option<u64>,
}

fn db(e: tokio_postgres::Error) -> ApiError {
    ApiError::from(DbError::Postgres(e))
}

fn io(e: tokio_postgres::Error) -> std::io::Error {
    std::io::Error::other(e)
}

/// A file name for `Content-Disposition` from the table's (only letters, digits, `_`, `-`).
fn file_name(table: &str, extension: &str) -> String {
    let safe: String = table
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let stem = if safe.is_empty() { "export" } else { &safe };
    format!("attachment; filename=\"{stem}.{extension}\"")
}

pub async fn table(
    Admin(admin): Admin,
    State(state): State<DatabaseState>,
    Path(table): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let json = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "json" => true,
        other => {
            return Err(ApiError::invalid_input(format!(
                "format: expected csv or json, got '{other}'"
            )));
        }
    };
    let schema = q.schema.as_deref().filter(|s| !s.is_empty()).unwrap_or("public");
    let limit = q.limit.unwrap_or(state.export_row_limit).min(state.export_row_limit);
    let client = Object::take(state.sql_pool.get().await.map_err(DbError::from)?);
    client
        .batch_execute(&format!(
            "SET statement_timeout = {EXPORT_TIMEOUT_MS}; SET ROLE project_admin; SET default_transaction_read_only = on;"
        ))
        .await
        .map_err(db)?;
    client
        .execute(
            "SELECT set_config('request.jwt.claims', $1, false)",
            &[&admin_claims(&admin)],
        )
        .await
        .map_err(db)?;
    let found = client
        .query(
            "SELECT a.attname::text, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid \
                 AND i.indisprimary AND a.attnum = ANY (i.indkey)) \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
               AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            &[&schema, &table],
        )
        .await
        .map_err(db)?;
    let columns: Vec<String> = found.iter().map(|r| r.get(0)).collect();
    // In primary-key order when there is one, so that two exports of the same rows are equal.
    let key: Vec<String> = found
        .iter()
        .filter(|r| r.get::<_, bool>(1))
        .map(|r| ident(r.get::<_, &str>(0)))
        .collect();
    if columns.is_empty() {
        return Err(ApiError::not_found(
            "TABLE_NOT_FOUND",
            format!("Table {schema}.{table} not found"),
        ));
    }
    let list = columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    let order = if key.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {}", key.join(", "))
    };
    let select = format!(
        "SELECT {list} FROM {}.{}{order} LIMIT {limit}",
        ident(schema),
        ident(&table)
    );
    let (content_type, disposition, body) = if json {
        let rows = client
            .query_raw(
                &format!("SELECT row_to_json(t)::text FROM ({select}) t"),
                std::iter::empty::<String>(),
            )
            .await
            .map_err(|e| crate::error::sql_error(&e))?;
        let mut first = true;
        let objects = rows.map(move |row| {
            let row = row.map_err(io)?;
            let text: String = row.try_get(0).map_err(io)?;
            let lead = if std::mem::take(&mut first) { "\n" } else { ",\n" };
            Ok::<_, std::io::Error>(Bytes::from(format!("{lead}{text}")))
        });
        let body = stream::once(async { Ok(Bytes::from_static(b"[")) })
            .chain(objects)
            .chain(stream::once(async { Ok(Bytes::from_static(b"\n]\n")) }))
            // The connection lives as long as the body.
            .map(move |item| {
                let _ = &client;
                item
            });
        ("application/json", file_name(&table, "json"), Body::from_stream(body))
    } else {
        let copy = client
            .copy_out(&format!("COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)"))
            .await
            .map_err(|e| crate::error::sql_error(&e))?;
        let body = copy.map(move |item| {
            let _ = &client;
            item.map_err(io)
        });
        (
            "text/csv; charset=utf-8",
            file_name(&table, "csv"),
            Body::from_stream(body),
        )
    };
    Ok((
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
