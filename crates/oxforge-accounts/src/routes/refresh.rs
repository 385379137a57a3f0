//! `POST /api/auth/refresh`, `POST /api/auth/logout`, `GET /api/auth/sessions/current`.

use crate::query;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Response};
use oxforge_auth::Role;
use oxforge_db::DbError;
use serde_json::{Map, Value, json};

use super::session::{self, SessionKind, clearing, unauthorized, user_value};
use crate::AccountsState;
use crate::validate;
use oxforge_edge::ApiError;
use oxforge_edge::SignedIn;

/// The refresh token of a non-web client: `refreshToken` or `refresh_token` in the JSON body.
fn body_token(body: &Bytes) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    ["refreshToken", "refresh_token"]
        .iter()
        .find_map(|k| value.get(k).and_then(Value::as_str))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

pub async fn refresh(
    State(state): State<AccountsState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let web = session::is_web(query.as_deref());
    let kind = SessionKind::User;
    let token = if web {
        match session::cookie(&headers, kind.cookie()) {
            Some(t) => t,
            None => return clearing(kind, web, unauthorized("No refresh token provided")),
        }
    } else {
        match body_token(&body) {
            Some(t) => t,
            None => return ApiError::invalid_input("refreshToken: Required").into_response(),
        }
    };
    let claims = match session::verify(&state, kind, &token) {
        Ok(c) => c,
        Err(e) => return clearing(kind, web, e),
    };
    if web && !session::csrf_matches(&state, &claims, &headers) {
        return session::invalid_csrf().into_response();
    }
    let (issued, rotated) = match session::rotate(&state, kind, &claims, Role::Authenticated).await {
        Ok(r) => r,
        Err(e) => return clearing(kind, web, e),
    };
    let user = match rotated.user.as_ref().map(|u| user_value(&u.json)).transpose() {
        Ok(u) => u.unwrap_or(Value::Null),
        Err(e) => return e.into_response(),
    };
    let mut out = Map::new();
    out.insert("accessToken".into(), Value::String(issued.access_token.clone()));
    out.insert("user".into(), user);
    session::respond(kind, web, out, issued)
}

/// Signs out: the session (if the refresh token is valid) is revoked and the cookie cleared.
/// Web clients must send the CSRF value when they present a valid session cookie.
pub async fn logout(
    State(state): State<AccountsState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    logout_kind(
        &state,
        SessionKind::User,
        session::is_web(query.as_deref()),
        &headers,
        &body,
    )
    .await
}

pub(super) async fn logout_kind(
    state: &AccountsState,
    kind: SessionKind,
    web: bool,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let token = if web {
        session::cookie(headers, kind.cookie())
    } else {
        body_token(body)
    };
    if let Some(claims) = token.and_then(|t| session::verify(state, kind, &t).ok()) {
        if web && !session::csrf_matches(state, &claims, headers) {
            return session::invalid_csrf().into_response();
        }
        if let Err(e) = session::revoke(state, &claims).await {
            return e.into_response();
        }
    }
    let body = Json(json!({ "success": true, "message": "Logged out successfully" }));
    if web {
        (AppendHeaders([(SET_COOKIE, session::clear_cookie(kind))]), body).into_response()
    } else {
        body.into_response()
    }
}

/// `{user}` of the signed-in user.
pub async fn current(State(state): State<AccountsState>, SignedIn(user): SignedIn) -> Result<Json<Value>, ApiError> {
    if !validate::is_uuid(&user.sub) {
        return Err(not_found());
    }
    let client = state.pool.get().await.map_err(DbError::from)?;
    let row = query::user_by_id(&client, &user.sub).await?.ok_or_else(not_found)?;
    Ok(Json(json!({ "user": user_value(&row.json)? })))
}

pub fn not_found() -> ApiError {
    ApiError::not_found("AUTH_USER_NOT_FOUND", "User not found")
}
