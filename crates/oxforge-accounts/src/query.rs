//! Users and sessions (`auth.users`, `auth.sessions`).
//!
//! User objects are built by PostgreSQL in InsForge's shape and key order
//! (`{id,email,emailVerified,providers,createdAt,updatedAt,profile,metadata}`, timestamps as
//! ISO-8601 with milliseconds and `Z`); the auth configuration (`auth.config`).

use oxforge_db::DbError;
use oxforge_db::deadpool_postgres::GenericClient;
use oxforge_db::tokio_postgres;

use crate::auth_config::{AuthConfig, AuthConfigPatch};

/// The SQL expression for a user object of the row `u`.
const USER_JSON: &str = r#"json_build_object(
  'id', u.id,
  'email', u.email,
  'emailVerified', u.email_verified,
  'providers', CASE WHEN u.password IS NULL THEN '[]'::json ELSE '["email"]'::json END,
  'createdAt', to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'updatedAt', to_char(u.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'profile', u.profile,
  'metadata', u.metadata
)::text"#;

/// A user: id, email, password hash (if any) and the user object as JSON text.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub json: String,
}

fn user_row(row: &tokio_postgres::Row) -> Result<UserRow, DbError> {
    Ok(UserRow {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        password_hash: row.try_get(2)?,
        json: row.try_get(3)?,
    })
}

fn select_user(condition: &str) -> String {
    format!("SELECT u.id::text, u.email, u.password, {USER_JSON} FROM auth.users u WHERE {condition}")
}

/// Creates a user; `None` when the email is taken (also under concurrent sign-ups).
pub async fn create_user(
    client: &impl GenericClient,
    email: &str,
    password_hash: &str,
    profile_json: &str,
) -> Result<Option<UserRow>, DbError> {
    let sql = format!(
        "WITH u AS (INSERT INTO auth.users (email, password, profile) VALUES ($1, $2, $3::text::jsonb)
                    ON CONFLICT (lower(email)) DO NOTHING RETURNING *)
         SELECT u.id::text, u.email, u.password, {USER_JSON} FROM u"
    );
    let row = client.query_opt(&sql, &[&email, &password_hash, &profile_json]).await?;
    row.as_ref().map(user_row).transpose()
}

pub async fn user_by_email(client: &impl GenericClient, email: &str) -> Result<Option<UserRow>, DbError> {
    let row = client
        .query_opt(&select_user("lower(u.email) = lower($1)"), &[&email])
        .await?;
    row.as_ref().map(user_row).transpose()
}

/// `id` must already be a well-formed uuid.
pub async fn user_by_id(client: &impl GenericClient, id: &str) -> Result<Option<UserRow>, DbError> {
    let row = client.query_opt(&select_user("u.id = $1::text::uuid"), &[&id]).await?;
    row.as_ref().map(user_row).transpose()
}

