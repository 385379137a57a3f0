//! `POST /api/auth/refresh`, `POST /api/auth/logout`, `GET /api/auth/sessions/current`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Response};
use oxforge_auth::Principal;
use serde_json::{Map, Value, json};

use super::session::{self, clearing, is_web};
use crate::session::{PresentedSession, SessionKind};
use crate::{AccountsError, AccountsState};
use oxforge_edge::ApiError;
use oxforge_edge::SignedIn;

pub async fn refresh(
    State(state): State<AccountsState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let web = is_web(query.as_deref());
    let kind = SessionKind::User;
    let token = if web {
        match session::cookie(&headers, kind.cookie()) {
            Some(t) => t,
            None => return clearing(kind, web, AccountsError::NoRefreshToken),
        }
    } else {
        match session::body_token(&body) {
            Some(t) => t,
            None => return ApiError::invalid_input("refreshToken: Required").into_response(),
        }
    };
    let presented = PresentedSession {
        token: &token,
        csrf: web.then(|| session::csrf_header(&headers)),
    };
    match state.service(None).refresh(kind, presented).await {
        Ok(refreshed) => {
            let mut out = Map::new();
            out.insert(
                "accessToken".into(),
                Value::String(refreshed.issued.access_token.clone()),
            );
            out.insert("user".into(), refreshed.user.unwrap_or(Value::Null));
            session::respond(kind, web, out, refreshed.issued)
        }
        Err(e) => clearing(kind, web && e.clears_session(), e),
    }
}

/// Signs out: the session (if the refresh token is valid) is revoked and the cookie cleared.
/// Web clients must send the CSRF value when they present a valid session cookie.
pub async fn logout(
    State(state): State<AccountsState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    logout_kind(&state, SessionKind::User, is_web(query.as_deref()), &headers, &body).await
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
        session::body_token(body)
    };
    let presented = token.as_deref().map(|token| PresentedSession {
        token,
        csrf: web.then(|| session::csrf_header(headers)),
    });
    if let Err(e) = state.service(None).logout(kind, presented).await {
        return ApiError::from(e).into_response();
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
    let user = state.service(Some(Principal::User(user))).current_user().await?;
    Ok(Json(json!({ "user": user })))
}
