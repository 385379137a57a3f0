//! Sessions: issuing access + refresh tokens, rotating them, cookies and CSRF, and the shape of
//! session responses for web and non-web clients.

use crate::query::{self, NewSession, Rotated, Rotation};
use axum::Json;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use oxforge_auth::jwt::{RefreshClaims, new_token_id, sign_refresh_token, verify_refresh_token};
use oxforge_auth::{Role, csrf};
use oxforge_db::DbError;
use serde_json::{Map, Value};

use crate::AccountsState;
use oxforge_edge::ApiError;

/// Whose session: a user's (`/api/auth`) or the root admin's (`/api/auth/admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    User,
    Admin,
}

impl SessionKind {
    pub fn name(self) -> &'static str {
        match self {
            SessionKind::User => "user",
            SessionKind::Admin => "admin",
        }
    }

    pub fn cookie(self) -> &'static str {
        match self {
            SessionKind::User => "insforge_refresh_token",
            SessionKind::Admin => "insforge_admin_refresh_token",
        }
    }

    fn cookie_path(self) -> &'static str {
        match self {
            SessionKind::User => "/api/auth",
            SessionKind::Admin => "/api/auth/admin",
        }
    }
}

/// `?client_type=mobile|desktop|server` is non-web; anything else (or nothing) is web.
pub fn is_web(raw_query: Option<&str>) -> bool {
    let client_type = form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "client_type")
        .map(|(_, v)| v.into_owned());
    !matches!(client_type.as_deref(), Some("mobile" | "desktop" | "server"))
}

/// The tokens of a new or rotated session.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub csrf_token: String,
    /// Seconds the refresh token (and its cookie) lives.
    pub refresh_ttl: i64,
}

fn signing_failed(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "cannot sign a token");
    ApiError::internal()
}

pub fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "AUTH_UNAUTHORIZED", message)
}

fn tokens(
    state: &AccountsState,
    kind: SessionKind,
    claims: &RefreshClaims,
    email: Option<&str>,
    role: Role,
) -> Result<Issued, ApiError> {
    let secret = state.auth.credentials().jwt_secret.clone();
    let settings = &state.settings;
    Ok(Issued {
        access_token: state
            .auth
            .sign_access_token(&claims.sub, email, role, settings.access_token_ttl)
            .map_err(signing_failed)?,
        refresh_token: sign_refresh_token(secret.as_bytes(), claims).map_err(signing_failed)?,
        csrf_token: csrf::csrf_token(secret.as_bytes(), kind.name(), &claims.sub, &claims.csrf_nonce),
        refresh_ttl: claims.exp - claims.iat,
    })
}

/// What an admin session is bound to: the current root admin credentials (none for users).
fn credential_epoch(state: &AccountsState, kind: SessionKind) -> Option<String> {
    (kind == SessionKind::Admin).then(|| state.admin.epoch(state.auth.credentials().jwt_secret.as_bytes()))
}

/// Starts a session for `subject` (a user id, or `local:<admin>`).
pub async fn issue(
    state: &AccountsState,
    kind: SessionKind,
    subject: &str,
    user_id: Option<&str>,
    email: Option<&str>,
    role: Role,
) -> Result<Issued, ApiError> {
    let nonce = csrf::new_nonce();
    let token_id = new_token_id();
    let epoch = credential_epoch(state, kind);
    let client = state.pool.get().await.map_err(DbError::from)?;
    let new = NewSession {
        subject,
        user_id,
        session_type: kind.name(),
        csrf_nonce: &nonce,
        token_id: &token_id,
        ttl_seconds: state.settings.refresh_token_ttl,
        max_lifetime_seconds: state.settings.session_max_lifetime,
        credential_epoch: epoch.as_deref(),
    };
    let (sid, ttl) = query::create_session(&client, &new).await?;
    tokens(
        state,
        kind,
        &RefreshClaims::new(subject, kind.name(), &nonce, &sid, &token_id, ttl),
        email,
        role,
    )
}

/// Starts a user session (sign-up, sign-in).
pub async fn issue_for_user(state: &AccountsState, user: &query::UserRow) -> Result<Issued, ApiError> {
    issue(
        state,
        SessionKind::User,
        &user.id,
        Some(&user.id),
        Some(&user.email),
        Role::Authenticated,
    )
    .await
}

/// Starts a user session and answers `{user, accessToken, …extra, csrfToken|refreshToken}`.
pub async fn user_session_response(
    state: &AccountsState,
    user: &query::UserRow,
    raw_query: Option<&str>,
    extra: &[(&str, Value)],
) -> Result<Response, ApiError> {
    let issued = issue_for_user(state, user).await?;
    let mut out = Map::new();
    out.insert("user".into(), user_value(&user.json)?);
    out.insert("accessToken".into(), Value::String(issued.access_token.clone()));
    for (key, value) in extra {
        out.insert((*key).to_owned(), value.clone());
    }
    Ok(respond(SessionKind::User, is_web(raw_query), out, issued))
}

