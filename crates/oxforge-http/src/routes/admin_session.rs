//! `POST /api/auth/admin/sessions`: the root admin signs in with username and password.

use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Response};
use oxforge_auth::{AuthError, Role, csrf, jwt};
use serde_json::{Value, json};

use crate::extract::{JsonBody, required_strings};
use crate::{ApiError, AppState};

pub const ADMIN_REFRESH_COOKIE: &str = "insforge_admin_refresh_token";
const ADMIN_COOKIE_PATH: &str = "/api/auth/admin";

fn signing_failed(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "cannot sign a token");
    ApiError::internal()
}

pub async fn sign_in(State(state): State<AppState>, JsonBody(body): JsonBody<Value>) -> Result<Response, ApiError> {
    let [username, password] = required_strings(&body, ["username", "password"])?;
    if !state.admin.verify(username, password) {
        return Err(AuthError::InvalidAdminCredentials.into());
    }
    let sub = state.admin.subject();
    let settings = &state.settings;
    let access_token = state
        .auth
        .sign_access_token(&sub, None, Role::ProjectAdmin, settings.access_token_ttl_seconds)
        .map_err(signing_failed)?;
    let secret = state.auth.credentials().jwt_secret.clone();
    let nonce = csrf::new_nonce();
    let refresh = jwt::sign_refresh_token(
        secret.as_bytes(),
        &sub,
        "admin",
        &nonce,
        settings.refresh_token_ttl_seconds,
    )
    .map_err(signing_failed)?;
    let cookie = format!(
        "{ADMIN_REFRESH_COOKIE}={refresh}; Max-Age={}; Path={ADMIN_COOKIE_PATH}; HttpOnly; Secure; SameSite=None",
        settings.refresh_token_ttl_seconds
    );
    let body = json!({
        "admin": { "sub": sub },
        "accessToken": access_token,
        "csrfToken": csrf::csrf_token(secret.as_bytes(), "admin", &sub, &nonce),
    });
    Ok((AppendHeaders([(SET_COOKIE, cookie)]), Json(body)).into_response())
}
