//! Admin user management: `GET /api/auth/users`, `GET /api/auth/users/{id}`, `DELETE /api/auth/users`.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AccountsState;
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, Audit, JsonBody};

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
    Admin(admin): Admin,
    State(state): State<AccountsState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = number("limit", q.limit.as_deref(), 10, 1000)?;
    let offset = number("offset", q.offset.as_deref(), 0, i64::MAX)?;
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let page = state
        .service(Some(admin))
        .as_admin()?
        .list_users(limit, offset, search)
        .await?;
    Ok(Json(json!({
        "data": page.users,
        "pagination": { "offset": offset, "limit": limit, "total": page.total },
    })))
}

pub async fn get(
    Admin(admin): Admin,
    State(state): State<AccountsState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service(Some(admin)).as_admin()?.user(&id).await?))
}

pub async fn delete(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<AccountsState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let ids: Vec<String> = match body.get("userIds").and_then(Value::as_array) {
        Some(ids) => ids.iter().map(|v| v.as_str().unwrap_or("").to_owned()).collect(),
        None => return Err(ApiError::invalid_input("userIds: Required")),
    };
    let deleted = state
        .service(Some(admin.clone()))
        .as_admin()?
        .delete_users(&ids)
        .await?;
    audit.record(
        &admin,
        "DELETE_USERS",
        "AUTH",
        json!({ "userIds": ids, "deletedCount": deleted }),
    );
    Ok(Json(
        json!({ "message": "Users deleted successfully", "deletedCount": deleted }),
    ))
}
