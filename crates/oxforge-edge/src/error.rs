//! InsForge's error envelope, and the one mapping from library errors to it.
//!
//! A conversion never logs: an internal cause rides on the error ([`ApiError::cause`]), into the
//! response's extensions as an [`ErrorCause`], and the request log layer writes it down. The
//! client sees only `message`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oxforge_auth::AuthError;
use oxforge_db::DbError;
use serde::Serialize;

/// `{"error": CODE, "message": "...", "statusCode": 401, "nextActions"?: "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub next_actions: Option<String>,
    /// Seconds for a `Retry-After` header (503s).
    pub retry_after: Option<u32>,
    /// Where in the caller's SQL the error is (PostgreSQL's 1-based character position; the
    /// SQL editor's errors only). oxforge's addition to the envelope.
    pub position: Option<u32>,
    /// What went wrong inside, for the log only (never sent).
    pub cause: Option<ErrorCause>,
}

/// The internal cause of an error answer, left in the response's extensions for the log layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCause {
    /// `true`: the server failed (logged as an error); `false`: a dependency is unavailable for
    /// now (a warning).
    pub failure: bool,
    pub detail: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    error: &'a str,
    message: &'a str,
    status_code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_actions: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            next_actions: None,
            retry_after: None,
            position: None,
            cause: None,
        }
    }

    /// Points the error at a place in the caller's SQL (1-based character position).
    pub fn with_position(mut self, position: u32) -> Self {
        self.position = Some(position);
        self
    }

    /// Keeps `detail` for the log (never in the answer).
    pub fn with_cause(mut self, detail: impl std::fmt::Display) -> Self {
        self.cause = Some(ErrorCause {
            failure: self.status.is_server_error() && self.status != StatusCode::SERVICE_UNAVAILABLE,
            detail: detail.to_string(),
        });
        self
    }

    pub fn with_next_actions(mut self, next: impl Into<String>) -> Self {
        self.next_actions = Some(next.into());
        self
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", message)
    }

    /// `429 TOO_MANY_REQUESTS` with `Retry-After: retry_after_seconds`.
    pub fn too_many_requests(message: impl Into<String>, retry_after_seconds: u32) -> Self {
        let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS", message);
        error.retry_after = Some(retry_after_seconds);
        error
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Internal server error",
        )
    }

    /// A `500 INTERNAL_ERROR` whose cause goes to the log.
    pub fn internal_because(cause: impl std::fmt::Display) -> Self {
        ApiError::internal().with_cause(cause)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            error: self.code,
            message: &self.message,
            status_code: self.status.as_u16(),
            next_actions: self.next_actions.as_deref(),
            position: self.position,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(cause);
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let (status, code) = match e {
            AuthError::NoToken | AuthError::NoAdminToken | AuthError::InvalidAnonKey => {
                (StatusCode::UNAUTHORIZED, "AUTH_INVALID_CREDENTIALS")
            }
            AuthError::InvalidApiKey => (StatusCode::UNAUTHORIZED, "AUTH_INVALID_API_KEY"),
            AuthError::InvalidToken
            | AuthError::InvalidSubject
            | AuthError::RefreshTokenAsAccessToken
            | AuthError::InvalidAdminCredentials
            | AuthError::Provider(_) => (StatusCode::UNAUTHORIZED, "AUTH_UNAUTHORIZED"),
            AuthError::AdminRequired => (StatusCode::FORBIDDEN, "AUTH_UNAUTHORIZED"),
            AuthError::InvalidRole | AuthError::SharedSecretAdmin => (StatusCode::FORBIDDEN, "FORBIDDEN"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            let mut err = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "DATABASE_UNAVAILABLE",
                "The database is not reachable right now; retry shortly",
            )
            .with_cause(format_args!("database unavailable: {e}"));
            err.retry_after = Some(1);
            return err;
        }
        // Class 22 (data exception: a NUL byte, a bad encoding, a value out of range) is
        // always about what the client sent.
        let data_exception = e.as_db_error().is_some_and(|db| db.code().code().starts_with("22"));
        if matches!(e, DbError::NulByte) || data_exception {
            let message = e
                .as_db_error()
                .map_or_else(|| e.to_string(), |db| db.message().to_owned());
            return ApiError::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", message);
        }
        ApiError::internal_because(format_args!("database error: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_errors_map_to_insforge_codes() {
        let cases = [
            (AuthError::NoToken, 401, "AUTH_INVALID_CREDENTIALS", "No token provided"),
            (AuthError::InvalidToken, 401, "AUTH_UNAUTHORIZED", "Invalid token"),
            (
                AuthError::InvalidAnonKey,
                401,
                "AUTH_INVALID_CREDENTIALS",
                "Invalid anon key",
            ),
            (AuthError::InvalidApiKey, 401, "AUTH_INVALID_API_KEY", "Invalid API key"),
            (
                AuthError::AdminRequired,
                403,
                "AUTH_UNAUTHORIZED",
                "Admin access required",
            ),
            (AuthError::InvalidRole, 403, "FORBIDDEN", "Invalid user role claim"),
        ];
        for (err, status, code, message) in cases {
            let api = ApiError::from(err);
            assert_eq!(
                (api.status.as_u16(), api.code, api.message.as_str()),
                (status, code, message)
            );
        }
    }

    #[test]
    fn a_cause_reaches_the_log_layer_and_not_the_client() {
        let response = ApiError::internal_because("disk on fire").into_response();
        let cause = response.extensions().get::<ErrorCause>().cloned();
        assert_eq!(
            cause,
            Some(ErrorCause {
                failure: true,
                detail: "disk on fire".into()
            })
        );
        let unavailable = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "X", "later").with_cause("down");
        assert_eq!(unavailable.cause.map(|c| c.failure), Some(false));
    }
}
