//! The root admin's session: `POST /api/auth/admin/sessions` (username + password),
//! `/admin/refresh` (cookie + CSRF), `/admin/logout`, `GET /admin/sessions/current`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::ClientAddress;
use super::refresh::logout_kind;
use super::session::{self, clearing};
use crate::session::{PresentedSession, SessionKind};
use crate::{AccountsError, AccountsState};
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, JsonBody, required_strings};

/// Admin sessions are always web sessions: cookie and CSRF.
const WEB: bool = true;

fn admin_body(sub: &str, access_token: String) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("admin".into(), json!({ "sub": sub }));
    out.insert("accessToken".into(), Value::String(access_token));
    out
}

/// Failures are limited per client address (growing waits) and over all addresses.
pub async fn sign_in(
    State(state): State<AccountsState>,
    ClientAddress(client): ClientAddress,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let [username, password] = required_strings(&body, ["username", "password"])?;
    let signed_in = state.service(None).admin_sign_in(username, password, &client).await?;
    let out = admin_body(&signed_in.subject, signed_in.issued.access_token.clone());
    Ok(session::respond(SessionKind::Admin, WEB, out, signed_in.issued))
}

pub async fn refresh(State(state): State<AccountsState>, headers: HeaderMap) -> Response {
    let kind = SessionKind::Admin;
    let Some(token) = session::cookie(&headers, kind.cookie()) else {
        return clearing(kind, WEB, AccountsError::NoRefreshToken);
    };
    let presented = PresentedSession {
        token: &token,
        csrf: Some(session::csrf_header(&headers)),
    };
    match state.service(None).refresh(kind, presented).await {
        Ok(refreshed) => {
            let out = admin_body(&refreshed.subject, refreshed.issued.access_token.clone());
            session::respond(kind, WEB, out, refreshed.issued)
        }
        Err(e) => clearing(kind, e.clears_session(), e),
    }
}

pub async fn logout(State(state): State<AccountsState>, headers: HeaderMap, body: Bytes) -> Response {
    logout_kind(&state, SessionKind::Admin, WEB, &headers, &body).await
}

/// `{admin:{sub}}`: the token's subject, or `api-key` for the API key.
pub async fn current(Admin(admin): Admin, State(state): State<AccountsState>) -> Result<Json<Value>, ApiError> {
    let sub = state.service(Some(admin)).as_admin()?.subject();
    Ok(Json(json!({ "admin": { "sub": sub } })))
}
