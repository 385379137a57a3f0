//! `GET /api/health`: no credential, no database.

use axum::Json;
use axum::extract::State;
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::AppState;

pub async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": state.settings.version,
        "service": "oxforge",
        "timestamp": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
    }))
}
