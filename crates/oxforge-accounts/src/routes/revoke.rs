//! Ending every session at once (oxforge's own routes; InsForge has none):
//! `POST /api/oxforge/auth/admin/sessions/revoke-all` (admin: every root admin session),
//! `POST /api/oxforge/auth/sessions/revoke-all` (a signed-in user: all of their own),
//! `POST /api/oxforge/auth/users/{id}/sessions/revoke-all` (admin: all of one user's).
//!
//! Refresh tokens of a revoked session stop working at once; access tokens already issued
//! live out their short lifetime (`OXFORGE_ACCESS_TOKEN_TTL`).

use axum::Json;
use axum::extract::{Path, State};
use oxforge_auth::Principal;
use serde_json::{Value, json};

use crate::AccountsState;
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, SignedIn};

fn revoked(count: u64) -> Json<Value> {
    Json(json!({ "success": true, "revokedCount": count }))
}

pub async fn admin_sessions(Admin(admin): Admin, State(state): State<AccountsState>) -> Result<Json<Value>, ApiError> {
    let count = state.service(Some(admin)).as_admin()?.revoke_admin_sessions().await?;
    Ok(revoked(count))
}

pub async fn own_sessions(
    State(state): State<AccountsState>,
    SignedIn(user): SignedIn,
) -> Result<Json<Value>, ApiError> {
    let count = state.service(Some(Principal::User(user))).revoke_own_sessions().await?;
    Ok(revoked(count))
}

pub async fn user_sessions(
    State(state): State<AccountsState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut accounts = state.service(Some(admin)).as_admin()?;
    Ok(revoked(accounts.revoke_user_sessions(&id).await?))
}