/// `{id, profile}` of a user, as JSON text.
pub async fn profile(client: &impl GenericClient, id: &str) -> Result<Option<String>, DbError> {
    let row = client
        .query_opt(
            "SELECT json_build_object('id', id, 'profile', profile)::text FROM auth.users WHERE id = $1::text::uuid",
            &[&id],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Shallow-merges `patch` (a JSON object) into the profile; returns `{id, profile}`.
pub async fn merge_profile(client: &impl GenericClient, id: &str, patch: &str) -> Result<Option<String>, DbError> {
    let row = client
        .query_opt(
            "UPDATE auth.users SET profile = profile || $2::text::jsonb, updated_at = now() WHERE id = $1::text::uuid
             RETURNING json_build_object('id', id, 'profile', profile)::text",
            &[&id, &patch],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// A page of users (newest first) matching `search` in the email, and the total.
pub async fn list_users(
    client: &impl GenericClient,
    limit: i64,
    offset: i64,
    search: Option<&str>,
) -> Result<(String, i64), DbError> {
    let pattern = search.map(|s| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let sql = format!(
        "WITH m AS (SELECT * FROM auth.users u WHERE $3::text IS NULL OR u.email ILIKE $3)
         SELECT coalesce((SELECT json_agg(x.j) FROM (SELECT {USER_JSON}::json AS j FROM m u
                ORDER BY u.created_at DESC, u.id LIMIT $1 OFFSET $2) x), '[]'::json)::text,
                (SELECT count(*) FROM m)"
    );
    let row = client.query_one(&sql, &[&limit, &offset, &pattern]).await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Deletes users (their sessions go with them); returns how many were deleted.
pub async fn delete_users(client: &impl GenericClient, ids: &[String]) -> Result<u64, DbError> {
    Ok(client
        .execute("DELETE FROM auth.users WHERE id::text = ANY($1)", &[&ids])
        .await?)
}

/// A session to start.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    /// A user id, or `local:<admin>`.
    pub subject: &'a str,
    pub user_id: Option<&'a str>,
    pub session_type: &'a str,
    pub csrf_nonce: &'a str,
    pub token_id: &'a str,
    /// The refresh token's lifetime; each refresh starts it again…
    pub ttl_seconds: i64,
    /// …but never beyond this long after the session began.
    pub max_lifetime_seconds: i64,
    /// Admin sessions: the credentials they were signed in with (see `AdminCredentials::epoch`).
    pub credential_epoch: Option<&'a str>,
}

/// A new session: its id and how long its refresh token lives, in seconds.
pub async fn create_session(client: &impl GenericClient, new: &NewSession<'_>) -> Result<(String, i64), DbError> {
    let row = client
        .query_one(
            "WITH s AS (
               INSERT INTO auth.sessions (subject, user_id, session_type, csrf_nonce, token_id, credential_epoch, expires_at)
               VALUES ($1, $2::text::uuid, $3, $4, $5, $6,
                       now() + make_interval(secs => least($7::bigint, $8::bigint)))
               RETURNING id, expires_at)
             SELECT id::text, ceil(extract(epoch FROM expires_at - now()))::bigint FROM s",
            &[
                &new.subject,
                &new.user_id,
                &new.session_type,
                &new.csrf_nonce,
                &new.token_id,
                &new.credential_epoch,
                &new.ttl_seconds,
                &new.max_lifetime_seconds,
            ],
        )
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// A refresh of a session.
#[derive(Debug, Clone, Copy)]
pub struct Rotation<'a> {
    pub session_id: &'a str,
    pub session_type: &'a str,
    /// The token id presented…
    pub old: &'a str,
    /// …and the one that replaces it.
    pub new: &'a str,
    pub ttl_seconds: i64,
    pub max_lifetime_seconds: i64,
    /// Must equal the session's (`None` for user sessions).
    pub credential_epoch: Option<&'a str>,
}

/// What a successful rotation returns.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub subject: String,
    pub user: Option<UserRow>,
    /// Seconds the new refresh token lives (less than the TTL near the session's end).
    pub expires_in: i64,
}

/// Replaces the session's current token id `old` by `new`, atomically: a refresh token works
/// once, and two concurrent refreshes with it cannot both succeed. A session past its maximum
/// lifetime, revoked, expired or of other credentials is not rotated.
pub async fn rotate_session(client: &impl GenericClient, rotation: &Rotation<'_>) -> Result<Option<Rotated>, DbError> {
    let sql = format!(
        "WITH s AS (
           UPDATE auth.sessions SET token_id = $4, refreshed_at = now(),
                  expires_at = least(now() + make_interval(secs => $5::bigint),
                                     created_at + make_interval(secs => $6::bigint))
           WHERE id::text = $1 AND session_type = $2 AND token_id = $3
             AND revoked_at IS NULL AND expires_at > now()
             AND created_at + make_interval(secs => $6::bigint) > now()
             AND credential_epoch IS NOT DISTINCT FROM $7
           RETURNING subject, user_id, expires_at)
         SELECT s.subject, u.id::text, u.email, u.password, CASE WHEN u.id IS NULL THEN NULL ELSE {USER_JSON} END,
                ceil(extract(epoch FROM s.expires_at - now()))::bigint
         FROM s LEFT JOIN auth.users u ON u.id = s.user_id"
    );
    let row = client
        .query_opt(
            &sql,
            &[
                &rotation.session_id,
                &rotation.session_type,
                &rotation.old,
                &rotation.new,
                &rotation.ttl_seconds,
                &rotation.max_lifetime_seconds,
                &rotation.credential_epoch,
            ],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let user = match row.try_get::<_, Option<String>>(1)? {
        Some(id) => Some(UserRow {
            id,
            email: row.try_get(2)?,
            password_hash: row.try_get(3)?,
            json: row.try_get(4)?,
        }),
        None => None,
    };
    Ok(Some(Rotated {
        subject: row.try_get(0)?,
        user,
        expires_in: row.try_get(5)?,
    }))
}

/// Whether a user with this id exists (to tell "user deleted" from "token reused").
pub async fn user_exists(client: &impl GenericClient, id: &str) -> Result<bool, DbError> {
    let row = client
        .query_one("SELECT EXISTS (SELECT 1 FROM auth.users WHERE id::text = $1)", &[&id])
        .await?;
    Ok(row.try_get(0)?)
}

pub async fn revoke_session(client: &impl GenericClient, session_id: &str) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE auth.sessions SET revoked_at = now() WHERE id::text = $1 AND revoked_at IS NULL",
            &[&session_id],
        )
        .await?;
    Ok(())
}

/// Revokes every live session of one type (`admin`: all admin sessions); returns how many.
pub async fn revoke_sessions_of_type(client: &impl GenericClient, session_type: &str) -> Result<u64, DbError> {
    Ok(client
        .execute(
            "UPDATE auth.sessions SET revoked_at = now() WHERE session_type = $1 AND revoked_at IS NULL",
            &[&session_type],
        )
        .await?)
}

/// Revokes every live session of a user (`id` a well-formed uuid); returns how many.
pub async fn revoke_sessions_of_user(client: &impl GenericClient, id: &str) -> Result<u64, DbError> {
    Ok(client
        .execute(
            "UPDATE auth.sessions SET revoked_at = now() WHERE user_id = $1::text::uuid AND revoked_at IS NULL",
            &[&id],
        )
        .await?)
}

/// The auth configuration `c` as InsForge's record (JSON text), timestamps as for users.
const CONFIG_JSON: &str = r#"json_build_object(
  'id', c.id,
  'requireEmailVerification', c.require_email_verification,
  'passwordMinLength', c.password_min_length,
  'requireNumber', c.require_number,
  'requireLowercase', c.require_lowercase,
  'requireUppercase', c.require_uppercase,
  'requireSpecialChar', c.require_special_char,
  'verifyEmailMethod', c.verify_email_method,
  'resetPasswordMethod', c.reset_password_method,
  'allowedRedirectUrls', c.allowed_redirect_urls,
  'disableSignup', c.disable_signup,
  'createdAt', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'updatedAt', to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
)::text"#;

