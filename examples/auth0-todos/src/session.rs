//! The signed-in user, kept in an encrypted, authenticated cookie (AES-256-GCM with a key derived
//! from `AUTH0_SECRET`): the browser can neither read nor alter it.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::PrivateCookieJar;
use axum_extra::extract::cookie::{Cookie, Key, SameSite};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub const SESSION_COOKIE: &str = "todos_session";
pub const LOGIN_COOKIE: &str = "todos_login";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub sub: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// The token oxforge sees: the Action's InsForge token, or the provider's access token.
    pub token: String,
    /// Every form carries it back; a form from elsewhere does not know it.
    pub csrf: String,
}

/// Reads a cookie written by [`cookie`]; a missing, tampered or stale one reads as nothing.
pub fn read<T: DeserializeOwned>(jar: &PrivateCookieJar, name: &str) -> Option<T> {
    jar.get(name).and_then(|c| serde_json::from_str(c.value()).ok())
}

pub fn cookie(name: &'static str, value: &impl Serialize, max_age_secs: i64, secure: bool) -> Cookie<'static> {
    let json = serde_json::to_string(value).unwrap_or_default();
    Cookie::build((name, json))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
}

pub fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path("/").build()
}

/// Pages that need a user redirect to the start page without one.
impl<S> FromRequestParts<S> for Session
where
    S: Send + Sync,
    Key: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Session, Response> {
        let jar = PrivateCookieJar::<Key>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        read(&jar, SESSION_COOKIE).ok_or_else(|| Redirect::to("/").into_response())
    }
}
