//! Uploads: `PUT …/objects/{key}` (create or replace, 200) and `POST …/objects` (a generated
//! key, 201), both multipart with one file field `file`, streamed to a temporary file under the
//! configured cap, then the row upserted as the caller, the file renamed into place, commit.

use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{HeaderMap, StatusCode};
use chrono::{SecondsFormat, Utc};
use oxforge_edge::Caller;
use rand::Rng;
use serde_json::{Value, json};

use crate::backend::{Backend, Staged};
use crate::db::{Actor, ObjectRow, Via, begin, bucket_info, upsert};
use crate::error::{Result, StorageError, missing_bucket};
use crate::keys::{check_key, object_url};
use crate::mime::detect;
use crate::state::StorageState;

/// Where the key comes from.
pub enum KeyFrom {
    /// `PUT …/objects/{key}`.
    Path(String),
    /// `POST …/objects`: generated from the part's file name.
    Generated,
}

/// What was received: the staged file, its key, the part's declared type.
struct Received {
    staged: Staged,
    key: String,
    declared: Option<String>,
}

fn too_large(max_mb: i32) -> StorageError {
    StorageError::TooLarge(format!("File too large. Maximum upload size is {max_mb} MB."))
}

fn multipart_error(e: MultipartError, max_mb: i32) -> StorageError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(max_mb);
    }
    StorageError::invalid(format!("Cannot read the multipart body: {}", e.body_text()))
}

/// An upload, credentials checked before the body is read.
pub async fn upload(state: &StorageState, request: Request, bucket: &str, key: KeyFrom) -> Result<(StatusCode, Value)> {
    let (mut parts, body) = request.into_parts();
    let Caller(principal) = Caller::from_request_parts(&mut parts, state).await?;
    let actor = Actor::of(&principal);
    if let KeyFrom::Path(key) = &key {
        check_key(key)?;
    }
    let backend = state.backend()?;
    let info = bucket_info(&state.db, bucket).await?;
    if !info.exists {
        return Err(StorageError::Constraint(missing_bucket(bucket)));
    }
    let headers = parts.headers.clone();
    let multipart = Multipart::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(|_| StorageError::invalid("File is required"))?;
    let cap = u64::try_from(info.max_mb).unwrap_or(0) * 1024 * 1024;
    let status = match key {
        KeyFrom::Path(_) => StatusCode::OK,
        KeyFrom::Generated => StatusCode::CREATED,
    };
    let received = receive(backend, multipart, cap, info.max_mb, bucket, &key).await?;
    let key = received.key.clone();
    // From here on the upload is complete: the row, the rename and the commit run to their end
    // even if the client goes away, so the file and the row cannot disagree.
    let (state, bucket) = (state.clone(), bucket.to_owned());
    let body = tokio::spawn(async move { store(&state, &headers, &actor, &bucket, &key, received).await })
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))??;
    Ok((status, body))
}

/// Streams the field `file` to a temporary file (on S3, a large one straight to its key); any
/// other file field is refused.
async fn receive(
    backend: &Backend,
    mut multipart: Multipart,
    cap: u64,
    max_mb: i32,
    bucket: &str,
    key: &KeyFrom,
) -> Result<Received> {
    let mut received: Option<Received> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, max_mb))? {
        let is_file = field.name() == Some("file");
        if !is_file {
            if field.file_name().is_some() {
                return Err(StorageError::invalid("Unexpected field"));
            }
            continue;
        }
        if received.is_some() {
            return Err(StorageError::invalid("Unexpected field"));
        }
        let key = match key {
            KeyFrom::Path(key) => key.clone(),
            KeyFrom::Generated => generated_key(field.file_name().unwrap_or("file")),
        };
        check_key(&key)?;
        let declared = field.content_type().map(str::to_owned);
        let mut incoming = backend.incoming(declared.as_deref(), bucket, &key).await?;
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max_mb))? {
            if incoming.size() + chunk.len() as u64 > cap {
                // The temporary file goes now; the rest of the body is read and dropped, so
                // the client, still sending, gets the answer instead of a reset connection.
                drop(incoming);
                while let Ok(Some(_)) = field.chunk().await {}
                drop(field);
                while let Ok(Some(mut rest)) = multipart.next_field().await {
                    while let Ok(Some(_)) = rest.chunk().await {}
                }
                return Err(too_large(max_mb));
            }
            incoming.write(&chunk).await?;
        }
        received = Some(Received {
            staged: incoming.finish().await?,
            key,
            declared,
        });
    }
    received.ok_or_else(|| StorageError::invalid("File is required"))
}

