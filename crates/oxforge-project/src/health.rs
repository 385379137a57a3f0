//! `GET /api/health`: no credential, no database.

use axum::Json;
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

pub async fn health() -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": crate::INSFORGE_API_VERSION,
        "oxforgeVersion": crate::OXFORGE_VERSION,
        "service": "oxforge",
        "timestamp": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
    }))
}