/// Verifies a refresh token of `kind` (signature, expiry, type).
pub fn verify(state: &AccountsState, kind: SessionKind, token: &str) -> Result<RefreshClaims, ApiError> {
    let secret = state.auth.credentials().jwt_secret.clone();
    let claims = verify_refresh_token(secret.as_bytes(), token).map_err(|_| unauthorized("Invalid refresh token"))?;
    if claims.session_type != kind.name() {
        return Err(unauthorized("Invalid refresh token"));
    }
    Ok(claims)
}

/// The CSRF header matches the value bound to this refresh token's nonce.
pub fn csrf_matches(state: &AccountsState, claims: &RefreshClaims, headers: &HeaderMap) -> bool {
    let presented = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    let secret = state.auth.credentials().jwt_secret.clone();
    csrf::verify_csrf(
        secret.as_bytes(),
        &claims.session_type,
        &claims.sub,
        &claims.csrf_nonce,
        presented,
    )
}

pub fn invalid_csrf() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "Invalid CSRF token")
}

/// Rotates the session behind a verified refresh token: the old token stops working, the CSRF
/// value stays the same (same nonce). A user session of a deleted user is refused; so is an
/// admin session of other root admin credentials than the current ones, and any session past
/// its maximum lifetime.
pub async fn rotate(
    state: &AccountsState,
    kind: SessionKind,
    claims: &RefreshClaims,
    role: Role,
) -> Result<(Issued, Rotated), ApiError> {
    if kind == SessionKind::Admin && claims.sub != state.admin.subject() {
        return Err(unauthorized("Invalid refresh token"));
    }
    let next = new_token_id();
    let epoch = credential_epoch(state, kind);
    let client = state.pool.get().await.map_err(DbError::from)?;
    let rotation = Rotation {
        session_id: &claims.sid,
        session_type: kind.name(),
        old: &claims.jti,
        new: &next,
        ttl_seconds: state.settings.refresh_token_ttl,
        max_lifetime_seconds: state.settings.session_max_lifetime,
        credential_epoch: epoch.as_deref(),
    };
    let Some(rotated) = query::rotate_session(&client, &rotation).await? else {
        if kind == SessionKind::User && !query::user_exists(&client, &claims.sub).await? {
            return Err(unauthorized("User not found"));
        }
        return Err(unauthorized("Invalid refresh token"));
    };
    if kind == SessionKind::User && rotated.user.is_none() {
        return Err(unauthorized("User not found"));
    }
    let email = rotated.user.as_ref().map(|u| u.email.clone());
    let new_claims = RefreshClaims::new(
        &claims.sub,
        kind.name(),
        &claims.csrf_nonce,
        &claims.sid,
        &next,
        rotated.expires_in,
    );
    Ok((tokens(state, kind, &new_claims, email.as_deref(), role)?, rotated))
}

pub async fn revoke(state: &AccountsState, claims: &RefreshClaims) -> Result<(), ApiError> {
    let client = state.pool.get().await.map_err(DbError::from)?;
    query::revoke_session(&client, &claims.sid).await?;
    Ok(())
}

/// The refresh cookie: httpOnly, Secure, SameSite=None, on the session's path.
pub fn set_cookie(kind: SessionKind, token: &str, max_age: i64) -> String {
    format!(
        "{}={token}; Max-Age={max_age}; Path={}; HttpOnly; Secure; SameSite=None",
        kind.cookie(),
        kind.cookie_path()
    )
}

/// Clearing needs the same attributes.
pub fn clear_cookie(kind: SessionKind) -> String {
    set_cookie(kind, "", 0)
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A session response: web clients get `csrfToken` and the cookie, others `refreshToken`.
pub fn respond(kind: SessionKind, web: bool, mut body: Map<String, Value>, issued: Issued) -> Response {
    if web {
        body.insert("csrfToken".into(), Value::String(issued.csrf_token));
        let cookie = set_cookie(kind, &issued.refresh_token, issued.refresh_ttl);
        (AppendHeaders([(SET_COOKIE, cookie)]), Json(Value::Object(body))).into_response()
    } else {
        body.insert("refreshToken".into(), Value::String(issued.refresh_token));
        Json(Value::Object(body)).into_response()
    }
}

/// An error that also clears the web refresh cookie.
pub fn clearing(kind: SessionKind, web: bool, error: ApiError) -> Response {
    if web {
        (AppendHeaders([(SET_COOKIE, clear_cookie(kind))]), error).into_response()
    } else {
        error.into_response()
    }
}

/// The user object JSON (built by PostgreSQL) as a value.
pub fn user_value(json: &str) -> Result<Value, ApiError> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, "user object is not JSON");
        ApiError::internal()
    })
}
