//! `/auth/login`, `/auth/callback`, `/auth/logout`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::PrivateCookieJar;
use openidconnect::CsrfToken;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppError;
use crate::oidc::LoginAttempt;
use crate::session::{self, LOGIN_COOKIE, SESSION_COOKIE, Session};

/// A login attempt must come back within ten minutes.
const LOGIN_TTL_SECS: i64 = 600;
/// The session lasts as long as the Action's token (1 h); oxforge checks the token's own expiry.
const SESSION_TTL_SECS: i64 = 3600;

pub async fn login(State(app): State<AppState>, jar: PrivateCookieJar) -> Result<Response, AppError> {
    let (url, attempt) = app.oidc.start().await?;
    let secure = app.config.secure_cookies();
    let jar = jar.add(session::cookie(LOGIN_COOKIE, &attempt, LOGIN_TTL_SECS, secure));
    Ok((jar, Redirect::to(&url)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(
    State(app): State<AppState>,
    jar: PrivateCookieJar,
    Query(callback): Query<Callback>,
) -> Result<Response, AppError> {
    if let Some(error) = callback.error {
        let why = callback.error_description.unwrap_or_default();
        return Err(AppError::login(format!("the provider said {error}: {why}")));
    }
    let attempt: LoginAttempt = session::read(&jar, LOGIN_COOKIE)
        .ok_or_else(|| AppError::login("this sign-in was not started here, or took too long".into()))?;
    if callback.state.as_deref() != Some(attempt.state.as_str()) {
        return Err(AppError::login(
            "the sign-in response does not match the request (state)".into(),
        ));
    }
    let code = callback
        .code
        .ok_or_else(|| AppError::login("the provider returned no authorization code".into()))?;
    let identity = app.oidc.finish(&code, attempt).await?;
    tracing::info!(sub = %identity.sub, "signed in");
    let session = Session {
        sub: identity.sub,
        email: identity.email,
        name: identity.name,
        token: identity.insforge_token,
        csrf: CsrfToken::new_random().secret().clone(),
    };
    let secure = app.config.secure_cookies();
    let jar = jar.remove(session::removal(LOGIN_COOKIE)).add(session::cookie(
        SESSION_COOKIE,
        &session,
        SESSION_TTL_SECS,
        secure,
    ));
    Ok((jar, Redirect::to("/todos")).into_response())
}

pub async fn logout(State(app): State<AppState>, jar: PrivateCookieJar) -> Response {
    let jar = jar.remove(session::removal(SESSION_COOKIE));
    (jar, Redirect::to(&app.oidc.logout_url().await)).into_response()
}
