//! `POST /api/auth/sessions`: sign-in with email and password.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::Value;

use super::ClientAddress;
use super::session::{is_web, respond_user};
use crate::{AccountsError, AccountsState};
use oxforge_edge::ApiError;
use oxforge_edge::{JsonBody, required_strings};

pub async fn sign_in(
    State(state): State<AccountsState>,
    ClientAddress(client): ClientAddress,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    match body.get("method").and_then(Value::as_str) {
        None | Some("password") => {}
        Some(_) => return Err(AccountsError::EmailNotConfigured.into()),
    }
    let [email, password] = required_strings(&body, ["email", "password"])?;
    let session = state.service(None).sign_in(email, password, &client).await?;
    Ok(respond_user(session, is_web(query.as_deref()), &[]))
}
