//! The object routes: list, batch and single delete (as the caller), upload and download
//! strategies, reads (no credential on public buckets), uploads (`crate::upload`) and
//! confirm-upload. Keys come from the raw path, decoded once (`crate::keys`).

use axum::Json;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use oxforge_edge::{Caller, JsonBody};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::{Actor, ISO, Meta, ObjectRow, Via, begin, bucket_info, lookup, upsert};
use crate::error::{Result, StorageError};
use crate::keys::{bucket_and_rest, check_key, encode, key_of, object_path, object_url};
use crate::mime::sanitize;
use crate::state::StorageState;
use crate::upload::{KeyFrom, upload};

const NOT_FOUND: &str = "Object not found";

async fn caller(state: &StorageState, parts: &mut Parts) -> Result<Actor> {
    let Caller(principal) = Caller::from_request_parts(parts, state).await?;
    Ok(Actor::of(&principal))
}

/// Who reads an object of `bucket`: nobody needs a credential on a public bucket (a broken
/// token is ignored); otherwise the caller's credential decides.
async fn reader(state: &StorageState, parts: &mut Parts, bucket: &str) -> Result<(Actor, bool)> {
    let info = bucket_info(&state.db, bucket).await?;
    if info.exists && info.public {
        return Ok((Actor::Root, true));
    }
    Ok((caller(state, parts).await?, false))
}

fn stamp(meta: &Meta) -> String {
    meta.etag.clone().unwrap_or_else(|| meta.uploaded_ms.to_string())
}

/// The row of an object as the reader sees it, or 404.
async fn visible(state: &StorageState, actor: &Actor, bucket: &str, key: &str) -> Result<Meta> {
    lookup(&state.db, actor, bucket, key)
        .await
        .map_err(StorageError::on_read)?
        .ok_or_else(|| StorageError::NotFound(NOT_FOUND.into()))
}

/// `GET`/`HEAD …/objects/{key}`: the bytes.
async fn read(state: StorageState, mut parts: Parts, head: bool) -> Result<Response> {
    let (bucket, key) = object_path(parts.uri.path(), "objects/")?;
    let (actor, public) = reader(&state, &mut parts, &bucket).await?;
    let backend = state.backend()?;
    let meta = visible(&state, &actor, &bucket, &key).await?;
    if let Some(s3) = backend.presigned() {
        // S3 presigned mode: a redirect to the bytes (after the same access check).
        let ttl = if public { MAX_TTL } else { 3600 };
        let url = s3
            .presigned_get(&bucket, &key, served_type(&meta), std::time::Duration::from_secs(ttl))
            .await?;
        let mut response = StatusCode::FOUND.into_response();
        let location = HeaderValue::from_str(&url).map_err(std::io::Error::other)?;
        response.headers_mut().insert(header::LOCATION, location);
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(response);
    }
    let file = backend
        .open(&bucket, &key)
        .await?
        .ok_or_else(|| StorageError::NotFound(NOT_FOUND.into()))?;
    crate::download::serve(&meta, file, &parts.headers, public, head).await
}

pub async fn get_object(State(state): State<StorageState>, parts: Parts) -> Result<Response> {
    let head = parts.method == Method::HEAD;
    read(state, parts, head).await
}

pub async fn head_object(State(state): State<StorageState>, parts: Parts) -> Result<Response> {
    read(state, parts, true).await
}

/// `PUT …/objects/{key}`: create or replace (200).
pub async fn put_object(State(state): State<StorageState>, request: Request) -> Result<Response> {
    let (bucket, key) = object_path(request.uri().path(), "objects/")?;
    let (status, body) = upload(&state, request, &bucket, KeyFrom::Path(key)).await?;
    Ok((status, Json(body)).into_response())
}

/// `POST …/objects`: upload with a generated key (201).
pub async fn post_objects(State(state): State<StorageState>, request: Request) -> Result<Response> {
    let (bucket, _) = bucket_and_rest(request.uri().path())?;
    let (status, body) = upload(&state, request, &bucket, KeyFrom::Generated).await?;
    Ok((status, Json(body)).into_response())
}

