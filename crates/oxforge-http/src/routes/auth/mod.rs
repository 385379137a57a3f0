//! `/api/auth/*`: accounts, sessions, profiles, the root admin.

pub mod admin;
pub mod config;
pub mod email;
pub mod profiles;
pub mod refresh;
pub mod session;
pub mod sign_in;
pub mod sign_up;
pub mod users;
mod validate;

use std::net::SocketAddr;

use axum::http::StatusCode;

use crate::{ApiError, AppState};

/// Counts a sign-in or sign-up attempt against the client address and the email.
fn rate_limit(state: &AppState, peer: SocketAddr, email: &str) -> Result<(), ApiError> {
    match &state.limiter {
        Some(limiter) if !limiter.allow(&[format!("ip:{}", peer.ip()), format!("email:{email}")]) => {
            Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "Too many requests, please try again later",
            ))
        }
        _ => Ok(()),
    }
}
