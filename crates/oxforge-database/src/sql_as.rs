//! `POST /api/oxforge/sql/as` (oxforge's own, admin only): the SQL editor's "view as". Runs the
//! query in one transaction as `anon` or `authenticated` — the role taken from an allowlist,
//! never from the body's text — with the `request.jwt.claims` a real token of that subject
//! produces (the data API's, exactly), so RLS policies answer as they would for that caller.
//! Rolled back unless `commit: true`.

use axum::Json;
use axum::extract::State;
use oxforge_auth::{Principal, UserClaims, now_seconds};
use oxforge_db::DbError;
use oxforge_db::raw_sql::{self, ViewAs};
use oxforge_db::sql_script;
use oxforge_edge::{Admin, ApiError, Audit, JsonBody, required_strings};
use serde_json::{Value, json};

use crate::DatabaseState;
use crate::error::SQL_TIMEOUT_MS;
use crate::sql::{answer, params};

/// Longest `sub` or `email` accepted (a JWT subject is short; this only bounds the input).
const MAX_SUBJECT: usize = 512;

fn optional_string<'a>(body: &'a Value, key: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() > MAX_SUBJECT || s.contains('\0') => Err(ApiError::invalid_input(
            format!("{key}: at most {MAX_SUBJECT} characters, no NUL"),
        )),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid_input(format!("{key}: Expected string"))),
    }
}

fn flag(body: &Value, key: &str) -> Result<bool, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::invalid_input(format!("{key}: Expected boolean"))),
    }
}

/// The role asked for: `anon` or `authenticated`, nothing else.
fn role(body: &Value) -> Result<ViewAs, ApiError> {
    let name = match body.get("role") {
        Some(Value::String(name)) => name.as_str(),
        None | Some(Value::Null) => return Err(ApiError::invalid_input("role: Required (anon or authenticated)")),
        Some(_) => return Err(ApiError::invalid_input("role: Expected string")),
    };
    ViewAs::from_name(name)
        .ok_or_else(|| ApiError::invalid_input("role: Invalid enum value. Expected 'anon' | 'authenticated'"))
}

/// The subject and its email: `sub` as given (its email looked up when it is a user's id), or
/// the user with `email`.
async fn subject(state: &DatabaseState, body: &Value) -> Result<(String, Option<String>), ApiError> {
    // `userId` (the name in the dashboard study's proposal) is the same as `sub`.
    let sub = match optional_string(body, "sub")? {
        Some(sub) => Some(sub),
        None => optional_string(body, "userId")?,
    };
    let email = optional_string(body, "email")?;
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    match (sub, email) {
        (Some(sub), _) => {
            let row = client
                .query_opt("SELECT email FROM auth.users WHERE id::text = $1", &[&sub])
                .await
                .map_err(DbError::from)?;
            let email = row.and_then(|r| r.get::<_, Option<String>>(0));
            Ok((sub.to_owned(), email))
        }
        (None, Some(email)) => {
            let row = client
                .query_opt(
                    "SELECT id::text, email FROM auth.users WHERE lower(email) = lower($1)",
                    &[&email],
                )
                .await
                .map_err(DbError::from)?;
            match row {
                Some(row) => Ok((row.get(0), row.get(1))),
                None => Err(ApiError::invalid_input(format!("email: no user has the email {email}"))),
            }
        }
        (None, None) => Err(ApiError::invalid_input(
            "sub: Required for role authenticated (a user's id, a third-party subject such as auth0|alice, or give email)",
        )),
    }
}

pub async fn run(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<DatabaseState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let [query] = required_strings(&body, ["query"])?;
    if query.trim().is_empty() {
        return Err(ApiError::invalid_input(
            "query: String must contain at least 1 character(s)",
        ));
    }
    let role = role(&body)?;
    // The transaction and the role are this route's: a COMMIT would keep writes that are to be
    // rolled back and end the role before the next statement, a SET/RESET ROLE would step out
    // of the role being looked through.
    for statement in sql_script::split(query) {
        if let Some(why) = sql_script::forbidden(&statement) {
            return Err(ApiError::invalid_input(format!(
                "query: {why} when viewing as a role (the run is one transaction as that role)"
            )));
        }
    }
    let params = params(&body)?;
    let commit = flag(&body, "commit")?;
    if flag(&body, "explain")? {
        return Err(ApiError::invalid_input(
            "explain: not available when viewing as a role; use /api/database/advance/rawsql",
        ));
    }
    let principal = match role {
        ViewAs::Anon => {
            if ["sub", "userId", "email"]
                .iter()
                .any(|k| body.get(*k).is_some_and(|s| !s.is_null()))
            {
                return Err(ApiError::invalid_input("sub: only with role authenticated"));
            }
            Principal::Anon
        }
        ViewAs::Authenticated => {
            let (sub, email) = subject(&state, &body).await?;
            Principal::User(UserClaims {
                sub,
                email,
                iat: None,
                exp: None,
            })
        }
    };
    let claims = principal.database_claims(now_seconds()).to_string();
    let ran = raw_sql::run_as(&state.sql_pool, role, query, &params, &claims, SQL_TIMEOUT_MS, commit).await;
    let out = answer(&state, query, ran).await?;
    let sub = match &principal {
        Principal::User(user) => Value::String(user.sub.clone()),
        _ => Value::Null,
    };
    audit.record(
        &admin,
        "RAW_SQL_AS",
        "DATABASE",
        json!({
            "query": oxforge_edge::audit::excerpt(query),
            "role": role.as_str(),
            "sub": sub,
            "commit": commit,
        }),
    );
    Ok(out)
}
