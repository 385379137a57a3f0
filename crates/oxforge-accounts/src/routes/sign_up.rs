//! `POST /api/auth/users`: sign-up with email and password.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::ClientAddress;
use super::session::{is_web, respond_user};
use crate::AccountsState;
use crate::service::{NewAccount, SignedUp};
use oxforge_edge::ApiError;
use oxforge_edge::{JsonBody, MaybeCaller, required_strings};

pub async fn sign_up(
    State(state): State<AccountsState>,
    MaybeCaller(caller): MaybeCaller,
    ClientAddress(client): ClientAddress,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let [email, password] = required_strings(&body, ["email", "password"])?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty());
    let account = NewAccount { email, password, name };
    let verification = ("requireEmailVerification", Value::Bool(false));
    match state.service(caller).sign_up(account, &client).await? {
        SignedUp::Session(session) => Ok(respond_user(session, is_web(query.as_deref()), &[verification])),
        // An admin creating a user gets the user and a token, but no session of their own.
        SignedUp::ByAdmin { user, access_token } => {
            let mut out = Map::new();
            out.insert("user".into(), user);
            out.insert("accessToken".into(), Value::String(access_token));
            out.insert(verification.0.into(), verification.1);
            Ok(Json(Value::Object(out)).into_response())
        }
    }
}
