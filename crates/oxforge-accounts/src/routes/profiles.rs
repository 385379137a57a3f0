//! `GET /api/auth/profiles/{id}` (public) and `PATCH /api/auth/profiles/current` (shallow merge).

use crate::query;
use axum::Json;
use axum::extract::{Path, State};
use oxforge_db::DbError;
use serde_json::Value;

use super::refresh::not_found;
use super::session::user_value;
use crate::AccountsState;
use crate::validate;
use oxforge_edge::ApiError;
use oxforge_edge::{JsonBody, SignedIn};

pub async fn get(State(state): State<AccountsState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    if !validate::is_uuid(&id) {
        return Err(ApiError::invalid_input("Invalid user ID"));
    }
    let client = state.pool.get().await.map_err(DbError::from)?;
    let profile = query::profile(&client, &id).await?.ok_or_else(not_found)?;
    Ok(Json(user_value(&profile)?))
}

pub async fn update_current(
    State(state): State<AccountsState>,
    SignedIn(user): SignedIn,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let patch = match body.get("profile") {
        Some(Value::Object(patch)) => Value::Object(patch.clone()),
        Some(_) => return Err(ApiError::invalid_input("profile: Expected object")),
        None => return Err(ApiError::invalid_input("profile: Required")),
    };
    if !validate::is_uuid(&user.sub) {
        return Err(not_found());
    }
    let client = state.pool.get().await.map_err(DbError::from)?;
    let merged = query::merge_profile(&client, &user.sub, &patch.to_string())
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(user_value(&merged)?))
}
