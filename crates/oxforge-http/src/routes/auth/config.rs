//! `GET /api/auth/public-config`: what a sign-in page needs to know.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;

pub async fn public_config(State(state): State<AppState>) -> Json<Value> {
    Json(public_config_value(&state))
}

pub fn public_config_value(state: &AppState) -> Value {
    json!({
        "oAuthProviders": [],
        "customOAuthProviders": [],
        "requireEmailVerification": false,
        "passwordMinLength": state.settings.password_min_length,
        "requireNumber": false,
        "requireLowercase": false,
        "requireUppercase": false,
        "requireSpecialChar": false,
        "verifyEmailMethod": "code",
        "resetPasswordMethod": "code",
        "disableSignup": false,
    })
}