fn config_row(row: &tokio_postgres::Row) -> Result<AuthConfig, DbError> {
    let json: String = row.try_get(0)?;
    serde_json::from_str(&json).map_err(|e| DbError::Protocol(format!("auth.config record: {e}")))
}

/// The auth configuration, in one statement; the row is created on first use with
/// `password_min_length` = `seed_min_length` (the setting) and the other defaults.
pub async fn auth_config(client: &impl GenericClient, seed_min_length: i32) -> Result<AuthConfig, DbError> {
    let sql = format!(
        "WITH seeded AS (INSERT INTO auth.config (password_min_length) VALUES ($1)
                         ON CONFLICT DO NOTHING RETURNING *)
         SELECT {CONFIG_JSON} FROM seeded c
         UNION ALL SELECT {CONFIG_JSON} FROM auth.config c
         LIMIT 1"
    );
    config_row(&client.query_one(&sql, &[&seed_min_length]).await?)
}

/// Applies the fields present in `patch` (the row must exist: read it first); `updated_at` moves.
pub async fn update_auth_config(client: &impl GenericClient, patch: &AuthConfigPatch) -> Result<AuthConfig, DbError> {
    let sql = format!(
        "UPDATE auth.config c SET
           require_email_verification = coalesce($1, c.require_email_verification),
           password_min_length = coalesce($2, c.password_min_length),
           require_number = coalesce($3, c.require_number),
           require_lowercase = coalesce($4, c.require_lowercase),
           require_uppercase = coalesce($5, c.require_uppercase),
           require_special_char = coalesce($6, c.require_special_char),
           verify_email_method = coalesce($7, c.verify_email_method),
           reset_password_method = coalesce($8, c.reset_password_method),
           allowed_redirect_urls = coalesce($9::text[], c.allowed_redirect_urls),
           disable_signup = coalesce($10, c.disable_signup),
           updated_at = now()
         RETURNING {CONFIG_JSON}"
    );
    let row = client
        .query_one(
            &sql,
            &[
                &patch.require_email_verification,
                &patch.password_min_length,
                &patch.require_number,
                &patch.require_lowercase,
                &patch.require_uppercase,
                &patch.require_special_char,
                &patch.verify_email_method,
                &patch.reset_password_method,
                &patch.allowed_redirect_urls,
                &patch.disable_signup,
            ],
        )
        .await?;
    config_row(&row)
}
