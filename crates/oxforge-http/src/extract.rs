//! Extractors: who is calling (any credential / admin only) and JSON bodies.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use oxforge_auth::Principal;
use oxforge_auth::credential::{Presented, classify};
use serde::de::DeserializeOwned;
use tower_http::timeout::TimeoutError;

use crate::{ApiError, AppState};

fn presented(parts: &Parts) -> Presented<'_> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    classify(header("authorization"), header("x-api-key"))
}

/// A refused credential, with the usual beginner's mistake named when the headers show one: a
/// token without the `Bearer` scheme, Supabase's `apikey` header, the anon key (or a JWT) in
/// `x-api-key`. Only the message changes; what is accepted does not.
fn name_the_mistake(parts: &Parts, error: oxforge_auth::AuthError) -> ApiError {
    // The message stays InsForge's ("Invalid token"); why goes into `nextActions`.
    let bearer = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(oxforge_auth::credential::bearer_token);
    let why = match (&error, bearer) {
        (oxforge_auth::AuthError::InvalidToken, Some(token)) => Some(crate::routes::auth_diagnostics::explain(
            token,
            &error,
            oxforge_auth::now_seconds(),
        )),
        _ => None,
    };
    let mut api = ApiError::from(error);
    if let Some(why) = why {
        api = api.with_next_actions(format!("The token was refused: {why}"));
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let fix = match (header("authorization"), header("x-api-key"), header("apikey")) {
        (_, Some(key), _) if key.starts_with("anon_") || key.starts_with("eyJ") => Some(
            "`x-api-key` takes the admin API key (ik_…); send the anon key or a user's token as `Authorization: Bearer <token>`",
        ),
        (Some(auth), None, _) if ["eyJ", "ik_", "anon_"].iter().any(|p| auth.starts_with(p)) => {
            Some("the Authorization header needs the Bearer scheme: `Authorization: Bearer <token>`")
        }
        (None, None, Some(_)) => {
            Some("the `apikey` header is not read here (as in InsForge): send the key as `Authorization: Bearer <key>`")
        }
        _ => None,
    };
    if let Some(fix) = fix {
        api.message = format!("{}: {fix}", api.message);
    }
    api
}

/// Any valid credential: API key, anon key or JWT (InsForge's `verifyUser`).
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.auth.authenticate(presented(parts)).await {
            Ok(principal) => Ok(Caller(principal)),
            Err(e) => Err(name_the_mistake(parts, e)),
        }
    }
}

/// A credential if one is presented (an invalid one is still an error, never ignored).
pub struct MaybeCaller(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match presented(parts) {
            Presented::None => Ok(MaybeCaller(None)),
            p => match state.auth.authenticate(p).await {
                Ok(principal) => Ok(MaybeCaller(Some(principal))),
                Err(e) => Err(name_the_mistake(parts, e)),
            },
        }
    }
}

/// A signed-in user: a JWT with role `authenticated` (InsForge's `verifyToken` + role check).
pub struct SignedIn(pub oxforge_auth::principal::UserClaims);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = match presented(parts) {
            Presented::None => return Err(oxforge_auth::AuthError::NoToken.into()),
            Presented::Jwt(token) => token,
            // Keys are not user tokens.
            Presented::ApiKey(_) | Presented::AnonKey(_) => return Err(oxforge_auth::AuthError::InvalidToken.into()),
        };
        match state.auth.authenticate(Presented::Jwt(token)).await? {
            Principal::User(user) => Ok(SignedIn(user)),
            _ => Err(oxforge_auth::AuthError::InvalidToken.into()),
        }
    }
}

/// The API key or a `project_admin` JWT (InsForge's `verifyAdmin`).
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.auth.authenticate_admin(presented(parts)).await {
            Ok(principal) => Ok(Admin(principal)),
            Err(e) => Err(name_the_mistake(parts, e)),
        }
    }
}

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
