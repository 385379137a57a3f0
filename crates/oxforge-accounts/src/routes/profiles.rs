//! `GET /api/auth/profiles/{id}` (public) and `PATCH /api/auth/profiles/current` (shallow merge).

use axum::Json;
use axum::extract::{Path, State};
use oxforge_auth::Principal;
use serde_json::Value;

use crate::AccountsState;
use oxforge_edge::ApiError;
use oxforge_edge::{JsonBody, SignedIn};

pub async fn get(State(state): State<AccountsState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service(None).profile(&id).await?))
}

pub async fn update_current(
    State(state): State<AccountsState>,
    SignedIn(user): SignedIn,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let patch = match body.get("profile") {
        Some(Value::Object(patch)) => patch,
        Some(_) => return Err(ApiError::invalid_input("profile: Expected object")),
        None => return Err(ApiError::invalid_input("profile: Required")),
    };
    let caller = Some(Principal::User(user));
    Ok(Json(state.service(caller).update_own_profile(patch).await?))
}
