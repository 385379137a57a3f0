//! PostgREST's error bodies `{code, details, hint, message}` and its SQLSTATE → status table.
//! These pass through InsForge unchanged, so the SDK (and `maybeSingle()`) sees them as-is.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oxforge_auth::Role;
use oxforge_db::DbError;
use serde_json::json;

use crate::ApiError;

pub use oxforge_api_request::PgrstError;

/// A data-API handler's early exit: an InsForge envelope (the gateway's own errors: credentials,
/// limits, an unavailable database) or a PostgREST error body (everything PostgREST would say).
#[derive(Debug)]
pub enum Reject {
    Gateway(ApiError),
    Postgrest(PgrstError),
}

impl From<ApiError> for Reject {
    fn from(e: ApiError) -> Self {
        Reject::Gateway(e)
    }
}

impl From<PgrstError> for Reject {
    fn from(e: PgrstError) -> Self {
        Reject::Postgrest(e)
    }
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        match self {
            Reject::Gateway(e) => e.into_response(),
            Reject::Postgrest(e) => render(e),
        }
    }
}

/// PostgREST's `PGRST102`: the body is not the JSON the endpoint needs.
pub fn invalid_json() -> PgrstError {
    PgrstError::new(400, "PGRST102", "Empty or invalid json")
}

/// Renders a PostgREST error: its status and `{code, details, hint, message}`.
pub fn render(e: PgrstError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({
        "code": e.code,
        "details": e.details,
        "hint": e.hint,
        "message": e.message,
    });
    (status, Json(body)).into_response()
}

/// PostgREST's status for a SQLSTATE; `42501` depends on whether the caller is anonymous.
pub fn status_for_sqlstate(code: &str, role: Role) -> u16 {
    match code {
        "23503" | "23505" => 409,
        "25006" => 405,
        "P0001" => 400,
        // A statement timeout: the gateway waited too long (PostgREST says 500).
        "57014" => 504,
        "42883" | "42P01" => 404,
        "42P17" => 500,
        "42501" => {
            if role == Role::Anon {
                401
            } else {
                403
            }
        }
        c if c.starts_with("08") => 503,
        c if c.starts_with("53") => 503,
        c if c.starts_with("0L") || c.starts_with("0P") || c.starts_with("28") => 403,
        c if [
            "09", "25", "2D", "38", "39", "3B", "40", "54", "55", "57", "58", "F0", "HV", "P0", "XX",
        ]
        .iter()
        .any(|p| c.starts_with(p)) =>
        {
            500
        }
        _ => 400,
    }
}

/// Turns a database failure into the answer the client gets; `representation`: the request
/// asked for `return=representation` (the hint of an RLS refusal depends on it).
pub fn database_error(e: DbError, role: Role, representation: bool) -> Reject {
    if e.is_unavailable() {
        return ApiError::from(e).into();
    }
    if matches!(e, DbError::NulByte) {
        return PgrstError::new(400, "22021", e.to_string()).into();
    }
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let mut err = PgrstError::new(status_for_sqlstate(code, role), code, db.message());
        err.details = db.detail().map(str::to_owned);
        err.hint = db.hint().map(str::to_owned);
        if code == "42501" && err.hint.is_none() && db.message().contains("row-level security") {
            err.hint = Some(if representation {
                "With return=representation the new row must also pass a SELECT policy for this role.".into()
            } else {
                "The row must pass the WITH CHECK expression of a policy for this role and command.".into()
            });
        }
        return err.into();
    }
    ApiError::from(e).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstate_table() {
        assert_eq!(status_for_sqlstate("42501", Role::Anon), 401);
        assert_eq!(status_for_sqlstate("42501", Role::Authenticated), 403);
        assert_eq!(status_for_sqlstate("23505", Role::Authenticated), 409);
        assert_eq!(status_for_sqlstate("22P02", Role::Anon), 400);
        assert_eq!(status_for_sqlstate("42P01", Role::Anon), 404);
        assert_eq!(status_for_sqlstate("25006", Role::Anon), 405);
        assert_eq!(status_for_sqlstate("57014", Role::Anon), 504);
        assert_eq!(status_for_sqlstate("57000", Role::Anon), 500);
        assert_eq!(status_for_sqlstate("08006", Role::Anon), 503);
        assert_eq!(status_for_sqlstate("P0001", Role::Anon), 400);
    }
}
