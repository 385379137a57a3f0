//! `/api/auth/*`: accounts, sessions, profiles, the root admin; and oxforge's own revoke-all routes.

mod admin;
mod config;
mod email;
mod profiles;
mod refresh;
mod revoke;
mod session;
mod sign_in;
mod sign_up;
mod users;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::rejection::ExtensionRejection;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{any, get, patch, post};

use crate::AccountsState;

pub use config::public_config_value;

/// Every accounts route, with its state: a router meant to be merged (`Router<S>` for any `S`).
/// Body limits, CORS and logging are the merging router's layers.
pub fn router<S: Clone + Send + Sync + 'static>(state: AccountsState) -> Router<S> {
    Router::new()
        .route("/api/auth/admin/sessions", post(admin::sign_in))
        .route("/api/auth/admin/refresh", post(admin::refresh))
        .route("/api/auth/admin/logout", post(admin::logout))
        .route("/api/auth/admin/sessions/current", get(admin::current))
        .route(
            "/api/auth/users",
            post(sign_up::sign_up).get(users::list).delete(users::delete),
        )
        .route("/api/auth/users/{id}", get(users::get))
        .route("/api/auth/sessions", post(sign_in::sign_in))
        .route("/api/auth/sessions/current", get(refresh::current))
        .route("/api/auth/refresh", post(refresh::refresh))
        .route("/api/auth/logout", post(refresh::logout))
        .route("/api/auth/profiles/current", patch(profiles::update_current))
        .route("/api/auth/profiles/{id}", get(profiles::get))
        .route("/api/auth/public-config", get(config::public_config))
        .route("/api/auth/config", get(config::get).put(config::update))
        .route("/api/auth/email/{*rest}", any(email::unavailable))
        .route(
            "/api/oxforge/auth/admin/sessions/revoke-all",
            post(revoke::admin_sessions),
        )
        .route("/api/oxforge/auth/sessions/revoke-all", post(revoke::own_sessions))
        .route(
            "/api/oxforge/auth/users/{id}/sessions/revoke-all",
            post(revoke::user_sessions),
        )
        .with_state(state)
}

/// The client's address bucket (`oxforge_edge::client_ip`: behind trusted proxies only,
/// IPv6 by /64), which the sign-in and sign-up limits count against.
struct ClientAddress(String);

impl FromRequestParts<AccountsState> for ClientAddress {
    type Rejection = ExtensionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AccountsState) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await?;
        Ok(ClientAddress(state.limits.client(peer, &parts.headers)))
    }
}
