//! The project secret store, `system.secrets`: one active value per key.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;

use crate::{DbError, SecretCipher};

/// Reserved secrets oxforge itself keeps.
pub const API_KEY: &str = "API_KEY";
pub const ANON_KEY: &str = "ANON_KEY";
pub const JWT_SECRET: &str = "JWT_SECRET";
pub const JWT_PRIVATE_KEY: &str = "JWT_PRIVATE_KEY";
pub const JWT_PUBLIC_KEY: &str = "JWT_PUBLIC_KEY";
pub const JWT_KEY_ID: &str = "JWT_KEY_ID";
pub const ROOT_ADMIN_PASSWORD: &str = "ROOT_ADMIN_PASSWORD";
/// The password of the `authenticator` login role (the request path's connections).
pub const AUTHENTICATOR_PASSWORD: &str = "AUTHENTICATOR_PASSWORD";

/// Every active, unexpired secret.
pub async fn active_map(
    client: &impl GenericClient,
    cipher: &SecretCipher,
) -> Result<HashMap<String, String>, DbError> {
    let rows = client
        .query(
            "SELECT key, value FROM system.secrets
             WHERE is_active AND (expires_at IS NULL OR expires_at > now())",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let key: String = r.try_get(0)?;
            let value = cipher.open(&key, r.try_get(1)?)?;
            Ok((key, value))
        })
        .collect()
}

/// The active value of one secret.
pub async fn get(client: &impl GenericClient, cipher: &SecretCipher, key: &str) -> Result<Option<String>, DbError> {
    let row = client
        .query_opt(
            "SELECT value FROM system.secrets
             WHERE key = $1 AND is_active AND (expires_at IS NULL OR expires_at > now())",
            &[&key],
        )
        .await?;
    row.map(|r| cipher.open(key, r.try_get(0)?)).transpose()
}

/// Sets a reserved secret, replacing its active value.
pub async fn put_reserved(
    client: &impl GenericClient,
    cipher: &SecretCipher,
    key: &str,
    value: &str,
) -> Result<(), DbError> {
    let stored = cipher.seal(key, value)?;
    client
        .execute(
            "INSERT INTO system.secrets (key, value, is_reserved) VALUES ($1, $2, true)
             ON CONFLICT (key) WHERE is_active DO UPDATE
               SET value = excluded.value, is_reserved = true, updated_at = now()",
            &[&key, &stored],
        )
        .await?;
    Ok(())
}

/// Seals every value still stored in plain text (from before a key was configured); returns how
/// many. Run under the bootstrap lock.
pub async fn seal_plaintext(client: &impl GenericClient, cipher: &SecretCipher) -> Result<usize, DbError> {
    if !cipher.is_enabled() {
        return Ok(0);
    }
    let rows = client
        .query(
            "SELECT id::text, key, value FROM system.secrets WHERE NOT starts_with(value, $1)",
            &[&SecretCipher::PREFIX],
        )
        .await?;
    for row in &rows {
        let id: String = row.try_get(0)?;
        let key: String = row.try_get(1)?;
        let sealed = cipher.seal(&key, row.try_get(2)?)?;
        client
            .execute(
                "UPDATE system.secrets SET value = $2 WHERE id = $1::text::uuid",
                &[&id, &sealed],
            )
            .await?;
    }
    Ok(rows.len())
}

const SECRET_JSON: &str = r#"json_build_object('id', id, 'key', key, 'isActive', is_active, 'isReserved', is_reserved,
  'lastUsedAt', to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'expiresAt', to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'createdAt', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'updatedAt', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))"#;

/// `{secrets:[{id,key,isActive,isReserved,lastUsedAt,expiresAt,createdAt,updatedAt}]}` (no values).
pub async fn list(client: &impl GenericClient) -> Result<String, DbError> {
    let sql = format!(
        "SELECT json_build_object('secrets', coalesce(json_agg({SECRET_JSON} ORDER BY key, created_at), '[]'::json))::text
         FROM system.secrets"
    );
    Ok(client.query_one(&sql, &[]).await?.try_get(0)?)
}

