//! Multipart uploads on either backend: each part's bytes are written under the hidden area
//! `.multipart/<upload id>/<n>-<random>` (no bucket can be named so; a part sent again gets new
//! bytes beside the old, never over them), the upload and its parts are rows
//! (`storage.s3_multipart_uploads`, `storage.s3_multipart_parts`) so any oxforge process takes any
//! part, and completion streams the parts, in order, into one object written like any other
//! upload (the ETag is the MD5 of the whole object, as for every other object here) while the
//! response keeps the connection alive, as S3 does. An upload ended (completed, aborted, its
//! bucket deleted, or abandoned for a week) takes its whole folder.

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};

use crate::gateway::buckets::require;
use crate::gateway::error::{S3Error, S3Result};
use crate::gateway::objects::{check_declared, check_received, receive, receive_into, store, with_etag};
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

/// Where an attempt at part `number` of `upload_id` is written, below the area.
fn part_path(upload_id: &str, number: i32) -> String {
    format!("{upload_id}/{number}-{}", hex::encode(rand::random::<[u8; 6]>()))
}

/// How often the response of a completion in progress sends a space.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(10);

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

/// The unfinished uploads into `bucket`, read before the bucket's row goes (their rows go with
/// it); [`remove_uploads`] then removes their parts' bytes.
pub(crate) async fn uploads_in_bucket(state: &StorageState, bucket: &str) -> crate::error::Result<Vec<String>> {
    let client = state.db.owner().await?;
    let rows = client
        .query(
            "SELECT upload_id FROM storage.s3_multipart_uploads WHERE bucket = $1",
            &[&bucket],
        )
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Removes the parts' bytes of `uploads` (best effort: their rows are gone).
pub(crate) async fn remove_uploads(state: &StorageState, uploads: Vec<String>) {
    if let Ok(backend) = state.backend() {
        for id in uploads {
            if let Err(e) = backend.remove_folder(AREA, &id).await {
                tracing::warn!(error = %e, upload = id, "a multipart upload's parts were not removed");
            }
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
    sweep(gw).await;
    let mut doc = Doc::new("InitiateMultipartUploadResult");
    doc.text("Bucket", bucket).text("Key", key).text("UploadId", &id);
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

/// Uploads started this long ago and still unfinished are abandoned: their rows and parts go
/// (S3's lifecycle rules do the same for stores that have them).
const ABANDONED_AFTER_DAYS: i32 = 7;

/// Removes abandoned uploads (1,000 at a time), looked for at each CreateMultipartUpload (an
/// indexed query that finds nothing almost always). Each is removed by the process whose `DELETE`
/// returns it, so processes sweeping at once share the work. Best effort: a failure is logged and
/// tried again next time.
async fn sweep(gw: &Gateway) {
    let swept = async {
        let client = gw.storage.db.owner().await?;
        let rows = client
            .query(
                "DELETE FROM storage.s3_multipart_uploads WHERE upload_id IN ( \
                   SELECT upload_id FROM storage.s3_multipart_uploads \
                   WHERE created_at < now() - make_interval(days => $1) LIMIT 1000) \
                 RETURNING upload_id",
                &[&ABANDONED_AFTER_DAYS],
            )
            .await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<Vec<String>, _>>()?;
        Ok::<_, S3Error>(ids)
    };
    match swept.await {
        Ok(ids) if !ids.is_empty() => {
            tracing::info!(count = ids.len(), "removed abandoned S3 multipart uploads");
            remove_uploads(&gw.storage, ids).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "abandoned S3 multipart uploads were not looked for"),
    }
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
    let path = part_path(&id, number);
    let incoming = backend.incoming_in_place(AREA, &path).await?;
    let staged = receive_into(gw, &mut request.body, incoming).await?;
    check_received(request, &staged)?;
    let etag = staged.etag().to_owned();
    let size = i64::try_from(staged.size()).map_err(|_| S3Error::too_large(gw.max_object))?;
    backend.place(staged, AREA, &path).await?;
    let client = gw.storage.db.owner().await?;
    // The bytes of an earlier attempt at this part, read in the statement's snapshot.
    let written = client
        .query_one(
            "WITH earlier AS (SELECT path FROM storage.s3_multipart_parts WHERE upload_id = $1 AND part_number = $2) \
             INSERT INTO storage.s3_multipart_parts (upload_id, part_number, path, size, etag) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (upload_id, part_number) DO UPDATE SET path = EXCLUDED.path, size = EXCLUDED.size, \
               etag = EXCLUDED.etag, uploaded_at = now() \
             RETURNING (SELECT path FROM earlier)",
            &[&id, &number, &path, &size, &etag],
        )
        .await;
    match written {
        Ok(row) => {
            if let Some(earlier) = row.try_get::<_, Option<String>>(0)? {
                backend.remove(AREA, &earlier).await;
            }
        }
        Err(e) => {
            // The upload was aborted or completed meanwhile: the part has nowhere to go.
            backend.remove(AREA, &path).await;
            return Err(
                if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                    S3Error::no_such_upload()
                } else {
                    S3Error::from(e)
                },
            );
        }
    }
    Ok(with_etag(StatusCode::OK.into_response(), &etag))
}

/// The parts of `id`: number → (etag, where its bytes are).
async fn parts_of(gw: &Gateway, id: &str) -> S3Result<HashMap<i32, (String, String)>> {
    let client = gw.storage.db.owner().await?;
    let rows = client
        .query(
            "SELECT part_number, etag, path FROM storage.s3_multipart_parts WHERE upload_id = $1",
            &[&id],
        )
        .await?;
    let mut parts = HashMap::with_capacity(rows.len());
    for row in rows {
        parts.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
    }
    Ok(parts)
}

/// Ends upload `id`: its rows go, then its folder of parts.
async fn finish_upload(gw: &Gateway, id: &str) -> S3Result<()> {
    let client = gw.storage.db.owner().await?;
    client
        .execute("DELETE FROM storage.s3_multipart_uploads WHERE upload_id = $1", &[&id])
        .await?;
    gw.backend()?.remove_folder(AREA, id).await?;
    Ok(())
}

/// `POST /b/k?uploadId=u`: the named parts, in ascending order with matching ETags, become
/// the object. Once the request is checked the answer is `200` at once: the parts are
/// assembled on their own (a client that goes away does not stop it) while the body sends a
/// space every few seconds, then the result — or an `<Error>`, as S3 does.
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
    let mut parts = parts_of(gw, &id).await?;
    let mut paths = Vec::with_capacity(wanted.len());
    for (number, etag) in &wanted {
        match parts.remove(number) {
            Some((stored, path)) if etag.is_empty() || stored.eq_ignore_ascii_case(etag) => paths.push(path),
            _ => {
                return Err(S3Error::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidPart",
                    format!("Part {number} was not uploaded, or its ETag does not match."),
                ));
            }
        }
    }
    let location = format!(
        "{}{}/{bucket}/{}",
        gw.storage.base_url(&request.parts.headers),
        crate::gateway::PREFIX,
        crate::keys::encode(key)
    );
    let job = Assembly {
        gw: gw.clone(),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        id,
        paths,
        declared,
        access_key: request.access_key.clone(),
        location,
    };
    let task = tokio::spawn(job.run());
    let mut response = Response::new(axum::body::Body::from_stream(keep_alive(task, KEEP_ALIVE)));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    Ok(response)
}

/// A completion: the parts at `paths`, in order, into `bucket`/`key`.
struct Assembly {
    gw: Gateway,
    bucket: String,
    key: String,
    id: String,
    paths: Vec<String>,
    declared: Option<String>,
    access_key: String,
    location: String,
}

impl Assembly {
    /// The `CompleteMultipartUploadResult` document (without its declaration).
    async fn run(self) -> S3Result<String> {
        let backend = self.gw.storage.backend.clone().ok_or_else(S3Error::internal)?;
        // Each part is opened when its turn comes.
        let stream = futures_util::stream::iter(self.paths.clone()).then(move |path| {
            let backend = std::sync::Arc::clone(&backend);
            async move {
                let source = backend
                    .open(AREA, &path)
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))?
                    .ok_or_else(|| std::io::Error::other(format!("the part at {path} is missing")))?;
                let size = source.size();
                if size == 0 {
                    let empty: crate::backend::ByteStream = Box::pin(futures_util::stream::empty());
                    return Ok::<_, std::io::Error>(empty);
                }
                source
                    .stream(0..size)
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))
            }
        });
        let mut joined: BodyStream = Box::pin(
            stream
                .try_flatten()
                .map(|r| r.map_err(|e| S3Error::from(crate::error::StorageError::Io(e)))),
        );
        let (bucket, key) = (self.bucket.as_str(), self.key.as_str());
        let staged = receive(&self.gw, &mut joined, self.declared.as_deref(), bucket, key).await?;
        let stored = store(&self.gw, bucket, key, staged, self.declared.clone(), &self.access_key).await?;
        finish_upload(&self.gw, &self.id).await?;
        let mut doc = Doc::new("CompleteMultipartUploadResult");
        doc.text("Location", &self.location)
            .text("Bucket", bucket)
            .text("Key", key)
            .text("ETag", format!("\"{}\"", stored.etag));
        Ok(without_declaration(doc.finish()))
    }
}

