//! `GET /api/auth/public-config`: what a sign-in page needs to know.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::{AccountsSettings, AccountsState};

pub async fn public_config(State(state): State<AccountsState>) -> Json<Value> {
    Json(public_config_value(&state.settings))
}

/// The answer of `GET /api/auth/public-config` (also the `auth` part of `/api/metadata`).
pub fn public_config_value(settings: &AccountsSettings) -> Value {
    json!({
        "oAuthProviders": [],
        "customOAuthProviders": [],
        "requireEmailVerification": false,
        "passwordMinLength": settings.password_min_length,
        "requireNumber": false,
        "requireLowercase": false,
        "requireUppercase": false,
        "requireSpecialChar": false,
        "verifyEmailMethod": "code",
        "resetPasswordMethod": "code",
        "disableSignup": false,
    })
}