/// `DELETE …/objects/{key}`: 404 when no row was deleted (missing or hidden).
pub async fn delete_object(State(state): State<StorageState>, mut parts: Parts) -> Result<Json<Value>> {
    let (bucket, key) = object_path(parts.uri.path(), "objects/")?;
    let actor = caller(&state, &mut parts).await?;
    state.backend()?;
    // Spawned: once started, the row and the file go together even if the client goes away.
    tokio::spawn(async move {
        let backend = state.backend()?;
        let mut client = state.db.connect(&actor).await?;
        let tx = begin(&mut client, &actor).await?;
        let deleted = tx
            .execute(
                "DELETE FROM storage.objects WHERE bucket = $1 AND key = $2",
                &[&bucket, &key],
            )
            .await
            .map_err(StorageError::on_read)?;
        if deleted == 0 {
            return Err(StorageError::NotFound(NOT_FOUND.into()));
        }
        // The file goes while the row is still locked: an upload of the same key waits for
        // the commit, so it cannot be renamed into place and then removed here.
        backend.remove(&bucket, &key).await;
        tx.commit().await.map_err(StorageError::on_read)?;
        Ok(Json(json!({ "message": "Object deleted successfully" })))
    })
    .await
    .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
}

/// Most keys one batch delete takes.
const MAX_BATCH: usize = 1000;