/// InsForge's generated key: `<base sanitized, ≤ 32, or "file">-<ms>-<6 base36><ext>`.
pub fn generated_key(filename: &str) -> String {
    let (base, ext) = match filename.rfind('.') {
        Some(dot) if dot > 0 => (&filename[..dot], &filename[dot..]),
        _ => (filename, ""),
    };
    let mut sanitized: String = base
        .encode_utf16()
        .take(32)
        .map(|u| match char::from_u32(u32::from(u)) {
            Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '_' => c,
            _ => '-',
        })
        .collect();
    if sanitized.is_empty() {
        sanitized = "file".to_owned();
    }
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let random: String = (0..6)
        .map(|_| DIGITS[rng.random_range(0..DIGITS.len())] as char)
        .collect();
    format!("{sanitized}-{}-{random}{ext}", Utc::now().timestamp_millis())
}

/// A row written and its bytes in place.
pub struct Stored {
    pub size: i64,
    pub etag: String,
    pub mime: String,
    pub uploaded_at: String,
}

/// Upserts the row of `bucket`/`key` as `actor`, renames the staged bytes into place, commits.
/// The type comes from the first bytes (else `declared`, never an unsafe one). On failure the
/// staged bytes are discarded and nothing changed.
pub async fn commit(
    state: &StorageState,
    actor: &Actor,
    bucket: &str,
    key: &str,
    staged: Staged,
    declared: Option<&str>,
    via: Via<'_>,
) -> Result<Stored> {
    let backend = state.backend()?;
    let mime = detect(staged.head(), declared);
    let uploaded_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let size = i64::try_from(staged.size()).map_err(|_| StorageError::invalid("File too large"))?;
    let etag = staged.etag().to_owned();
    let mut client = state.db.connect(actor).await?;
    let tx = begin(&mut client, actor).await?;
    let row = ObjectRow {
        bucket,
        key,
        size,
        mime: Some(&mime),
        uploaded_at: &uploaded_at,
        etag: Some(&etag),
        via,
    };
    let written = upsert(&tx, actor, &row).await;
    if let Err(e) = written {
        backend.discard(staged).await;
        return Err(StorageError::on_write(e, bucket, key));
    }
    backend.place(staged, bucket, key).await?;
    tx.commit().await.map_err(|e| StorageError::on_write(e, bucket, key))?;
    Ok(Stored {
        size,
        etag,
        mime,
        uploaded_at,
    })
}

/// Stores an upload as `actor`; the `StorageFile`.
async fn store(
    state: &StorageState,
    headers: &HeaderMap,
    actor: &Actor,
    bucket: &str,
    key: &str,
    received: Received,
) -> Result<Value> {
    let Received { staged, declared, .. } = received;
    let stored = commit(state, actor, bucket, key, staged, declared.as_deref(), Via::REST).await?;
    let url = object_url(&state.base_url(headers), bucket, key, &stored.etag);
    Ok(json!({
        "bucket": bucket,
        "key": key,
        "size": stored.size,
        "mimeType": stored.mime,
        "uploadedAt": stored.uploaded_at,
        "url": url,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys() {
        let key = generated_key("my photo.final.PNG");
        assert!(key.starts_with("my-photo-final-"), "{key}");
        assert!(key.ends_with(".PNG"), "{key}");
        let key = generated_key(".env");
        assert!(key.starts_with("-env-") || key.starts_with("file-"), "{key}");
        let key = generated_key(&"x".repeat(50));
        assert!(key.starts_with(&format!("{}-", "x".repeat(32))), "{key}");
        assert!(generated_key("").starts_with("file-"));
    }
}
