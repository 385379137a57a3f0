//! The dashboard's table grid (`/api/database/admin/tables/{table}/records[/lookup]`): list,
//! look up, insert, update and delete rows of any table, InsForge's shapes.
//!
//! Each call is one transaction as `project_admin` (BYPASSRLS: the grid shows every row) with
//! `request.jwt.claims = {"role":"project_admin"}` on the `authenticator`'s SQL pool. Table and
//! column names are checked against the catalog and quoted from it; values are bound parameters
//! sent as text and cast to the column's catalog type (`$n::text::<type>`); sort directions come
//! from an allowlist; limits are parsed integers.

mod query;
mod table;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use oxforge_auth::Principal;
use oxforge_db::DbError;
use oxforge_db::deadpool_postgres::{Object, Transaction};
use oxforge_edge::headers::content_range;
use oxforge_edge::{Admin, ApiError, JsonBody};
use oxforge_sql::ident;
use serde_json::Value;
use tokio_postgres::types::ToSql;

use crate::DatabaseState;
use crate::error::SQL_TIMEOUT_MS;
use crate::sql::admin_claims;
use query::{List, contains_pattern};
use table::{OnEmpty, Pairs, Params, Table, db};

/// With `Prefer: count=estimated` (or PostgREST's `count=planned`), a page without search or
/// filter of a relation the planner reckons above this many rows answers the planner's estimate
/// instead of running `COUNT(*)` (`Preference-Applied: count=estimated`). Without it the count is
/// exact, as InsForge's grid counts.
const ESTIMATE_ABOVE: i64 = 50_000;

/// PostgreSQL's limit on a statement's parameters.
const MAX_PARAMS: usize = 65_535;

/// What every grid route takes: admin credentials (checked first), the table's name from the
/// path, the query string's pairs, the state.
pub struct Grid {
    admin: Principal,
    state: DatabaseState,
    name: String,
    pairs: Pairs,
}

impl FromRequestParts<DatabaseState> for Grid {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &DatabaseState) -> Result<Self, ApiError> {
        let Admin(admin) = Admin::from_request_parts(parts, state).await?;
        let Path(name) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::invalid_input(e.body_text()))?;
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::invalid_input(e.body_text()))?;
        Ok(Grid {
            admin,
            state: state.clone(),
            name,
            pairs: Pairs::new(pairs),
        })
    }
}

impl Grid {
    async fn connect(&self) -> Result<Object, ApiError> {
        Ok(self.state.sql_pool.get().await.map_err(DbError::from)?)
    }

    /// The transaction as `project_admin` and the table (`404 TABLE_NOT_FOUND` when there is
    /// none).
    async fn begin<'c>(&self, client: &'c mut Object) -> Result<(Transaction<'c>, Table), ApiError> {
        begin(client, &self.admin, self.pairs.schema(), &self.name).await
    }
}

/// Commits and answers `body`.
async fn finish(tx: Transaction<'_>, status: StatusCode, body: String) -> Result<Response, ApiError> {
    tx.commit().await.map_err(db)?;
    Ok(json(status, body))
}

async fn begin<'c>(
    client: &'c mut Object,
    admin: &Principal,
    schema: &str,
    name: &str,
) -> Result<(Transaction<'c>, Table), ApiError> {
    let tx = client.transaction().await.map_err(db)?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {SQL_TIMEOUT_MS}; SET LOCAL ROLE project_admin;"
    ))
    .await
    .map_err(db)?;
    tx.execute(
        "SELECT set_config('request.jwt.claims', $1, true)",
        &[&admin_claims(admin)],
    )
    .await
    .map_err(db)?;
    match Table::read(&tx, schema, name).await? {
        Some(table) => Ok((tx, table)),
        None => Err(ApiError::not_found(
            "TABLE_NOT_FOUND",
            format!("Table {schema}.{name} not found"),
        )),
    }
}

fn refs(params: &Params) -> Result<Vec<&(dyn ToSql + Sync)>, ApiError> {
    if params.0.len() > MAX_PARAMS {
        return Err(ApiError::invalid_input("Too many values in one request"));
    }
    Ok(params.0.iter().map(|p| p as &(dyn ToSql + Sync)).collect())
}

/// The first row's one column, JSON text built by PostgreSQL, if any row came back.
async fn first_json(tx: &Transaction<'_>, sql: &str, params: &Params) -> Result<Option<String>, ApiError> {
    let rows = tx.query(sql, &refs(params)?).await.map_err(db)?;
    rows.first().map(|r| r.try_get::<_, String>(0).map_err(db)).transpose()
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body).into_response()
}