/// `DELETE …/objects {keys}`: de-duplicated, results in first-occurrence order.
pub async fn delete_objects(
    State(state): State<StorageState>,
    uri: Uri,
    Caller(principal): Caller,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>> {
    let (bucket, _) = bucket_and_rest(uri.path())?;
    let keys = match body.get("keys") {
        None | Some(Value::Null) => return Err(StorageError::invalid("keys: Required")),
        Some(Value::Array(keys)) => keys,
        Some(_) => return Err(StorageError::invalid("keys: Expected array")),
    };
    if keys.is_empty() {
        return Err(StorageError::invalid("keys: At least one object key is required"));
    }
    if keys.len() > MAX_BATCH {
        return Err(StorageError::invalid(
            "keys: Cannot delete more than 1000 objects at once",
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let key = key
            .as_str()
            .ok_or_else(|| StorageError::invalid(format!("keys.{i}: Expected string")))?;
        if key.is_empty() {
            return Err(StorageError::invalid(format!("keys.{i}: Object key cannot be empty")));
        }
        check_key(key)?;
        if !unique.iter().any(|k| k == key) {
            unique.push(key.to_owned());
        }
    }
    let actor = Actor::of(&principal);
    state.backend()?;
    // Spawned, as for one object.
    tokio::spawn(async move {
        let backend = state.backend()?;
        let mut client = state.db.connect(&actor).await?;
        let tx = begin(&mut client, &actor).await?;
        let rows = tx
            .query(
                "DELETE FROM storage.objects WHERE bucket = $1 AND key = ANY($2) RETURNING key",
                &[&bucket, &unique],
            )
            .await
            .map_err(StorageError::on_read)?;
        let deleted: std::collections::HashSet<String> = rows.iter().filter_map(|r| r.try_get(0).ok()).collect();
        let mut results = Vec::with_capacity(unique.len());
        for key in unique {
            if deleted.contains(&key) {
                // Before the commit, as for one object.
                backend.remove(&bucket, &key).await;
                results.push(json!({ "key": key, "status": "deleted" }));
            } else {
                results.push(json!({ "key": key, "status": "notFound" }));
            }
        }
        tx.commit().await.map_err(StorageError::on_read)?;
        Ok(Json(json!({ "results": results })))
    })
    .await
    .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
}

#[derive(Deserialize)]
pub struct ListQuery {
    prefix: Option<String>,
    search: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `%`, `_` and `\` stand for themselves in a `LIKE` pattern.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `GET …/objects?prefix&search&limit&offset`: `{data, pagination, nextActions}`, under RLS.
pub async fn list_objects(
    State(state): State<StorageState>,
    uri: Uri,
    headers: HeaderMap,
    Caller(principal): Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>> {
    let (bucket, _) = bucket_and_rest(uri.path().trim_end_matches('/'))?;
    let int = |raw: &Option<String>| raw.as_deref().and_then(|s| s.trim().parse::<i64>().ok());
    let limit = match int(&query.limit) {
        Some(0) | None => 100,
        Some(n) => n.clamp(1, 1000),
    };
    let offset = int(&query.offset).unwrap_or(0).max(0);
    let prefix = query
        .prefix
        .filter(|p| !p.is_empty())
        .map(|p| format!("{}%", like_escape(&p)));
    let search = query
        .search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", like_escape(&s)));
    let actor = Actor::of(&principal);
    let mut client = state.db.connect(&actor).await?;
    let tx = begin(&mut client, &actor).await?;
    let filter = "bucket = $1 AND ($2::text IS NULL OR key LIKE $2) AND ($3::text IS NULL OR key LIKE $3)";
    let sql = format!(
        "SELECT bucket, key, size, mime_type, {ISO}, uploaded_by, uploaded_via, s3_access_key_id, etag, \
           (extract(epoch FROM uploaded_at) * 1000)::bigint, count(*) OVER () \
         FROM storage.objects WHERE {filter} ORDER BY key LIMIT $4 OFFSET $5"
    );
    let rows = tx
        .query(&sql, &[&bucket, &prefix, &search, &limit, &offset])
        .await
        .map_err(StorageError::on_read)?;
    let total: i64 = match rows.first() {
        Some(row) => row.try_get(10)?,
        None => {
            let count = format!("SELECT count(*) FROM storage.objects WHERE {filter}");
            tx.query_one(&count, &[&bucket, &prefix, &search])
                .await
                .map_err(StorageError::on_read)?
                .try_get(0)?
        }
    };
    tx.commit().await.map_err(StorageError::on_read)?;
    let base = state.base_url(&headers);
    let mut data = Vec::with_capacity(rows.len());
    for row in &rows {
        let key: String = row.try_get(1)?;
        let mime: String = row
            .try_get::<_, Option<String>>(3)?
            .unwrap_or_else(|| crate::mime::OCTET_STREAM.to_owned());
        let uploaded_at: Option<String> = row.try_get(4)?;
        let etag: Option<String> = row.try_get(8)?;
        let ms: Option<i64> = row.try_get(9)?;
        let stamp = etag.clone().unwrap_or_else(|| ms.unwrap_or(0).to_string());
        data.push(json!({
            "bucket": row.try_get::<_, String>(0)?,
            "key": key,
            "size": row.try_get::<_, i64>(2)?,
            "mime_type": mime,
            "uploaded_at": uploaded_at,
            "uploaded_by": row.try_get::<_, Option<String>>(5)?,
            "uploaded_via": row.try_get::<_, String>(6)?,
            "s3_access_key_id": row.try_get::<_, Option<String>>(7)?,
            "etag": etag,
            "mimeType": mime,
            "uploadedAt": uploaded_at,
            "url": object_url(&base, &bucket, &key, &stamp),
        }));
    }
    let shown = data.len() as i64;
    Ok(Json(json!({
        "data": data,
        "pagination": { "offset": offset, "limit": limit, "total": total },
        "nextActions": if offset + shown < total {
            format!("More objects: request offset={}", offset + shown)
        } else {
            "Download an object with GET its url; upload with PUT /api/storage/buckets/{bucket}/objects/{key}".to_owned()
        },
    })))
}

/// `expiresIn` as InsForge reads it: absent, `""` or `null` → default; not a finite number → 400.
fn check_expires_in(value: Option<&Value>) -> Result<()> {
    let finite = match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty() || s.trim().parse::<f64>().is_ok_and(f64::is_finite),
        Some(Value::Number(n)) => n.as_f64().is_some_and(f64::is_finite),
        Some(Value::Bool(_)) => true,
        Some(_) => false,
    };
    if finite {
        Ok(())
    } else {
        Err(StorageError::invalid("expiresIn must be a finite number of seconds"))
    }
}

/// The type an object is served with: its row's, else octet-stream.
fn served_type(meta: &Meta) -> &str {
    meta.mime
        .as_deref()
        .filter(|m| !m.is_empty())
        .unwrap_or(crate::mime::OCTET_STREAM)
}

/// Seven days: the longest a SigV4 presigned URL lives, and what public buckets get.
const MAX_TTL: u64 = 604_800;

/// A presigned URL's lifetime: 7 days on public buckets; else `expiresIn` (floored, clamped to
/// 1 s – 7 days), 1 hour by default.
fn ttl_seconds(expires_in: Option<&Value>, public: bool) -> u64 {
    if public {
        return MAX_TTL;
    }
    let seconds = match expires_in {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s) if s.is_finite() => s.floor().clamp(1.0, MAX_TTL as f64) as u64,
        _ => 3600,
    }
}

/// The download strategy of an object: `direct` with its absolute URL (`?v=<etag>`), or in S3
/// presigned mode a presigned `GET` with its `expiresAt`.
async fn download_strategy(
    state: &StorageState,
    parts: &mut Parts,
    bucket: &str,
    key: &str,
    expires_in: Option<&Value>,
) -> Result<Response> {
    check_expires_in(expires_in)?;
    let (actor, public) = reader(state, parts, bucket).await?;
    let meta = visible(state, &actor, bucket, key).await?;
    let body = match state.backend()?.presigned() {
        Some(s3) => {
            let ttl = ttl_seconds(expires_in, public);
            let url = s3
                .presigned_get(bucket, key, served_type(&meta), std::time::Duration::from_secs(ttl))
                .await?;
            let expires_at = chrono::Utc::now() + chrono::Duration::seconds(ttl as i64);
            json!({
                "method": "presigned",
                "url": url,
                "expiresAt": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            })
        }
        None => json!({
            "method": "direct",
            "url": object_url(&state.base_url(&parts.headers), bucket, key, &stamp(&meta)),
        }),
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET …/download-strategy/objects/{key}[?expiresIn]`.
pub async fn get_download_strategy(State(state): State<StorageState>, mut parts: Parts) -> Result<Response> {
    let (bucket, key) = object_path(parts.uri.path(), "download-strategy/objects/")?;
    let query: Vec<(String, String)> = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let expires = query
        .iter()
        .find(|(k, _)| k == "expiresIn")
        .map(|(_, v)| Value::String(v.clone()));
    download_strategy(&state, &mut parts, &bucket, &key, expires.as_ref()).await
}

/// `POST …/upload-strategy {filename, contentType?, size?}`: `direct`, after a row-level
/// security probe for non-admins (the write is tried and rolled back).
pub async fn upload_strategy(
    State(state): State<StorageState>,
    uri: Uri,
    headers: HeaderMap,
    Caller(principal): Caller,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>> {
    let (bucket, _) = bucket_and_rest(uri.path())?;
    let key = match body.get("filename") {
        None | Some(Value::Null) => return Err(StorageError::invalid("filename: Required")),
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(StorageError::invalid("filename: Expected string")),
    };
    let content_type = sanitize(body.get("contentType").and_then(Value::as_str));
    check_key(&key)?;
    state.backend()?;
    let info = bucket_info(&state.db, &bucket).await?;
    if !info.exists {
        return Err(StorageError::NotFound(format!("Bucket \"{bucket}\" does not exist")));
    }
    let actor = Actor::of(&principal);
    if let Actor::User { .. } = actor {
        let mut client = state.db.connect(&actor).await?;
        let tx = begin(&mut client, &actor).await?;
        let now = chrono::Utc::now().to_rfc3339();
        let probe = ObjectRow {
            bucket: &bucket,
            key: &key,
            size: 0,
            mime: Some(&content_type),
            uploaded_at: &now,
            etag: None,
            via: Via::REST,
        };
        upsert(&tx, &actor, &probe)
            .await
            .map_err(|e| StorageError::on_write(e, &bucket, &key))?;
        tx.rollback().await?;
    }
    if let Some(s3) = state.backend()?.presigned() {
        let cap = u64::try_from(info.max_mb).unwrap_or(0) * 1024 * 1024;
        let declared = body
            .get("size")
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 1.0)
            .map(|s| s as u64);
        // S3 would refuse the form anyway (the policy's length range): say so now, as PUT does.
        if declared.is_some_and(|size| size > cap) {
            return Err(StorageError::TooLarge(format!(
                "File too large. Maximum upload size is {} MB.",
                info.max_mb
            )));
        }
        let max = declared.unwrap_or(cap).min(cap);
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        let (upload_url, fields) = s3.presigned_post(&bucket, &key, &content_type, max, expires).await?;
        let fields: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        return Ok(Json(json!({
            "method": "presigned",
            "uploadUrl": upload_url,
            "fields": fields,
            "key": key,
            "confirmRequired": true,
            "confirmUrl": format!("/api/storage/buckets/{bucket}/objects/{}/confirm-upload", encode(&key)),
            "expiresAt": expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })));
    }
    Ok(Json(json!({
        "method": "direct",
        "uploadUrl": format!("{}/api/storage/buckets/{bucket}/objects/{}", state.base_url(&headers), encode(&key)),
        "key": key,
        "confirmRequired": false,
    })))
}

/// `POST …/objects/{key}/confirm-upload` and the legacy `POST …/objects/{key}/download-strategy`.
pub async fn post_object(State(state): State<StorageState>, request: Request) -> Result<Response> {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let (bucket, rest) = bucket_and_rest(&path)?;
    let raw = rest.and_then(|r| r.strip_prefix("objects/")).unwrap_or("");
    let body = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|_| StorageError::invalid("Cannot read the request body"))?;
    let json_body = || -> Result<Value> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&body).map_err(|e| StorageError::invalid(format!("Invalid JSON body: {e}")))
    };
    if let Some(raw_key) = raw.strip_suffix("/download-strategy") {
        let key = key_of(raw_key)?;
        let body = json_body()?;
        return download_strategy(&state, &mut parts, &bucket, &key, body.get("expiresIn")).await;
    }
    if let Some(raw_key) = raw.strip_suffix("/confirm-upload") {
        let key = key_of(raw_key)?;
        let actor = caller(&state, &mut parts).await?;
        let body = json_body()?;
        return confirm(&state, &parts.headers, &actor, &bucket, &key, &body).await;
    }
    Err(StorageError::Api(oxforge_edge::ApiError::not_found(
        "NOT_FOUND",
        format!("Endpoint POST {path} not found"),
    )))
}

/// Records an object whose file is already in place (InsForge's confirm after a presigned
/// upload; on local disk, a file put there directly).
async fn confirm(
    state: &StorageState,
    headers: &HeaderMap,
    actor: &Actor,
    bucket: &str,
    key: &str,
    body: &Value,
) -> Result<Response> {
    let backend = state.backend()?;
    let missing = || StorageError::NotFound(format!("Upload not found for key \"{key}\" in bucket \"{bucket}\""));
    let (size, etag) = backend.stat(bucket, key).await?.ok_or_else(missing)?;
    let info = bucket_info(&state.db, bucket).await?;
    if size > u64::try_from(info.max_mb).unwrap_or(0) * 1024 * 1024 {
        // On S3 the object came straight from the client (a presigned POST): it goes.
        if backend.is_s3() {
            backend.remove(bucket, key).await;
        }
        return Err(StorageError::TooLarge(format!(
            "File size exceeds the configured maximum upload size of {} MB",
            info.max_mb
        )));
    }
    let etag = etag
        .or_else(|| body.get("etag").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let declared = body.get("contentType").and_then(Value::as_str);
    let mime = declared.map(|d| sanitize(Some(d)));
    let size = i64::try_from(size).map_err(std::io::Error::other)?;
    let uploaded_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut client = state.db.connect(actor).await?;
    let tx = begin(&mut client, actor).await?;
    let row = ObjectRow {
        bucket,
        key,
        size,
        mime: mime.as_deref(),
        uploaded_at: &uploaded_at,
        etag: Some(&etag),
        via: Via::REST,
    };
    upsert(&tx, actor, &row)
        .await
        .map_err(|e| StorageError::on_write(e, bucket, key))?;
    tx.commit().await.map_err(|e| StorageError::on_write(e, bucket, key))?;
    let mut out = json!({
        "bucket": bucket,
        "key": key,
        "size": size,
        "uploadedAt": uploaded_at,
        "url": object_url(&state.base_url(headers), bucket, key, &etag),
    });
    if let Some(mime) = mime {
        out["mimeType"] = json!(mime);
    }
    Ok((StatusCode::OK, Json(out)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_is_a_finite_number_or_nothing() {
        for ok in [
            None,
            Some(json!(null)),
            Some(json!("")),
            Some(json!("60")),
            Some(json!(" 1e3 ")),
            Some(json!(3600)),
        ] {
            assert!(check_expires_in(ok.as_ref()).is_ok(), "{ok:?}");
        }
        for bad in [json!("abc"), json!("Infinity"), json!("NaN"), json!([1]), json!({})] {
            assert!(check_expires_in(Some(&bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn like_patterns_escape_their_wildcards() {
        assert_eq!(like_escape("a%b_c\\d"), "a\\%b\\_c\\\\d");
    }
}
