//! The root admin's session: `POST /api/auth/admin/sessions` (username + password),
//! `/admin/refresh` (cookie + CSRF), `/admin/logout`, `GET /admin/sessions/current`.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use oxforge_auth::{AuthError, Principal, Role};
use serde_json::{Map, Value, json};

use super::refresh::logout_kind;
use super::session::{self, SessionKind, clearing, unauthorized};
use crate::AccountsState;
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, JsonBody, required_strings};

fn admin_body(sub: &str, access_token: String) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("admin".into(), json!({ "sub": sub }));
    out.insert("accessToken".into(), Value::String(access_token));
    out
}

/// Failures are limited per client address (growing waits) and over all addresses.
pub async fn sign_in(
    State(state): State<AccountsState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let [username, password] = required_strings(&body, ["username", "password"])?;
    let attempt = state.limits.admin_sign_in(&state.limits.client(peer, &headers))?;
    if !state.admin.verify(username, password) {
        attempt.failed();
        return Err(AuthError::InvalidAdminCredentials.into());
    }
    attempt.succeeded();
    let sub = state.admin.subject();
    let issued = session::issue(&state, SessionKind::Admin, &sub, None, None, Role::ProjectAdmin).await?;
    let out = admin_body(&sub, issued.access_token.clone());
    Ok(session::respond(SessionKind::Admin, true, out, issued))
}

pub async fn refresh(State(state): State<AccountsState>, headers: HeaderMap) -> Response {
    let kind = SessionKind::Admin;
    let Some(token) = session::cookie(&headers, kind.cookie()) else {
        return clearing(kind, true, unauthorized("No refresh token provided"));
    };
    let claims = match session::verify(&state, kind, &token) {
        Ok(c) => c,
        Err(e) => return clearing(kind, true, e),
    };
    if !session::csrf_matches(&state, &claims, &headers) {
        return session::invalid_csrf().into_response();
    }
    match session::rotate(&state, kind, &claims, Role::ProjectAdmin).await {
        Ok((issued, rotated)) => {
            let out = admin_body(&rotated.subject, issued.access_token.clone());
            session::respond(kind, true, out, issued)
        }
        Err(e) => clearing(kind, true, e),
    }
}

pub async fn logout(State(state): State<AccountsState>, headers: HeaderMap, body: Bytes) -> Response {
    logout_kind(&state, SessionKind::Admin, true, &headers, &body).await
}

/// `{admin:{sub}}`: the token's subject, or `api-key` for the API key.
pub async fn current(Admin(principal): Admin) -> Json<Value> {
    let sub = match principal {
        Principal::Admin { sub: Some(sub) } => sub,
        _ => "api-key".to_owned(),
    };
    Json(json!({ "admin": { "sub": sub } }))
}
