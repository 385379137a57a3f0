//! Admin user management: `GET /api/auth/users`, `GET /api/auth/users/{id}`, `DELETE /api/auth/users`.

use crate::query;
use axum::Json;
use axum::extract::{Path, Query, State};
use oxforge_db::DbError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::refresh::not_found;
use super::session::user_value;
use crate::AccountsState;
use crate::validate;
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, JsonBody};

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    offset: Option<String>,
    search: Option<String>,
}

fn number(name: &str, value: Option<&str>, default: i64, max: i64) -> Result<i64, ApiError> {
    match value {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .ok_or_else(|| ApiError::invalid_input(format!("{name}: Expected a number between 0 and {max}"))),
    }
}

pub async fn list(
    _: Admin,
    State(state): State<AccountsState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = number("limit", q.limit.as_deref(), 10, 1000)?;
    let offset = number("offset", q.offset.as_deref(), 0, i64::MAX)?;
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let client = state.pool.get().await.map_err(DbError::from)?;
    let (data, total) = query::list_users(&client, limit, offset, search).await?;
    Ok(Json(json!({
        "data": user_value(&data)?,
        "pagination": { "offset": offset, "limit": limit, "total": total },
    })))
}

pub async fn get(
    _: Admin,
    State(state): State<AccountsState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !validate::is_uuid(&id) {
        return Err(ApiError::invalid_input("Invalid user ID"));
    }
    let client = state.pool.get().await.map_err(DbError::from)?;
    let user = query::user_by_id(&client, &id).await?.ok_or_else(not_found)?;
    Ok(Json(user_value(&user.json)?))
}

pub async fn delete(
    _: Admin,
    State(state): State<AccountsState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let ids: Vec<String> = match body.get("userIds").and_then(Value::as_array) {
        Some(ids) => ids.iter().map(|v| v.as_str().unwrap_or("").to_owned()).collect(),
        None => return Err(ApiError::invalid_input("userIds: Required")),
    };
    if ids.is_empty() || ids.iter().any(|id| !validate::is_uuid(id)) {
        return Err(ApiError::invalid_input(
            "userIds: Expected a non-empty array of user IDs",
        ));
    }
    let client = state.pool.get().await.map_err(DbError::from)?;
    let deleted = query::delete_users(&client, &ids).await?;
    Ok(Json(
        json!({ "message": "Users deleted successfully", "deletedCount": deleted }),
    ))
}
