//! `/api/secrets`: the project's secrets (admin). Values are shown one at a time; reserved
//! secrets (keys, JWT secret, signing key) cannot be deleted; the API and anon keys rotate with a
//! grace period during which the old key keeps working.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oxforge_auth::keys;
use oxforge_db::DbError;
use oxforge_db::secrets::{self, Deleted, SecretUpdate};
use serde_json::{Value, json};

use crate::ProjectState;
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, Audit, JsonBody, required_strings};

fn not_found(key: &str) -> ApiError {
    ApiError::not_found("SECRET_NOT_FOUND", format!("Secret not found: {key}"))
}

fn valid_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(ApiError::invalid_input(
            "key: Expected uppercase letters, digits and underscores",
        ));
    }
    Ok(())
}

pub async fn get_secret(
    _: Admin,
    State(state): State<ProjectState>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    match secrets::get(&client, &state.cipher, &key).await? {
        Some(value) => Ok(Json(json!({ "key": key, "value": value }))),
        None => Err(not_found(&key)),
    }
}

pub async fn list(_: Admin, State(state): State<ProjectState>) -> Result<Json<Value>, ApiError> {
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    let text = secrets::list(&client).await?;
    Ok(Json(serde_json::from_str(&text).map_err(|_| ApiError::internal())?))
}

pub async fn create(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<ProjectState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let [key, value] = required_strings(&body, ["key", "value"])?;
    valid_key(key)?;
    let reserved = body.get("isReserved").and_then(Value::as_bool).unwrap_or(false);
    let expires = body.get("expiresAt").and_then(Value::as_str);
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    match secrets::create(&client, &state.cipher, key, value, reserved, expires).await {
        Ok(Some(id)) => {
            audit.record(&admin, "CREATE_SECRET", "SECRETS", json!({ "key": key }));
            Ok((
            StatusCode::CREATED,
            Json(
                json!({ "success": true, "message": format!("Secret {key} has been created successfully"), "id": id }),
            ),
        )
                .into_response())
        }
        Ok(None) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "SECRET_ALREADY_EXISTS",
            format!("Secret {key} already exists"),
        )),
        Err(e) if e.sqlstate() == Some("22007") || e.sqlstate() == Some("22008") => {
            Err(ApiError::invalid_input("expiresAt: Invalid date"))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn update(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<ProjectState>,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let change = SecretUpdate {
        value: body.get("value").and_then(Value::as_str).map(str::to_owned),
        is_active: body.get("isActive").and_then(Value::as_bool),
        is_reserved: body.get("isReserved").and_then(Value::as_bool),
        expires_at: body.get("expiresAt").map(|v| v.as_str().map(str::to_owned)),
    };
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    match secrets::update(&client, &state.cipher, &key, &change).await {
        Ok(true) => {
            audit.record(&admin, "UPDATE_SECRET", "SECRETS", json!({ "key": key }));
            Ok(Json(
                json!({ "success": true, "message": format!("Secret {key} has been updated successfully") }),
            ))
        }
        Ok(false) => Err(not_found(&key)),
        Err(e) if e.sqlstate() == Some("22007") || e.sqlstate() == Some("22008") => {
            Err(ApiError::invalid_input("expiresAt: Invalid date"))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<ProjectState>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    match secrets::delete(&client, &key).await? {
        Deleted::Yes => {
            audit.record(&admin, "DELETE_SECRET", "SECRETS", json!({ "key": key }));
            Ok(Json(
                json!({ "success": true, "message": format!("Secret {key} has been deleted successfully") }),
            ))
        }
        Deleted::NotFound => Err(not_found(&key)),
        Deleted::Reserved => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            format!("Cannot delete reserved secret: {key}"),
        )),
    }
}

/// `gracePeriodHours` of an optional rotation body (`{gracePeriodHours?}`).
fn grace_hours(body: &Bytes, max_hours: f64, default_hours: f64) -> Result<f64, ApiError> {
    match optional_json(body)?.get("gracePeriodHours") {
        None | Some(Value::Null) => Ok(default_hours),
        Some(v) => v.as_f64().filter(|h| (0.0..=max_hours).contains(h)).ok_or_else(|| {
            ApiError::invalid_input(format!("gracePeriodHours: Expected a number from 0 to {max_hours}"))
        }),
    }
}

async fn rotate(state: &ProjectState, key: &str, grace: f64) -> Result<Json<Value>, ApiError> {
    let new_key = if key == secrets::API_KEY {
        keys::generate_api_key()
    } else {
        keys::generate_anon_key()
    };
    let old_expires = secrets::rotate(&state.owner_pool, &state.cipher, key, &new_key, grace).await?;
    crate::keys::reload(&state.owner_pool, &state.cipher, &state.auth).await;
    let field = if key == secrets::API_KEY { "apiKey" } else { "anonKey" };
    Ok(Json(json!({
        "success": true,
        "message": format!("{key} rotated; the old key works until {}", old_expires.as_deref().unwrap_or("now")),
        field: new_key,
        "oldKeyExpiresAt": old_expires,
    })))
}

/// The rotation body is optional (`{gracePeriodHours?}`).
fn optional_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_input(format!("Invalid JSON body: {e}")))
}

/// Rotating the API key, what one does after a leak, also ends every root admin session, so
/// the leak cannot live on in a refresh token. Sessions end first: if that fails, the key is
/// not rotated (and the caller does not lose the new key to an error).
pub async fn rotate_api_key(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<ProjectState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let grace = grace_hours(&body, 168.0, 24.0)?;
    let accounts = state.accounts.service(Some(admin.clone()));
    accounts.as_admin()?.revoke_admin_sessions().await?;
    let out = rotate(&state, secrets::API_KEY, grace).await?;
    audit.record(
        &admin,
        "ROTATE_API_KEY",
        "SECRETS",
        json!({ "gracePeriodHours": grace }),
    );
    Ok(out)
}

pub async fn rotate_anon_key(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<ProjectState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let grace = grace_hours(&body, 720.0, 168.0)?;
    let out = rotate(&state, secrets::ANON_KEY, grace).await?;
    audit.record(
        &admin,
        "ROTATE_ANON_KEY",
        "SECRETS",
        json!({ "gracePeriodHours": grace }),
    );
    Ok(out)
}
