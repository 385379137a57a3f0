//! `GET|POST /api/database/migrations`, `POST /api/database/migrations/dry-run`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oxforge_db::migrations::{self, ApplyError};
use oxforge_db::sql_script::{self, Risk};
use serde_json::{Value, json};

use crate::DatabaseState;
use crate::error::{SQL_TIMEOUT_MS, sql_error};
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, JsonBody, required_strings};

pub async fn list(_: Admin, State(state): State<DatabaseState>) -> Result<Json<Value>, ApiError> {
    let text = migrations::list(&state.owner_pool).await?;
    Ok(Json(serde_json::from_str(&text).map_err(|_| ApiError::internal())?))
}

/// Statements of a script, refusing the ones a migration may not run (403, as InsForge).
fn statements(sql: &str) -> Result<Vec<String>, ApiError> {
    let statements = sql_script::split(sql);
    if statements.is_empty() {
        return Err(ApiError::invalid_input("sql: Expected at least one SQL statement"));
    }
    for statement in &statements {
        if let Some(why) = sql_script::forbidden(statement) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                format!("{why}: {statement}"),
            ));
        }
    }
    Ok(statements)
}

fn apply_error(e: ApplyError) -> ApiError {
    match e {
        ApplyError::NotNewer { version, latest } => ApiError::new(
            StatusCode::CONFLICT,
            "DATABASE_MIGRATION_ALREADY_EXISTS",
            format!("Migration version {version} must be newer than the latest applied version {latest}"),
        )
        .with_next_actions(
            "Rename the migration with a newer version (for example the current UTC time YYYYMMDDHHmmss)",
        ),
        ApplyError::Statement { index, source } => {
            let mut err = sql_error(&source);
            err.message = format!("Statement {index} failed: {}", err.message);
            err
        }
        ApplyError::Db(e) => e.into(),
    }
}

pub async fn create(
    _: Admin,
    State(state): State<DatabaseState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let [version, name, sql] = required_strings(&body, ["version", "name", "sql"])?;
    if version.is_empty() || version.len() > 64 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_input("version: Expected 1 to 64 digits"));
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ApiError::invalid_input("name: Expected kebab-case (a-z, 0-9, -)"));
    }
    let statements = statements(sql)?;
    let stored = migrations::apply(&state.sql_pool, version, name, &statements, SQL_TIMEOUT_MS)
        .await
        .map_err(apply_error)?;
    let mut out: Value = serde_json::from_str(&stored).map_err(|_| ApiError::internal())?;
    if let Some(o) = out.as_object_mut() {
        o.insert("message".into(), json!("Migration applied successfully"));
    }
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub async fn dry_run(
    _: Admin,
    State(state): State<DatabaseState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let [sql] = required_strings(&body, ["sql"])?;
    let statements = statements(sql)?;
    let mut risk = Risk::Safe;
    let mut factors = Vec::new();
    for statement in &statements {
        let (level, why) = sql_script::risk(statement);
        risk = risk.max(level);
        if let Some(why) = why {
            factors.push(json!({ "level": level.as_str(), "statement": statement, "reason": why }));
        }
    }
    let error = match migrations::dry_run(&state.sql_pool, &statements, SQL_TIMEOUT_MS).await {
        Ok(()) => None,
        Err(e) => Some(apply_error(e).message),
    };
    Ok(Json(json!({
        "valid": error.is_none(),
        "statementCount": statements.len(),
        "statements": statements,
        "riskLevel": risk.as_str(),
        "riskFactors": factors,
        "error": error,
    })))
}
