//! Access keys of the S3 gateway (`/api/storage/s3/access-keys`, admin only): an id
//! `INSF` + 16 × `[A-Z0-9]` and a 40-character secret shown once, sealed at rest with the
//! project's encryption key like every other secret. The gateway looks secrets up here, keeps
//! them a few seconds, and marks a key used at most once a minute.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine as _;
use oxforge_db::SecretCipher;
use oxforge_edge::{Admin, ApiError, Audit, JsonBody};
use rand::Rng;
use serde_json::{Value, json};

use crate::db::{Db, ISO};
use crate::error::{Result, StorageError};
use crate::gateway::Gateway;

/// Most keys a project keeps.
const MAX_KEYS: i64 = 50;
/// Longest description.
const MAX_DESCRIPTION: usize = 200;
/// How long a looked-up secret is trusted before it is read again (a key deleted on another
/// process stops working within this).
const CACHE_FOR: Duration = Duration::from_secs(10);
/// `last_used_at` is written at most this often per key.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// The name a sealed secret is bound to: a secret moved to another key's row does not open.
fn sealed_name(access_key_id: &str) -> String {
    format!("s3_access_key:{access_key_id}")
}

/// Secrets recently read, and when each key was last marked used.
#[derive(Default)]
pub struct Secrets {
    cached: Mutex<HashMap<String, (Option<String>, Instant)>>,
    touched: Mutex<HashMap<String, Instant>>,
}

impl Secrets {
    fn get(&self, id: &str) -> Option<Option<String>> {
        let cached = self.cached.lock().ok()?;
        cached
            .get(id)
            .filter(|(_, at)| at.elapsed() < CACHE_FOR)
            .map(|(secret, _)| secret.clone())
    }

    fn put(&self, id: &str, secret: Option<String>) {
        if let Ok(mut cached) = self.cached.lock() {
            // At most 50 keys exist; anything past that is stale.
            if cached.len() > 100 {
                cached.clear();
            }
            cached.insert(id.to_owned(), (secret, Instant::now()));
        }
    }

    fn forget(&self, id: &str) {
        if let Ok(mut cached) = self.cached.lock() {
            cached.remove(id);
        }
    }

    /// True when `id` should be marked used now.
    fn due(&self, id: &str) -> bool {
        let Ok(mut touched) = self.touched.lock() else {
            return false;
        };
        match touched.get(id) {
            Some(at) if at.elapsed() < TOUCH_EVERY => false,
            _ => {
                touched.insert(id.to_owned(), Instant::now());
                true
            }
        }
    }
}

/// The secret of access key `id`; none when there is no such key.
pub async fn secret(db: &Db, cipher: &SecretCipher, secrets: &Secrets, id: &str) -> Result<Option<String>> {
    if let Some(found) = secrets.get(id) {
        return Ok(found);
    }
    let client = db.owner().await?;
    let statement = client
        .prepare_cached("SELECT secret_access_key_encrypted FROM storage.s3_access_keys WHERE access_key_id = $1")
        .await?;
    let secret = match client.query_opt(&statement, &[&id]).await? {
        Some(row) => {
            let stored: String = row.try_get(0)?;
            Some(cipher.open(&sealed_name(id), &stored)?)
        }
        None => None,
    };
    // Only keys that exist are kept: a flood of made-up ids cannot fill the cache.
    if let Some(secret) = &secret {
        secrets.put(id, Some(secret.clone()));
    }
    Ok(secret)
}

/// Marks key `id` used (in the background, at most once a minute).
pub fn touch(db: &Db, secrets: &Secrets, id: &str) {
    if !secrets.due(id) {
        return;
    }
    let (db, id) = (db.clone(), id.to_owned());
    tokio::spawn(async move {
        let updated = async {
            let client = db.owner().await?;
            client
                .execute(
                    "UPDATE storage.s3_access_keys SET last_used_at = now() WHERE access_key_id = $1",
                    &[&id],
                )
                .await?;
            Ok::<_, StorageError>(())
        };
        if let Err(e) = updated.await {
            tracing::warn!(error = %e, "an S3 access key's last use was not recorded");
        }
    });
}

