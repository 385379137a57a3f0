//! Every failure becomes a page that says what happened; nothing is half-done.

use std::fmt::Display;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::pages;
use crate::session::SESSION_COOKIE;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    /// The session cannot be used any more (the token was refused): forget it, offer to log in.
    pub sign_in_again: bool,
}

impl AppError {
    fn new(status: StatusCode, title: &'static str, message: String) -> AppError {
        AppError {
            status,
            title,
            message,
            sign_in_again: false,
        }
    }

    /// The identity provider could not be reached or is misconfigured.
    pub fn provider(error: impl Display) -> AppError {
        AppError::new(
            StatusCode::BAD_GATEWAY,
            "The sign-in provider is unavailable",
            error.to_string(),
        )
    }

    /// Sign-in did not complete.
    pub fn login(message: String) -> AppError {
        AppError {
            sign_in_again: true,
            ..AppError::new(StatusCode::UNAUTHORIZED, "Sign-in failed", message)
        }
    }

    pub fn bad_request(message: String) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, "That request was not accepted", message)
    }

    pub fn not_found(message: String) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "Not found", message)
    }

    /// oxforge refused or failed the call.
    pub fn backend(error: oxforge_client::Error) -> AppError {
        match error.status() {
            Some(401) => AppError {
                sign_in_again: true,
                ..AppError::new(
                    StatusCode::UNAUTHORIZED,
                    "Your session is not valid any more",
                    format!("The backend refused your token ({error}). Please log in again."),
                )
            },
            Some(403) => AppError::new(StatusCode::FORBIDDEN, "Not allowed", error.to_string()),
            Some(status) if status < 500 => AppError::bad_request(error.to_string()),
            _ => AppError::new(StatusCode::BAD_GATEWAY, "The backend is unavailable", error.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::info!(status = %self.status, message = %self.message, "{}", self.title);
        let page = pages::error(self.title, &self.message, self.sign_in_again);
        let mut response = (self.status, Html(page)).into_response();
        if self.sign_in_again {
            let expire = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
            if let Ok(value) = HeaderValue::from_str(&expire) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    }
}
