//! Multipart uploads on either backend: each part is staged and placed under the hidden area
//! `.multipart/<upload id>/<part number>` (no bucket can be named so), the upload and its parts
//! are rows (`storage.s3_multipart_uploads`, `storage.s3_multipart_parts`) so any oxforge process
//! takes any part, and completion streams the parts, in order, into one object written like any
//! other upload (the ETag is the MD5 of the whole object, as for every other object here).

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};

use crate::gateway::buckets::require;
use crate::gateway::error::{S3Error, S3Result};
use crate::gateway::objects::{check_declared, receive, receive_into, store};
use crate::gateway::xml::{Doc, complete_request};
use crate::gateway::{BodyStream, Gateway, S3Request, s3_time, xml_response};
use crate::state::StorageState;

/// The hidden "bucket" parts live in.
const AREA: &str = ".multipart";
/// Part numbers S3 allows.
const PARTS: std::ops::RangeInclusive<i32> = 1..=10_000;
/// The largest CompleteMultipartUpload document (10,000 parts).
const COMPLETE_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Entries a listing holds at most.
const MAX_LISTED: i64 = 1000;

fn part_key(upload_id: &str, number: i32) -> String {
    format!("{upload_id}/{number}")
}

/// The upload's declared type, when `upload_id` is an upload of `bucket`/`key`.
async fn upload_of(gw: &Gateway, bucket: &str, key: &str, upload_id: &str) -> S3Result<Option<String>> {
    let client = gw.storage.db.owner().await?;
    let row = client
        .query_opt(
            "SELECT content_type FROM storage.s3_multipart_uploads WHERE upload_id = $1 AND bucket = $2 AND key = $3",
            &[&upload_id, &bucket, &key],
        )
        .await?
        .ok_or_else(S3Error::no_such_upload)?;
    Ok(row.try_get(0)?)
}

fn upload_id(request: &S3Request) -> S3Result<String> {
    let id = request.query.get("uploadId").unwrap_or("");
    // Ours are 32 hex digits; anything else cannot name an upload (and never reaches a path).
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(S3Error::no_such_upload())
    }
}

/// The stored parts of every unfinished upload into `bucket`, read before the bucket's row goes
/// (its uploads' rows go with it); [`remove_parts`] then removes them.
pub(crate) async fn parts_in_bucket(state: &StorageState, bucket: &str) -> crate::error::Result<Vec<String>> {
    let client = state.db.owner().await?;
    let rows = client
        .query(
            "SELECT p.upload_id, p.part_number FROM storage.s3_multipart_parts p \
             JOIN storage.s3_multipart_uploads u USING (upload_id) WHERE u.bucket = $1",
            &[&bucket],
        )
        .await?;
    rows.iter()
        .map(|row| Ok(part_key(&row.try_get::<_, String>(0)?, row.try_get(1)?)))
        .collect()
}

/// Removes parts found by [`parts_in_bucket`] (best effort).
pub(crate) async fn remove_parts(state: &StorageState, parts: Vec<String>) {
    if let Ok(backend) = state.backend() {
        for part in parts {
            backend.remove(AREA, &part).await;
        }
    }
}

