//! `POST /api/database/advance/rawsql` (as `project_admin`) and `/rawsql/unrestricted` (as the owner).

use axum::Json;
use axum::extract::State;
use oxforge_auth::Principal;
use oxforge_db::DbError;
use oxforge_db::catalog;
use oxforge_db::raw_sql::{self, Runner};
use oxforge_db::sql_script;
use serde_json::{Value, json};
use tokio_postgres::error::ErrorPosition;

use crate::DatabaseState;
use crate::error::{SQL_TIMEOUT_MS, sql_error};
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, Audit, JsonBody, required_strings};

pub(crate) fn params(body: &Value) -> Result<Vec<Option<String>>, ApiError> {
    match body.get("params") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items
            .iter()
            .map(|v| match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            })
            .collect()),
        Some(_) => Err(ApiError::invalid_input("params: Expected array")),
    }
}

/// `explain`: absent, `null` or a boolean.
fn explain(body: &Value) -> Result<bool, ApiError> {
    match body.get("explain") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(explain)) => Ok(*explain),
        Some(_) => Err(ApiError::invalid_input("explain: Expected boolean")),
    }
}

/// The admin's `request.jwt.claims` in the SQL editor: `{"role":"project_admin"}`, with the
/// `sub` of an admin session (the API key has none).
pub(crate) fn admin_claims(admin: &Principal) -> String {
    let mut claims = json!({ "role": "project_admin" });
    if let Principal::Admin { sub: Some(sub) } = admin {
        claims["sub"] = Value::String(sub.clone());
    }
    claims.to_string()
}

async fn run(state: &DatabaseState, admin: &Principal, runner: Runner, body: &Value) -> Result<Json<Value>, ApiError> {
    let [query] = required_strings(body, ["query"])?;
    if query.trim().is_empty() {
        return Err(ApiError::invalid_input(
            "query: String must contain at least 1 character(s)",
        ));
    }
    let params = params(body)?;
    let pool = match runner {
        Runner::ProjectAdmin => &state.sql_pool,
        Runner::Owner => &state.owner_pool,
    };
    let claims = admin_claims(admin);
    let ran = if explain(body)? {
        // Planned, never run: InsForge's editor sends `explain: true` for its plan view, and
        // running the statement instead would change data behind an "Explain" button.
        let statement = sql_script::explainable(query).map_err(|why| ApiError::invalid_input(why.message()))?;
        raw_sql::explain(pool, runner, &statement, &params, &claims, SQL_TIMEOUT_MS).await
    } else {
        raw_sql::run(pool, runner, query, &params, &claims, SQL_TIMEOUT_MS).await
    };
    answer(state, query, ran).await
}

/// The SQL editor's answer to a run: `{rows, rowCount, fields, warnings?}`, or the statement's
/// error.
pub(crate) async fn answer(
    state: &DatabaseState,
    query: &str,
    ran: Result<raw_sql::SqlResult, DbError>,
) -> Result<Json<Value>, ApiError> {
    let result = match ran {
        Ok(result) => result,
        Err(DbError::Postgres(e)) => return Err(with_position(sql_error(&e), &e, query)),
        Err(e) => return Err(e.into()),
    };
    let rows: Value = serde_json::from_str(&result.rows).map_err(|_| ApiError::internal())?;
    let fields: Vec<Value> = result
        .fields
        .iter()
        .map(|(name, oid)| json!({ "name": name, "dataTypeID": oid }))
        .collect();
    let mut out = json!({ "rows": rows, "rowCount": result.row_count, "fields": fields });
    let open = {
        let client = state.owner_pool.get().await.map_err(DbError::from)?;
        catalog::tables_open_to_anon(&client, 20).await?
    };
    if !open.is_empty() {
        // oxforge's own addition to InsForge's answer: RLS off means the anon key reads and
        // changes every row of these tables.
        out["warnings"] = open
            .iter()
            .map(|t| {
                Value::String(format!(
                    "Row Level Security is off on {t}: anyone with the anon key can read and change every row. \
                     Run: ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; and add policies."
                ))
            })
            .collect();
    }
    Ok(Json(out))
}

/// Adds PostgreSQL's position of the error in the caller's SQL: counted in `query` as sent
/// (the statement ran without its leading blanks), and only when it falls inside it.
fn with_position(error: ApiError, e: &tokio_postgres::Error, query: &str) -> ApiError {
    let Some(ErrorPosition::Original(position)) = e.as_db_error().and_then(|db| db.position()) else {
        return error;
    };
    let blanks = query.chars().count() - query.trim_start().chars().count();
    let trimmed = query.trim().trim_end_matches(';').trim_end().chars().count();
    match u32::try_from(blanks) {
        Ok(blanks) if (*position as usize) <= trimmed => error.with_position(position + blanks),
        _ => error,
    }
}

/// Records a statement the editor ran (or planned), its first characters as details.
fn record(audit: &Audit, admin: &Principal, action: &'static str, body: &Value) {
    let query = body.get("query").and_then(Value::as_str).unwrap_or_default();
    audit.record(
        admin,
        action,
        "DATABASE",
        json!({ "query": oxforge_edge::audit::excerpt(query) }),
    );
}

pub async fn restricted(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<DatabaseState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let out = run(&state, &admin, Runner::ProjectAdmin, &body).await?;
    record(&audit, &admin, "RAW_SQL", &body);
    Ok(out)
}

pub async fn unrestricted(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<DatabaseState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let out = run(&state, &admin, Runner::Owner, &body).await?;
    record(&audit, &admin, "RAW_SQL_UNRESTRICTED", &body);
    Ok(out)
}
