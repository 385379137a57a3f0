//! Request bodies: JSON read whole under the route's size limit, with one rejection for a body
//! that is too large, too late or unreadable, and PostgREST's `PGRST102` for the data API.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use tower_http::timeout::TimeoutError;

use crate::ApiError;
use crate::pgrst::{Reject, invalid_json};

/// A JSON body, whatever its `Content-Type` says; bad JSON is `400 INVALID_INPUT`, an
/// oversize body `413`.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::invalid_input(format!("Invalid JSON body: {e}")))
    }
}

/// Why a body could not be read, as an envelope: over the route's limit `413
/// PAYLOAD_TOO_LARGE`, not sent in time (the server's body read timeout) `408 REQUEST_TIMEOUT`,
/// anything else `400 INVALID_INPUT`.
pub fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "Request body is too large",
        );
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&rejection);
    while let Some(error) = cause {
        if error.is::<TimeoutError>() {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "The request body was not received in time",
            );
        }
        cause = error.source();
    }
    ApiError::invalid_input(format!("Cannot read the request body: {rejection}"))
}

/// Collects `"<field>: Required"` messages the way InsForge's validation reports them.
pub fn required_strings<'a, const N: usize>(
    body: &'a serde_json::Value,
    fields: [&'static str; N],
) -> Result<[&'a str; N], ApiError> {
    let mut missing = Vec::new();
    let values = fields.map(|field| match body.get(field).and_then(|v| v.as_str()) {
        Some(value) => value,
        None => {
            missing.push(if body.get(field).is_some_and(|v| !v.is_null()) {
                format!("{field}: Expected string")
            } else {
                format!("{field}: Required")
            });
            ""
        }
    });
    if missing.is_empty() {
        Ok(values)
    } else {
        Err(ApiError::invalid_input(missing.join(", ")))
    }
}

/// The request body, or an InsForge envelope when it is too large, late or unreadable.
pub fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Reject> {
    body.map_err(|rejection| Reject::from(body_rejection(rejection)))
}

/// Bodies up to this size are parsed where they arrive; larger ones on a blocking thread, so
/// that parsing megabytes of JSON does not stall the other requests of an async worker.
const INLINE_PARSE_LIMIT: usize = 64 * 1024;

/// Parses JSON, off the async workers when the body is large.
pub async fn parse_json(bytes: Bytes) -> Result<serde_json::Result<serde_json::Value>, ApiError> {
    if bytes.len() <= INLINE_PARSE_LIMIT {
        return Ok(serde_json::from_slice(&bytes));
    }
    tokio::task::spawn_blocking(move || serde_json::from_slice(&bytes))
        .await
        .map_err(|e| ApiError::internal_because(format_args!("JSON parsing task failed: {e}")))
}

/// A JSON body as PostgREST reads it: `PGRST102` (with the parser's reason) when it is not JSON.
pub async fn pgrst_json(bytes: Bytes) -> Result<serde_json::Value, Reject> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid_json().into());
    }
    parse_json(bytes)
        .await?
        .map_err(|e| invalid_json().with_details(e.to_string()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_messages() {
        let err = required_strings(&json!({"password": 5}), ["username", "password"]).unwrap_err();
        assert_eq!(err.message, "username: Required, password: Expected string");
        let body = json!({"username": "a", "password": "b"});
        let [u, p] = required_strings(&body, ["username", "password"]).unwrap();
        assert_eq!((u, p), ("a", "b"));
    }
}
