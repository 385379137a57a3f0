//! `POST /api/auth/sessions`: sign-in with email and password.

use std::net::SocketAddr;

use crate::query;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oxforge_auth::password;
use oxforge_db::DbError;
use serde_json::Value;

use super::email as email_routes;
use super::session::{self, unauthorized};
use crate::AccountsState;
use crate::validate;
use oxforge_edge::ApiError;
use oxforge_edge::{JsonBody, required_strings};

pub async fn sign_in(
    State(state): State<AccountsState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    match body.get("method").and_then(Value::as_str) {
        None | Some("password") => {}
        Some(_) => return Err(email_routes::not_configured()),
    }
    let [email, password] = required_strings(&body, ["email", "password"])?;
    let email = validate::email(email)?;
    // Failures count per address and per (address, email): others' failures never stop a
    // correct password from an address that has none.
    let client_address = state.limits.client(peer, &headers);
    let attempt = state.limits.user_sign_in(&client_address, &email)?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    let user = query::user_by_email(&client, &email).await?;
    drop(client);
    // The same answer, after about the same work, whether or not the email exists.
    let owned = password.to_owned();
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let matches = state
        .password_work
        .run(move || match stored {
            Some(hash) => password::verify(&owned, &hash),
            None => {
                password::verify_nothing(&owned);
                false
            }
        })
        .await?;
    let Some(user) = user.filter(|_| matches) else {
        attempt.failed();
        return Err(unauthorized("Invalid credentials"));
    };
    attempt.succeeded();
    session::user_session_response(&state, &user, query.as_deref(), &[]).await
}