/// `POST /b/k?uploads`.
pub async fn create(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request) -> S3Result<Response> {
    require(gw, bucket).await?;
    let id = hex::encode(rand::random::<[u8; 16]>());
    let content_type = request.header("content-type").map(str::to_owned);
    let client = gw.storage.db.owner().await?;
    client
        .execute(
            "INSERT INTO storage.s3_multipart_uploads (upload_id, bucket, key, content_type, access_key_id) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&id, &bucket, &key, &content_type, &request.access_key],
        )
        .await?;
    let mut doc = Doc::new("InitiateMultipartUploadResult");
    doc.text("Bucket", bucket).text("Key", key).text("UploadId", &id);
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

/// `PUT /b/k?partNumber=n&uploadId=u`: the part staged and placed, its row upserted.
pub async fn upload_part(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request) -> S3Result<Response> {
    let id = upload_id(request)?;
    let number: i32 = request
        .query
        .get("partNumber")
        .and_then(|n| n.trim().parse().ok())
        .filter(|n| PARTS.contains(n))
        .ok_or_else(|| S3Error::invalid_argument("Part number must be an integer between 1 and 10000, inclusive."))?;
    if request.header("x-amz-copy-source").is_some() {
        return Err(S3Error::not_implemented("UploadPartCopy"));
    }
    check_declared(gw, request)?;
    upload_of(gw, bucket, key, &id).await?;
    let backend = gw.backend()?;
    let place = part_key(&id, number);
    let incoming = backend.incoming_in_place(AREA, &place).await?;
    let staged = receive_into(gw, &mut request.body, incoming).await?;
    let etag = staged.etag().to_owned();
    let size = i64::try_from(staged.size()).map_err(|_| S3Error::too_large(gw.max_object))?;
    backend.place(staged, AREA, &place).await?;
    let client = gw.storage.db.owner().await?;
    let written = client
        .execute(
            "INSERT INTO storage.s3_multipart_parts (upload_id, part_number, size, etag) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (upload_id, part_number) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag, \
               uploaded_at = now()",
            &[&id, &number, &size, &etag],
        )
        .await;
    if let Err(e) = written {
        // The upload was aborted or completed meanwhile: the part has nowhere to go.
        backend.remove(AREA, &place).await;
        return Err(
            if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                S3Error::no_such_upload()
            } else {
                S3Error::from(e)
            },
        );
    }
    let mut response = StatusCode::OK.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// The parts of `id`: number → (size, etag).
async fn parts_of(gw: &Gateway, id: &str) -> S3Result<HashMap<i32, (i64, String)>> {
    let client = gw.storage.db.owner().await?;
    let rows = client
        .query(
            "SELECT part_number, size, etag FROM storage.s3_multipart_parts WHERE upload_id = $1",
            &[&id],
        )
        .await?;
    let mut parts = HashMap::with_capacity(rows.len());
    for row in rows {
        parts.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
    }
    Ok(parts)
}

/// Ends upload `id`: its rows go, then its parts' bytes.
async fn finish_upload(gw: &Gateway, id: &str, numbers: impl IntoIterator<Item = i32>) -> S3Result<()> {
    let client = gw.storage.db.owner().await?;
    client
        .execute("DELETE FROM storage.s3_multipart_uploads WHERE upload_id = $1", &[&id])
        .await?;
    let backend = gw.backend()?;
    for number in numbers {
        backend.remove(AREA, &part_key(id, number)).await;
    }
    Ok(())
}

/// `POST /b/k?uploadId=u`: the named parts, in ascending order with matching ETags, become
/// the object.
pub async fn complete(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request) -> S3Result<Response> {
    let id = upload_id(request)?;
    let declared = upload_of(gw, bucket, key, &id).await?;
    let body = request.small_body(COMPLETE_BODY_LIMIT).await?;
    let wanted = complete_request(&body)?;
    if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        ));
    }
    let parts = parts_of(gw, &id).await?;
    for (number, etag) in &wanted {
        match parts.get(number) {
            Some((_, stored)) if etag.is_empty() || stored.eq_ignore_ascii_case(etag) => {}
            _ => {
                return Err(S3Error::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidPart",
                    format!("Part {number} was not uploaded, or its ETag does not match."),
                ));
            }
        }
    }
    let backend = gw.backend()?;
    let mut sources = Vec::with_capacity(wanted.len());
    for (number, _) in &wanted {
        let source = backend
            .open(AREA, &part_key(&id, *number))
            .await?
            .ok_or_else(S3Error::no_such_upload)?;
        sources.push(source);
    }
    let stream = futures_util::stream::iter(sources).then(|source| async move {
        let size = source.size();
        if size == 0 {
            let empty: crate::backend::ByteStream = Box::pin(futures_util::stream::empty());
            return Ok::<_, std::io::Error>(empty);
        }
        source
            .stream(0..size)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
    });
    let mut joined: BodyStream = Box::pin(
        stream
            .try_flatten()
            .map(|r| r.map_err(|e| S3Error::from(crate::error::StorageError::Io(e)))),
    );
    let staged = receive(gw, &mut joined, declared.as_deref(), bucket, key).await?;
    let stored = store(gw, bucket, key, staged, declared, &request.access_key).await?;
    finish_upload(gw, &id, parts.keys().copied()).await?;
    let location = format!(
        "{}{}/{bucket}/{}",
        gw.storage.base_url(&request.parts.headers),
        crate::gateway::PREFIX,
        crate::keys::encode(key)
    );
    let mut doc = Doc::new("CompleteMultipartUploadResult");
    doc.text("Location", location)
        .text("Bucket", bucket)
        .text("Key", key)
        .text("ETag", format!("\"{}\"", stored.etag));
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

