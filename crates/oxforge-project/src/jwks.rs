//! `GET /.well-known/jwks.json` (and under `/api`): the project's public signing key.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::ProjectState;

pub async fn jwks(State(state): State<ProjectState>) -> Json<Value> {
    Json(state.auth.credentials().keypair.jwks())
}
