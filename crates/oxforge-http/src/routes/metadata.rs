//! `GET /api/metadata/api-key` and `/anon-key` (admin).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::extract::Admin;
use crate::{ApiError, AppState};

fn current(keys: &[String]) -> Result<&str, ApiError> {
    keys.first().map(String::as_str).ok_or_else(ApiError::internal)
}

pub async fn api_key(_: Admin, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let creds = state.auth.credentials();
    Ok(Json(json!({ "apiKey": current(&creds.api_keys)? })))
}

pub async fn anon_key(_: Admin, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let creds = state.auth.credentials();
    Ok(Json(json!({ "anonKey": current(&creds.anon_keys)? })))
}