fn without_declaration(document: String) -> String {
    match document.strip_prefix(crate::gateway::xml::DECLARATION) {
        Some(rest) => rest.to_owned(),
        None => document,
    }
}

/// The body of a completion's `200`: the XML declaration, a space every `every` (see
/// [`KEEP_ALIVE`]) while `task` runs, then its document or error.
fn keep_alive(
    task: tokio::task::JoinHandle<S3Result<String>>,
    every: std::time::Duration,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::convert::Infallible>> + Send {
    let declaration = futures_util::stream::once(async {
        Ok(bytes::Bytes::from_static(crate::gateway::xml::DECLARATION.as_bytes()))
    });
    let rest = futures_util::stream::unfold(Some(task), move |task| async move {
        let mut task = task?;
        tokio::select! {
            done = &mut task => {
                let document = match done {
                    Ok(Ok(document)) => document,
                    Ok(Err(e)) => without_declaration(e.document()),
                    Err(_) => without_declaration(S3Error::internal().document()),
                };
                Some((Ok(bytes::Bytes::from(document)), None))
            }
            _ = tokio::time::sleep(every) => Some((Ok(bytes::Bytes::from_static(b" ")), Some(task))),
        }
    });
    declaration.chain(rest)
}

/// `DELETE /b/k?uploadId=u`: 204; the parts' bytes go.
pub async fn abort(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request) -> S3Result<Response> {
    let id = upload_id(request)?;
    upload_of(gw, bucket, key, &id).await?;
    finish_upload(gw, &id).await?;
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

/// `GET /b?uploads`: uploads in progress (`prefix`), by key then upload id, a page of
/// `max-uploads` (at most 1,000) after `key-marker`/`upload-id-marker`.
pub async fn list_uploads(gw: &Gateway, bucket: &str, request: &mut S3Request) -> S3Result<Response> {
    require(gw, bucket).await?;
    let q = &request.query;
    let prefix = q.get("prefix").unwrap_or("");
    let key_marker = q.get("key-marker").unwrap_or("");
    let id_marker = q.get("upload-id-marker").unwrap_or("");
    let max: i64 = match q.get("max-uploads") {
        None => MAX_LISTED,
        Some(m) => match m.trim().parse::<i64>() {
            Ok(m) if m >= 0 => m.min(MAX_LISTED),
            _ => {
                return Err(S3Error::invalid_argument(
                    "max-uploads must be an integer from 0 to 1000.",
                ));
            }
        },
    };
    let client = gw.storage.db.owner().await?;
    let sql = format!(
        "SELECT key, upload_id, {} FROM storage.s3_multipart_uploads \
         WHERE bucket = $1 AND starts_with(key, $2) \
           AND (key COLLATE \"C\" > $3 OR (key = $3 AND upload_id > $4)) \
         ORDER BY key COLLATE \"C\", upload_id LIMIT $5",
        s3_time("created_at")
    );
    let limit = max + 1;
    let rows = client
        .query(&sql, &[&bucket, &prefix, &key_marker, &id_marker, &limit])
        .await?;
    let truncated = rows.len() as i64 > max;
    let mut doc = Doc::new("ListMultipartUploadsResult");
    doc.text("Bucket", bucket)
        .text("KeyMarker", key_marker)
        .text("UploadIdMarker", id_marker)
        .text("Prefix", prefix)
        .text("MaxUploads", max.to_string())
        .text("IsTruncated", if truncated { "true" } else { "false" });
    let mut last: Option<(String, String)> = None;
    for row in rows.iter().take(usize::try_from(max).unwrap_or(0)) {
        let key: String = row.try_get(0)?;
        let id: String = row.try_get(1)?;
        let initiated: String = row.try_get(2)?;
        doc.open("Upload")
            .text("Key", &key)
            .text("UploadId", &id)
            .text("Initiated", initiated)
            .text("StorageClass", "STANDARD")
            .close();
        last = Some((key, id));
    }
    if let (true, Some((key, id))) = (truncated, last) {
        doc.text("NextKeyMarker", key).text("NextUploadIdMarker", id);
    }
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn body_of(result: S3Result<String>, takes: Duration) -> String {
        let task = tokio::spawn(async move {
            tokio::time::sleep(takes).await;
            result
        });
        let chunks: Vec<_> = keep_alive(task, Duration::from_millis(5)).collect().await;
        chunks
            .into_iter()
            .map(|c| String::from_utf8(c.unwrap().to_vec()).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn a_slow_completion_sends_spaces_then_one_well_formed_document() {
        let body = body_of(
            Ok("<CompleteMultipartUploadResult/>".to_owned()),
            Duration::from_millis(60),
        )
        .await;
        let rest = body.strip_prefix(crate::gateway::xml::DECLARATION).unwrap();
        assert!(rest.starts_with("  "), "{body:?}");
        assert_eq!(rest.trim_start(), "<CompleteMultipartUploadResult/>");
        let body = body_of(Err(S3Error::no_such_upload()), Duration::from_millis(20)).await;
        assert_eq!(body.matches("<?xml").count(), 1, "{body}");
        assert!(
            body.trim_end().ends_with("</Error>") && body.contains("<Code>NoSuchUpload</Code>"),
            "{body}"
        );
    }
}
