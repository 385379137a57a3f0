//! `GET /api/oxforge/whoami` (oxforge's own, any credential): the database role and the exact
//! `request.jwt.claims` this credential produces — what RLS policies will see.

use axum::Json;
use oxforge_auth::now_seconds;
use serde_json::{Value, json};

use oxforge_edge::Caller;

pub async fn whoami(Caller(principal): Caller) -> Json<Value> {
    Json(json!({
        "role": principal.role().as_str(),
        "claims": principal.database_claims(now_seconds()),
    }))
}
