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

use axum::Router;
use axum::routing::{any, get, patch, post};

use crate::AccountsState;

pub use config::public_config_value;
pub use revoke::revoke_admin_sessions;

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
