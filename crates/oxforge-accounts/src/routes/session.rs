//! Sessions over HTTP: which client is a browser (`client_type`), the refresh cookie and the
//! CSRF header, and the shape of session answers for web and non-web clients.

use axum::Json;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Response};
use serde_json::{Map, Value};

use crate::service::UserSession;
use crate::session::{Issued, SessionKind};
use oxforge_edge::ApiError;

impl SessionKind {
    pub(super) fn cookie(self) -> &'static str {
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

/// The refresh token of a non-web client: `refreshToken` or `refresh_token` in the JSON body.
pub fn body_token(body: &Bytes) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    ["refreshToken", "refresh_token"]
        .iter()
        .find_map(|k| value.get(k).and_then(Value::as_str))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The CSRF value a web client sends with its refresh cookie (empty when missing).
pub fn csrf_header(headers: &HeaderMap) -> &str {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The refresh cookie: httpOnly, Secure, SameSite=None, on the session's path.
fn set_cookie(kind: SessionKind, token: &str, max_age: i64) -> String {
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

/// A session answer: web clients get `csrfToken` and the cookie, others `refreshToken`.
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

/// A user's new session: `{user, accessToken, …extra, csrfToken|refreshToken}`.
pub fn respond_user(session: UserSession, web: bool, extra: &[(&str, Value)]) -> Response {
    let mut out = Map::new();
    out.insert("user".into(), session.user);
    out.insert("accessToken".into(), Value::String(session.issued.access_token.clone()));
    for (key, value) in extra {
        out.insert((*key).to_owned(), value.clone());
    }
    respond(SessionKind::User, web, out, session.issued)
}

/// An error that also clears the web refresh cookie (when `clear`).
pub fn clearing(kind: SessionKind, clear: bool, error: impl Into<ApiError>) -> Response {
    let error = error.into();
    if clear {
        (AppendHeaders([(SET_COOKIE, clear_cookie(kind))]), error).into_response()
    } else {
        error.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_types_and_cookies() {
        assert!(is_web(None) && is_web(Some("client_type=web")) && is_web(Some("x=mobile")));
        assert!(!is_web(Some("client_type=mobile")) && !is_web(Some("a=1&client_type=server")));
        let mut headers = HeaderMap::new();
        headers.append("cookie", "a=1; insforge_refresh_token=tok".parse().unwrap());
        headers.append("cookie", "insforge_admin_refresh_token=".parse().unwrap());
        assert_eq!(cookie(&headers, "insforge_refresh_token").as_deref(), Some("tok"));
        assert_eq!(cookie(&headers, "insforge_admin_refresh_token"), None, "empty is none");
        assert_eq!(csrf_header(&headers), "");
        assert_eq!(
            clear_cookie(SessionKind::Admin),
            "insforge_admin_refresh_token=; Max-Age=0; Path=/api/auth/admin; HttpOnly; Secure; SameSite=None"
        );
        assert_eq!(
            body_token(&Bytes::from(r#"{"refresh_token":"r"}"#)).as_deref(),
            Some("r")
        );
        assert_eq!(body_token(&Bytes::from(r#"{"refreshToken":""}"#)), None);
    }
}