/// Whether the client asked for an estimated count (`Prefer: count=estimated|planned`).
fn wants_estimate(headers: &HeaderMap) -> bool {
    let estimated = |value: &str| {
        value.split(',').any(|p| {
            let p = p.trim();
            p.eq_ignore_ascii_case("count=estimated") || p.eq_ignore_ascii_case("count=planned")
        })
    };
    headers
        .get_all("prefer")
        .iter()
        .any(|v| v.to_str().is_ok_and(estimated))
}

/// The planner's row estimate for the whole relation (`rows=` of `EXPLAIN`'s top node): it
/// scales `pg_class.reltuples` to the relation's current size and guesses for a table never
/// analyzed.
async fn planned_rows(tx: &Transaction<'_>, qualified: &str) -> Result<Option<i64>, ApiError> {
    let rows = tx
        .query(&format!("EXPLAIN SELECT 1 FROM {qualified}"), &[])
        .await
        .map_err(db)?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let line: String = first.try_get(0).map_err(db)?;
    Ok(line
        .split_once(" rows=")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok()))
}

/// `GET …/records`: a page of rows, a bare array, with `Content-Range`.
pub async fn list(grid: Grid, headers: HeaderMap) -> Result<Response, ApiError> {
    let list = List::parse(&grid.pairs)?;
    let mut client = grid.connect().await?;
    let (tx, table) = grid.begin(&mut client).await?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(term) = &list.search {
        let texts: Vec<&table::Column> = table.columns.iter().filter(|c| c.text).collect();
        if texts.is_empty() {
            // Nothing to search in: nothing matches.
            conditions.push("false".to_owned());
        } else {
            let pattern = params.text(contains_pattern(term));
            let any: Vec<String> = texts
                .iter()
                .map(|c| format!("{}::text ILIKE {pattern}", ident(&c.name)))
                .collect();
            conditions.push(format!("({})", any.join(" OR ")));
        }
    }
    if let Some((column, value)) = &list.filter {
        let column = table.column(column)?;
        let value = params.typed(Some(value.clone()), column);
        conditions.push(format!("{} = {value}", ident(&column.name)));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let mut order = Vec::new();
    let mut sorted = Vec::new();
    for (column, direction) in &list.sort {
        let column = table.column(column)?;
        order.push(format!("{} {}", ident(&column.name), direction.sql()));
        sorted.push(column.name.as_str());
    }
    // The primary key last, so that pages do not overlap.
    for column in table.columns.iter().filter(|c| c.primary_key) {
        if !sorted.contains(&column.name.as_str()) {
            order.push(ident(&column.name));
        }
    }
    let order = if order.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {}", order.join(", "))
    };
    let args = refs(&params)?;
    let page = tx
        .query_one(
            &format!(
                "SELECT COALESCE(json_agg(r), '[]')::text, count(*) FROM \
                 (SELECT * FROM {}{filter}{order} LIMIT {} OFFSET {}) r",
                table.qualified, list.limit, list.offset
            ),
            &args,
        )
        .await
        .map_err(db)?;
    let rows: String = page.try_get(0).map_err(db)?;
    let returned: i64 = page.try_get(1).map_err(db)?;
    let end = list.offset.saturating_add(returned);
    // A short page that is not past the end: its end is the total.
    let short = returned < list.limit && (returned > 0 || list.offset == 0);
    let planned = if !short && wants_estimate(&headers) && conditions.is_empty() {
        planned_rows(&tx, &table.qualified)
            .await?
            .filter(|n| *n > ESTIMATE_ABOVE)
    } else {
        None
    };
    let (total, estimated) = if short {
        (end, false)
    } else if let Some(planned) = planned {
        // Never below what this page proves exists (an empty page proves nothing).
        let proven = if returned > 0 { end } else { 0 };
        (planned.max(proven), true)
    } else {
        let count = tx
            .query_one(&format!("SELECT count(*) FROM {}{filter}", table.qualified), &args)
            .await
            .map_err(db)?;
        (count.try_get::<_, i64>(0).map_err(db)?, false)
    };
    tx.commit().await.map_err(db)?;
    let status = if returned < total {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let applied = if estimated { "count=estimated" } else { "count=exact" };
    let mut response = json(status, rows);
    let headers = response.headers_mut();
    if let Ok(range) = content_range(list.offset, returned, Some(total)).parse() {
        headers.insert(HeaderName::from_static("content-range"), range);
    }
    headers.insert(
        HeaderName::from_static("preference-applied"),
        axum::http::HeaderValue::from_static(applied),
    );
    Ok(response)
}

/// `GET …/records/lookup?column=a&value=1[&column=b&value=2]`: the first matching row or `null`.
pub async fn lookup(grid: Grid) -> Result<Response, ApiError> {
    let (columns, values) = (grid.pairs.all("column"), grid.pairs.all("value"));
    if columns.is_empty() || columns.len() != values.len() {
        return Err(ApiError::invalid_input(
            "column and value: one value for each column, at least one",
        ));
    }
    let mut client = grid.connect().await?;
    let (tx, table) = grid.begin(&mut client).await?;
    let mut params = Params::default();
    let mut conditions = Vec::with_capacity(columns.len());
    for (column, value) in columns.iter().zip(values) {
        let column = table.column(column)?;
        let value = params.typed(Some(value.clone()), column);
        conditions.push(format!("{} = {value}", ident(&column.name)));
    }
    let sql = format!(
        "SELECT to_json(r.*)::text FROM {} AS r WHERE {} LIMIT 1",
        table.qualified,
        conditions.join(" AND ")
    );
    let row = first_json(&tx, &sql, &params).await?;
    let row = row.unwrap_or_else(|| "null".to_owned());
    finish(tx, StatusCode::OK, row).await
}

/// `POST …/records`: a non-empty array of objects, one `INSERT … RETURNING` each; `201` with
/// the created rows.
pub async fn insert(grid: Grid, JsonBody(body): JsonBody<Value>) -> Result<Response, ApiError> {
    let rows = match &body {
        Value::Array(rows) if !rows.is_empty() => rows,
        _ => return Err(ApiError::invalid_input("Expected a non-empty array of records")),
    };
    let mut client = grid.connect().await?;
    let (tx, table) = grid.begin(&mut client).await?;
    let mut created = Vec::with_capacity(rows.len());
    for row in rows {
        let Value::Object(row) = row else {
            return Err(ApiError::invalid_input("Each record must be an object"));
        };
        let values = table.values(row, OnEmpty::Drop)?;
        let mut params = Params::default();
        let sql = if values.is_empty() {
            format!(
                "INSERT INTO {} AS r DEFAULT VALUES RETURNING to_json(r.*)::text",
                table.qualified
            )
        } else {
            let names: Vec<String> = values.iter().map(|(c, _)| ident(&c.name)).collect();
            let slots: Vec<String> = values.into_iter().map(|(c, v)| params.typed(v, c)).collect();
            format!(
                "INSERT INTO {} AS r ({}) VALUES ({}) RETURNING to_json(r.*)::text",
                table.qualified,
                names.join(", "),
                slots.join(", ")
            )
        };
        created.push(first_json(&tx, &sql, &params).await?.ok_or_else(ApiError::internal)?);
    }
    finish(tx, StatusCode::CREATED, format!("[{}]", created.join(","))).await
}

/// `PATCH …/records {pkKeys, data}`: one row, by its key; the updated row.
pub async fn update(grid: Grid, JsonBody(body): JsonBody<Value>) -> Result<Response, ApiError> {
    let (Some(keys), Some(Value::Object(data))) = (body.get("pkKeys"), body.get("data")) else {
        return Err(ApiError::invalid_input("Expected {pkKeys: {…}, data: {…}}"));
    };
    if data.is_empty() {
        return Err(ApiError::invalid_input("data: nothing to change"));
    }
    let mut client = grid.connect().await?;
    let (tx, table) = grid.begin(&mut client).await?;
    let mut params = Params::default();
    let set: Vec<String> = table
        .values(data, OnEmpty::Null)?
        .into_iter()
        .map(|(c, v)| format!("{} = {}", ident(&c.name), params.typed(v, c)))
        .collect();
    let matching = table.key_match(keys, &mut params)?;
    let sql = format!(
        "UPDATE {} AS r SET {} WHERE {matching} RETURNING to_json(r.*)::text",
        table.qualified,
        set.join(", ")
    );
    let Some(row) = first_json(&tx, &sql, &params).await? else {
        return Err(ApiError::not_found("DATABASE_NOT_FOUND", "Record not found"));
    };
    finish(tx, StatusCode::OK, row).await
}

/// `DELETE …/records {pkKeys: [{…}, …]}`: the rows of those keys; `{deletedCount}`.
pub async fn delete(grid: Grid, JsonBody(body): JsonBody<Value>) -> Result<Response, ApiError> {
    let keys = match body.get("pkKeys") {
        Some(Value::Array(keys)) if !keys.is_empty() => keys,
        _ => return Err(ApiError::invalid_input("pkKeys: expected a non-empty array of keys")),
    };
    let mut client = grid.connect().await?;
    let (tx, table) = grid.begin(&mut client).await?;
    let mut params = Params::default();
    let matching = keys
        .iter()
        .map(|k| table.key_match(k, &mut params))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = tx
        .execute(
            &format!("DELETE FROM {} WHERE {}", table.qualified, matching.join(" OR ")),
            &refs(&params)?,
        )
        .await
        .map_err(db)?;
    finish(tx, StatusCode::OK, format!("{{\"deletedCount\":{deleted}}}")).await
}