/// Creates a secret; `None` if an active one with this key exists.
pub async fn create(
    client: &impl GenericClient,
    cipher: &SecretCipher,
    key: &str,
    value: &str,
    reserved: bool,
    expires_at: Option<&str>,
) -> Result<Option<String>, DbError> {
    let row = client
        .query_opt(
            "INSERT INTO system.secrets (key, value, is_reserved, expires_at) VALUES ($1, $2, $3, $4::text::timestamptz)
             ON CONFLICT (key) WHERE is_active DO NOTHING RETURNING id::text",
            &[&key, &cipher.seal(key, value)?, &reserved, &expires_at],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// What `PUT /api/secrets/:key` may change; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct SecretUpdate {
    pub value: Option<String>,
    pub is_active: Option<bool>,
    pub is_reserved: Option<bool>,
    /// `Some(None)` clears the expiry.
    pub expires_at: Option<Option<String>>,
}

/// Updates the current (newest) secret with this key; `false` if there is none.
pub async fn update(
    client: &impl GenericClient,
    cipher: &SecretCipher,
    key: &str,
    change: &SecretUpdate,
) -> Result<bool, DbError> {
    let value = change.value.as_deref().map(|v| cipher.seal(key, v)).transpose()?;
    let set_expiry = change.expires_at.is_some();
    let expiry = change.expires_at.clone().flatten();
    let n = client
        .execute(
            "UPDATE system.secrets SET
               value = coalesce($2, value), is_active = coalesce($3, is_active), is_reserved = coalesce($4, is_reserved),
               expires_at = CASE WHEN $5 THEN $6::text::timestamptz ELSE expires_at END, updated_at = now()
             WHERE id = (SELECT id FROM system.secrets WHERE key = $1 ORDER BY is_active DESC, created_at DESC LIMIT 1)",
            &[&key, &value, &change.is_active, &change.is_reserved, &set_expiry, &expiry],
        )
        .await?;
    Ok(n > 0)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    Yes,
    NotFound,
    Reserved,
}

/// Soft delete: the active secret becomes inactive. Reserved secrets cannot be deleted.
pub async fn delete(client: &impl GenericClient, key: &str) -> Result<Deleted, DbError> {
    let row = client
        .query_opt(
            "SELECT is_reserved FROM system.secrets WHERE key = $1 AND is_active",
            &[&key],
        )
        .await?;
    match row.map(|r| r.get::<_, bool>(0)) {
        None => Ok(Deleted::NotFound),
        Some(true) => Ok(Deleted::Reserved),
        Some(false) => {
            client
                .execute(
                    "UPDATE system.secrets SET is_active = false, updated_at = now() WHERE key = $1 AND is_active",
                    &[&key],
                )
                .await?;
            Ok(Deleted::Yes)
        }
    }
}

/// The NOTIFY channel that tells every oxforge process to reload its keys.
pub const KEYS_CHANNEL: &str = "oxforge_keys";

/// Replaces `API_KEY` or `ANON_KEY` by `new_value`; the old value stays valid (as
/// `<KEY>_OLD_<epoch>`) for `grace_hours`. Returns the old key's expiry (ISO-8601).
pub async fn rotate(
    pool: &crate::Pool,
    cipher: &SecretCipher,
    key: &str,
    new_value: &str,
    grace_hours: f64,
) -> Result<Option<String>, DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let old = tx
        .query_opt(
            r#"UPDATE system.secrets
               SET key = key || '_OLD_' || floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint,
                   expires_at = now() + $2::float8 * interval '1 hour', updated_at = now()
               WHERE key = $1 AND is_active
               RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#,
            &[&key, &grace_hours],
        )
        .await?;
    tx.execute(
        "INSERT INTO system.secrets (key, value, is_reserved) VALUES ($1, $2, true)",
        &[&key, &cipher.seal(key, new_value)?],
    )
    .await?;
    tx.batch_execute(&format!("NOTIFY {KEYS_CHANNEL}, 'rotated'")).await?;
    tx.commit().await?;
    Ok(old.map(|r| r.get(0)))
}

/// The current value of `base` and the rotated-out ones still in their grace period, with
/// their expiry (seconds since the epoch).
pub async fn key_versions(
    client: &impl GenericClient,
    cipher: &SecretCipher,
    base: &str,
) -> Result<Vec<(String, Option<i64>)>, DbError> {
    let rows = client
        .query(
            "SELECT key, value, floor(extract(epoch FROM expires_at))::bigint FROM system.secrets
             WHERE is_active AND (key = $1 OR key LIKE $1 || '\\_OLD\\_%') AND (expires_at IS NULL OR expires_at > now())
             ORDER BY (key = $1) DESC, created_at DESC",
            &[&base],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((cipher.open(r.try_get(0)?, r.try_get(1)?)?, r.try_get(2)?)))
        .collect()
}
