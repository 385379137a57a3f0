//! The auth configuration: `GET /api/auth/public-config` (what a sign-in page needs to know),
//! `GET /api/auth/config` and `PUT /api/auth/config` (admin; a partial update).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AccountsState;
use crate::auth_config::{AuthConfig, AuthConfigPatch};
use oxforge_edge::{Admin, ApiError, Audit, JsonBody};

pub async fn public_config(State(state): State<AccountsState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(public_config_value(&*state.auth_config().await?)))
}

/// The answer of `GET /api/auth/public-config` (also the `auth` part of `/api/metadata`): the
/// record without its id, timestamps and redirect URLs. oxforge has no OAuth providers yet.
pub fn public_config_value(config: &AuthConfig) -> Value {
    json!({
        "oAuthProviders": [],
        "customOAuthProviders": [],
        "requireEmailVerification": config.require_email_verification,
        "passwordMinLength": config.password_min_length,
        "requireNumber": config.require_number,
        "requireLowercase": config.require_lowercase,
        "requireUppercase": config.require_uppercase,
        "requireSpecialChar": config.require_special_char,
        "verifyEmailMethod": config.verify_email_method,
        "resetPasswordMethod": config.reset_password_method,
        "disableSignup": config.disable_signup,
    })
}

fn record(config: &AuthConfig) -> Result<Json<Value>, ApiError> {
    Ok(Json(serde_json::to_value(config).map_err(ApiError::internal_because)?))
}

pub async fn get(Admin(admin): Admin, State(state): State<AccountsState>) -> Result<Json<Value>, ApiError> {
    let config = state.service(Some(admin)).as_admin()?.auth_config().await?;
    record(&config)
}

pub async fn update(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<AccountsState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let patch = AuthConfigPatch::parse(&body)?;
    let config = state
        .service(Some(admin.clone()))
        .as_admin()?
        .update_auth_config(&patch)
        .await?;
    let changed: Vec<&String> = body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    audit.record(&admin, "UPDATE_AUTH_CONFIG", "AUTH", json!({ "changed": changed }));
    record(&config)
}