fn key_json() -> String {
    let created = ISO.replace("uploaded_at", "created_at");
    let used = ISO.replace("uploaded_at", "last_used_at");
    format!(
        "json_build_object('id', id, 'accessKeyId', access_key_id, 'description', description, \
         'createdAt', {created}, 'lastUsedAt', CASE WHEN last_used_at IS NULL THEN NULL ELSE {used} END)"
    )
}

/// `GET /api/storage/s3/access-keys`: newest first, never a secret.
pub async fn list(_: Admin, State(gw): State<Gateway>) -> Result<Json<Value>> {
    let client = gw.storage.db.owner().await?;
    let sql = format!(
        "SELECT coalesce(json_agg({} ORDER BY created_at DESC, access_key_id), '[]')::text FROM storage.s3_access_keys",
        key_json()
    );
    let text: String = client.query_one(&sql, &[]).await?.try_get(0)?;
    Ok(Json(serde_json::from_str(&text).map_err(std::io::Error::other)?))
}

/// A new key id: `INSF` and 16 of `[A-Z0-9]`.
fn new_key_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("INSF{tail}")
}

/// `POST /api/storage/s3/access-keys {description?}`: 201 with the secret, shown this once.
pub async fn create(
    Admin(admin): Admin,
    audit: Audit,
    State(gw): State<Gateway>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<Value>)> {
    let description = match body.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) if d.chars().count() <= MAX_DESCRIPTION => Some(d.clone()),
        Some(Value::String(_)) => {
            return Err(ApiError::invalid_input(format!(
                "description: String must contain at most {MAX_DESCRIPTION} character(s)"
            ))
            .into());
        }
        Some(_) => return Err(ApiError::invalid_input("description: Expected string").into()),
    };
    let id = new_key_id();
    let secret_bytes: [u8; 30] = rand::random();
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret_bytes);
    let sealed = gw.cipher.seal(&sealed_name(&id), &secret)?;
    let mut client = gw.storage.db.owner().await?;
    let tx = client.transaction().await?;
    // One creation at a time, so two at once cannot both pass the limit.
    tx.execute("LOCK TABLE storage.s3_access_keys IN SHARE ROW EXCLUSIVE MODE", &[])
        .await?;
    let count: i64 = tx
        .query_one("SELECT count(*) FROM storage.s3_access_keys", &[])
        .await?
        .try_get(0)?;
    if count >= MAX_KEYS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "S3_ACCESS_KEY_LIMIT_EXCEEDED",
            format!("A project can have at most {MAX_KEYS} S3 access keys. Delete one you no longer use first."),
        )
        .into());
    }
    let sql = format!(
        "INSERT INTO storage.s3_access_keys (access_key_id, secret_access_key_encrypted, description) \
         VALUES ($1, $2, $3) RETURNING ({})::text",
        key_json()
    );
    let text: String = tx.query_one(&sql, &[&id, &sealed, &description]).await?.try_get(0)?;
    tx.commit().await?;
    let mut created: Value = serde_json::from_str(&text).map_err(std::io::Error::other)?;
    created["secretAccessKey"] = json!(secret);
    audit.record(&admin, "CREATE_S3_ACCESS_KEY", "STORAGE", json!({ "accessKeyId": id }));
    Ok((StatusCode::CREATED, Json(created)))
}

/// `DELETE /api/storage/s3/access-keys/{id}`: 204; the key stops working at once here and
/// within seconds on other processes.
pub async fn delete(
    Admin(admin): Admin,
    audit: Audit,
    State(gw): State<Gateway>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let missing = || {
        StorageError::Api(ApiError::not_found(
            "S3_ACCESS_KEY_NOT_FOUND",
            format!("S3 access key {id} not found"),
        ))
    };
    let client = gw.storage.db.owner().await?;
    let row = client
        .query_opt(
            "DELETE FROM storage.s3_access_keys WHERE id::text = $1 OR access_key_id = $1 RETURNING access_key_id",
            &[&id],
        )
        .await?
        .ok_or_else(missing)?;
    let access_key_id: String = row.try_get(0)?;
    gw.secrets.forget(&access_key_id);
    audit.record(
        &admin,
        "DELETE_S3_ACCESS_KEY",
        "STORAGE",
        json!({ "accessKeyId": access_key_id }),
    );
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_have_insforge_shape() {
        let id = new_key_id();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("INSF"));
        assert!(id[4..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert_ne!(new_key_id(), id);
    }
}
