//! `GET /api/secrets/{key}` (admin): one secret's active value, e.g. `JWT_SECRET` for the
//! integration guides that sign tokens with it.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::extract::Admin;
use crate::{ApiError, AppState};

pub async fn get_secret(
    _: Admin,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let client = state.pool.get().await.map_err(oxforge_db::DbError::from)?;
    match oxforge_db::secrets::get(&client, &key).await? {
        Some(value) => Ok(Json(json!({ "key": key, "value": value }))),
        None => Err(ApiError::not_found(
            "SECRET_NOT_FOUND",
            format!("Secret not found: {key}"),
        )),
    }
}
