//! oxforge's own diagnostics of credentials (admin): which providers are configured and the state
//! of their keys, and what the server would do with a given token.

use axum::Json;
use axum::extract::State;
use oxforge_auth::credential::classify;
use oxforge_auth::providers::RoleRule;
use oxforge_auth::{AuthError, now_seconds};
use serde_json::{Value, json};

use crate::ProjectState;
use oxforge_edge::ApiError;
use oxforge_edge::{Admin, JsonBody, required_strings};

/// `GET /api/oxforge/auth/providers`.
pub async fn providers(_: Admin, State(state): State<ProjectState>) -> Json<Value> {
    let mut list = Vec::new();
    for (p, keys) in state.auth.providers().status().await {
        let role = match &p.role {
            RoleRule::Authenticated => json!("authenticated"),
            RoleRule::Claim { path, allowed } => {
                json!({ "claim": path.join("."), "allowed": allowed.iter().map(|r| r.as_str()).collect::<Vec<_>>() })
            }
        };
        list.push(json!({
            "name": p.name,
            "issuer": p.issuer,
            "jwksUrl": p.jwks_url,
            "audiences": p.audiences,
            "algorithms": p.algorithms.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>(),
            "subjectClaim": p.subject_claim,
            "role": role,
            "keys": keys,
        }));
    }
    Json(json!({ "providers": list }))
}

/// `POST /api/oxforge/auth/check {token}`: the verdict, and the path it took.
pub async fn check(
    _: Admin,
    State(state): State<ProjectState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let [token] = required_strings(&body, ["token"])?;
    let token = token.trim().trim_start_matches("Bearer ").trim();
    let bearer = format!("Bearer {token}");
    let presented = classify(Some(&bearer), None);
    let via = state.auth.route(presented);
    Ok(Json(match state.auth.authenticate(presented).await {
        Ok(principal) => json!({
            "valid": true,
            "verifiedBy": via,
            "role": principal.role().as_str(),
            "claims": principal.database_claims(now_seconds()),
        }),
        Err(e) => {
            let api = ApiError::from(e.clone());
            let reason = oxforge_auth::diagnose::explain(token, &e, now_seconds());
            json!({ "valid": false, "verifiedBy": via, "status": api.status.as_u16(), "error": api.code, "message": api_message(&e), "reason": reason })
        }
    }))
}

fn api_message(e: &AuthError) -> String {
    e.to_string()
}