/// `DELETE /b/k?uploadId=u`: 204; the parts' bytes go.
pub async fn abort(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request) -> S3Result<Response> {
    let id = upload_id(request)?;
    upload_of(gw, bucket, key, &id).await?;
    let parts = parts_of(gw, &id).await?;
    finish_upload(gw, &id, parts.keys().copied()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /b/k?uploadId=u`: the parts, by number (`part-number-marker`, `max-parts`).
pub async fn list_parts(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request) -> S3Result<Response> {
    let id = upload_id(request)?;
    upload_of(gw, bucket, key, &id).await?;
    let marker: i32 = request
        .query
        .get("part-number-marker")
        .and_then(|m| m.trim().parse().ok())
        .unwrap_or(0);
    let max: i64 = request
        .query
        .get("max-parts")
        .and_then(|m| m.trim().parse().ok())
        .filter(|m: &i64| *m >= 0)
        .map_or(MAX_LISTED, |m| m.min(MAX_LISTED));
    let client = gw.storage.db.owner().await?;
    let sql = format!(
        "SELECT part_number, size, etag, {} FROM storage.s3_multipart_parts \
         WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3",
        s3_time("uploaded_at")
    );
    let limit = max + 1;
    let rows = client.query(&sql, &[&id, &marker, &limit]).await?;
    let truncated = rows.len() as i64 > max;
    let mut doc = Doc::new("ListPartsResult");
    doc.text("Bucket", bucket)
        .text("Key", key)
        .text("UploadId", &id)
        .text("PartNumberMarker", marker.to_string())
        .text("MaxParts", max.to_string())
        .text("IsTruncated", if truncated { "true" } else { "false" })
        .text("StorageClass", "STANDARD");
    let mut next = marker;
    for row in rows.iter().take(usize::try_from(max).unwrap_or(0)) {
        let number: i32 = row.try_get(0)?;
        let size: i64 = row.try_get(1)?;
        let etag: String = row.try_get(2)?;
        let modified: String = row.try_get(3)?;
        next = number;
        doc.open("Part")
            .text("PartNumber", number.to_string())
            .text("LastModified", modified)
            .text("ETag", format!("\"{etag}\""))
            .text("Size", size.to_string())
            .close();
    }
    if truncated {
        doc.text("NextPartNumberMarker", next.to_string());
    }
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

/// `GET /b?uploads`: uploads in progress (`prefix`), oldest first, at most 1,000.
pub async fn list_uploads(gw: &Gateway, bucket: &str, request: &mut S3Request) -> S3Result<Response> {
    require(gw, bucket).await?;
    let prefix = request.query.get("prefix").unwrap_or("");
    let client = gw.storage.db.owner().await?;
    let sql = format!(
        "SELECT key, upload_id, {} FROM storage.s3_multipart_uploads \
         WHERE bucket = $1 AND starts_with(key, $2) ORDER BY key COLLATE \"C\", created_at LIMIT $3",
        s3_time("created_at")
    );
    let rows = client.query(&sql, &[&bucket, &prefix, &MAX_LISTED]).await?;
    let mut doc = Doc::new("ListMultipartUploadsResult");
    doc.text("Bucket", bucket)
        .text("KeyMarker", "")
        .text("UploadIdMarker", "")
        .text("Prefix", prefix)
        .text("MaxUploads", MAX_LISTED.to_string())
        .text("IsTruncated", "false");
    for row in rows {
        let key: String = row.try_get(0)?;
        let id: String = row.try_get(1)?;
        let initiated: String = row.try_get(2)?;
        doc.open("Upload")
            .text("Key", key)
            .text("UploadId", id)
            .text("Initiated", initiated)
            .text("StorageClass", "STANDARD")
            .close();
    }
    Ok(xml_response(StatusCode::OK, doc.finish()))
}
