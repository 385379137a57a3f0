//! `POST /api/auth/users`: sign-up with email and password.

use crate::query;
use axum::Json;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oxforge_auth::{Principal, Role, password};
use oxforge_db::DbError;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;

use super::session::{self, user_value};
use crate::AccountsState;
use crate::validate;
use oxforge_edge::ApiError;
use oxforge_edge::{JsonBody, MaybeCaller, required_strings};

pub async fn sign_up(
    State(state): State<AccountsState>,
    MaybeCaller(caller): MaybeCaller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let [email, password] = required_strings(&body, ["email", "password"])?;
    let email = validate::email(email)?;
    validate::password(password, state.settings.password_min_length)?;
    state.limits.sign_up(&state.limits.client(peer, &headers))?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty());
    let profile = match name {
        Some(name) => json!({ "name": name }),
        None => json!({}),
    };
    let owned = password.to_owned();
    let hash = state
        .password_work
        .run(move || password::hash(&owned))
        .await?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    let Some(user) = query::create_user(&client, &email, &hash, &profile.to_string()).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "AUTH_EMAIL_EXISTS",
            "User already exists",
        ));
    };
    drop(client);

    if matches!(caller, Some(Principal::Admin { .. })) {
        let mut out = Map::new();
        out.insert("user".into(), user_value(&user.json)?);
        // An admin creating a user gets the user and a token, but no session of their own.
        let token = state
            .auth
            .sign_access_token(
                &user.id,
                Some(&user.email),
                Role::Authenticated,
                state.settings.access_token_ttl,
            )
            .map_err(|_| ApiError::internal())?;
        out.insert("accessToken".into(), Value::String(token));
        out.insert("requireEmailVerification".into(), Value::Bool(false));
        return Ok(Json(Value::Object(out)).into_response());
    }
    session::user_session_response(
        &state,
        &user,
        query.as_deref(),
        &[("requireEmailVerification", Value::Bool(false))],
    )
    .await
}
