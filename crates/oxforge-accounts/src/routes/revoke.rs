//! Ending every session at once (oxforge's own routes; InsForge has none):
//! `POST /api/oxforge/auth/admin/sessions/revoke-all` (admin: every root admin session),
//! `POST /api/oxforge/auth/sessions/revoke-all` (a signed-in user: all of their own),
//! `POST /api/oxforge/auth/users/{id}/sessions/revoke-all` (admin: all of one user's).
//!
//! Refresh tokens of a revoked session stop working at once; access tokens already issued
//! live out their short lifetime (`OXFORGE_ACCESS_TOKEN_TTL`).

use crate::query;
use axum::Json;
use axum::extract::{Path, State};
use oxforge_db::DbError;
use serde_json::{Value, json};

use super::refresh::not_found;
use super::session::SessionKind;
use crate::AccountsState;
use crate::validate;
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, SignedIn};

fn revoked(count: u64) -> Json<Value> {
    Json(json!({ "success": true, "revokedCount": count }))
}

/// Ends every root admin session (also done by rotating the API key).
pub async fn revoke_admin_sessions(state: &AccountsState) -> Result<u64, ApiError> {
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(query::revoke_sessions_of_type(&client, SessionKind::Admin.name()).await?)
}

pub async fn admin_sessions(_: Admin, State(state): State<AccountsState>) -> Result<Json<Value>, ApiError> {
    Ok(revoked(revoke_admin_sessions(&state).await?))
}

pub async fn own_sessions(
    State(state): State<AccountsState>,
    SignedIn(user): SignedIn,
) -> Result<Json<Value>, ApiError> {
    if !validate::is_uuid(&user.sub) {
        return Err(not_found());
    }
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(revoked(query::revoke_sessions_of_user(&client, &user.sub).await?))
}

pub async fn user_sessions(
    _: Admin,
    State(state): State<AccountsState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !validate::is_uuid(&id) {
        return Err(ApiError::invalid_input("Invalid user ID"));
    }
    let client = state.pool.get().await.map_err(DbError::from)?;
    if !query::user_exists(&client, &id).await? {
        return Err(not_found());
    }
    Ok(revoked(query::revoke_sessions_of_user(&client, &id).await?))
}
