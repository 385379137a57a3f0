//! How a failed admin statement is answered.

use axum::http::StatusCode;
use oxforge_db::DbError;

use oxforge_edge::ApiError;

/// Statement timeout of the SQL editor and of migrations.
pub const SQL_TIMEOUT_MS: u64 = 30_000;

/// A failed user-supplied statement, mapped the way InsForge maps PostgreSQL errors; anything
/// else it sent is still the caller's SQL, so a 400 rather than a 500.
pub fn sql_error(e: &tokio_postgres::Error) -> ApiError {
    let Some(db) = e.as_db_error() else {
        return ApiError::from(DbError::Protocol(e.to_string()));
    };
    let (status, code) = match db.code().code() {
        "23505" => (StatusCode::CONFLICT, "DATABASE_DUPLICATE"),
        "23503" => (StatusCode::BAD_REQUEST, "DATABASE_CONSTRAINT_VIOLATION"),
        "23502" => (StatusCode::BAD_REQUEST, "MISSING_FIELD"),
        "42P01" | "42703" | "42701" | "42804" | "42830" => (StatusCode::BAD_REQUEST, "DATABASE_VALIDATION_ERROR"),
        "42501" => (StatusCode::FORBIDDEN, "FORBIDDEN"),
        _ => (StatusCode::BAD_REQUEST, "INVALID_INPUT"),
    };
    let mut message = db.message().to_owned();
    if let Some(detail) = db.detail() {
        message.push_str(&format!(" ({detail})"));
    }
    ApiError::new(status, code, message)
}
