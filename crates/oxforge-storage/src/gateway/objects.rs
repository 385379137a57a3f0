//! Object operations: PutObject (streamed, every payload form), GetObject/HeadObject (ranges with
//! `Content-Range`, conditional requests), DeleteObject (idempotent), DeleteObjects, CopyObject.
//! Writes go through the same path as REST uploads (staged, row upserted, placed, committed), as
//! the owner, recorded with `uploaded_via = 's3'` and the signing key's id.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::backend::{Backend, Incoming, Staged};
use crate::db::{Actor, Via, lookup};
use crate::download::{Wanted, serve, wanted};
use crate::gateway::buckets::require;
use crate::gateway::error::{S3Error, S3Result};
use crate::gateway::xml::{Doc, delete_request};
use crate::gateway::{BodyStream, Gateway, Query, S3Request, xml_response};
use crate::keys::{check_bucket, check_key, decode};
use crate::mime::download_only;
use crate::upload::{Stored, commit};

/// Keys one DeleteObjects names at most.
const MAX_DELETE: usize = 1000;
/// The largest DeleteObjects document.
const DELETE_BODY_LIMIT: usize = 1024 * 1024;

/// `EntityTooLarge` unless the declared length fits.
pub fn check_declared(gw: &Gateway, request: &S3Request) -> S3Result<()> {
    match request.declared_length() {
        Some(length) if length > gw.max_object => Err(S3Error::too_large(gw.max_object)),
        _ => Ok(()),
    }
}

/// Streams `body` into an upload to be placed at `bucket`/`key`, at most `gw.max_object` bytes.
pub async fn receive(
    gw: &Gateway,
    body: &mut BodyStream,
    declared: Option<&str>,
    bucket: &str,
    key: &str,
) -> S3Result<Staged> {
    let incoming = gw.backend()?.incoming(declared, bucket, key).await?;
    receive_into(gw, body, incoming).await
}

/// Streams `body` into `incoming`, at most `gw.max_object` bytes.
pub async fn receive_into(gw: &Gateway, body: &mut BodyStream, mut incoming: Incoming) -> S3Result<Staged> {
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if incoming.size() + chunk.len() as u64 > gw.max_object {
            return Err(S3Error::too_large(gw.max_object));
        }
        incoming.write(&chunk).await?;
    }
    Ok(incoming.finish().await?)
}

/// What the client said of the body it sent, checked against what arrived: the length of an
/// aws-chunked body (`x-amz-decoded-content-length`) and `Content-MD5`.
pub fn check_received(request: &S3Request, staged: &Staged) -> S3Result<()> {
    if let Some(declared) = request.header("x-amz-decoded-content-length")
        && declared.trim().parse::<u64>().ok() != Some(staged.size())
    {
        return Err(S3Error::incomplete_body());
    }
    if let Some(md5) = request.header("content-md5") {
        use base64::Engine as _;
        let given = base64::engine::general_purpose::STANDARD
            .decode(md5.trim())
            .map_err(|_| {
                S3Error::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidDigest",
                    "The Content-MD5 you specified was invalid.",
                )
            })?;
        if hex::encode(given) != staged.etag() {
            return Err(S3Error::bad_digest(
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    Ok(())
}

/// Writes the row and places the bytes, to the end even if the client goes away.
pub async fn store(
    gw: &Gateway,
    bucket: &str,
    key: &str,
    staged: Staged,
    declared: Option<String>,
    access_key: &str,
) -> S3Result<Stored> {
    let (state, bucket, key, access_key) = (
        gw.storage.clone(),
        bucket.to_owned(),
        key.to_owned(),
        access_key.to_owned(),
    );
    tokio::spawn(async move {
        let via = Via {
            name: "s3",
            access_key: Some(&access_key),
        };
        commit(&state, &Actor::Root, &bucket, &key, staged, declared.as_deref(), via).await
    })
    .await
    .map_err(|_| S3Error::internal())?
    .map_err(S3Error::from)
}

pub fn with_etag(mut response: Response, etag: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// `PUT /b/k`.
pub async fn put(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request) -> S3Result<Response> {
    check_declared(gw, request)?;
    require(gw, bucket).await?;
    let declared = request.header("content-type").map(str::to_owned);
    let staged = receive(gw, &mut request.body, declared.as_deref(), bucket, key).await?;
    check_received(request, &staged)?;
    let stored = store(gw, bucket, key, staged, declared, &request.access_key).await?;
    Ok(with_etag(StatusCode::OK.into_response(), &stored.etag))
}

fn precondition_failed() -> S3Error {
    S3Error::new(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        "At least one of the preconditions you specified did not hold.",
    )
}

/// `GET`/`HEAD /b/k`: the row must exist.
pub async fn get(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request, head: bool) -> S3Result<Response> {
    let backend = gw.backend()?;
    // One round trip when the object is there; a second only to say which is missing.
    let Some(meta) = lookup(&gw.storage.db, &Actor::Root, bucket, key).await? else {
        require(gw, bucket).await?;
        return Err(S3Error::no_such_key());
    };
    if let (Some(wanted_tag), Some(etag)) = (request.header("if-match"), &meta.etag)
        && !wanted_tag
            .split(',')
            .any(|t| t.trim() == "*" || t.trim().trim_matches('"') == etag)
    {
        return Err(precondition_failed());
    }
    let source = backend.open(bucket, key).await?.ok_or_else(|| {
        tracing::warn!(bucket, key, "an object's row has no bytes behind it");
        S3Error::no_such_key()
    })?;
    let range = request.header("range");
    if range.is_some() && wanted(range, source.size()) == Wanted::Unsatisfiable {
        return Err(S3Error::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "InvalidRange",
            "The requested range is not satisfiable",
        ));
    }
    let mut response = serve(&meta, source, &request.parts.headers, false, head).await?;
    response.headers_mut().remove(header::CACHE_CONTROL);
    overrides(&request.query, response.headers_mut());
    Ok(response)
}

/// GetObject's `response-*` parameters (signed, so the key holder chose them): the headers they
/// name, replaced. A type that must not render is still sent as an attachment.
fn overrides(query: &Query, headers: &mut HeaderMap) {
    const PARAMETERS: [(&str, header::HeaderName); 6] = [
        ("response-content-type", header::CONTENT_TYPE),
        ("response-content-disposition", header::CONTENT_DISPOSITION),
        ("response-cache-control", header::CACHE_CONTROL),
        ("response-content-language", header::CONTENT_LANGUAGE),
        ("response-content-encoding", header::CONTENT_ENCODING),
        ("response-expires", header::EXPIRES),
    ];
    for (parameter, name) in PARAMETERS {
        if let Some(value) = query.get(parameter).and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    let must_not_render = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(download_only);
    let attachment = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|d| d.trim_start().to_ascii_lowercase().starts_with("attachment"));
    if must_not_render && !attachment {
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
}

/// Removes the rows of `keys` in `bucket` and their bytes; the keys that were there.
async fn remove(gw: &Gateway, bucket: &str, keys: Vec<String>) -> S3Result<Vec<String>> {
    let (state, bucket) = (gw.storage.clone(), bucket.to_owned());
    // Spawned: once started, rows and bytes go together even if the client goes away.
    tokio::spawn(async move {
        let backend: &Backend = state.backend()?;
        let mut client = state.db.owner().await?;
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                "DELETE FROM storage.objects WHERE bucket = $1 AND key = ANY($2) RETURNING key",
                &[&bucket, &keys],
            )
            .await?;
        let mut gone = Vec::with_capacity(rows.len());
        for row in rows {
            let key: String = row.try_get(0)?;
            // While the row is locked, as the REST delete does.
            backend.remove(&bucket, &key).await;
            gone.push(key);
        }
        tx.commit().await?;
        Ok::<_, S3Error>(gone)
    })
    .await
    .map_err(|_| S3Error::internal())?
}

/// `DELETE /b/k`: 204 whether or not it was there.
pub async fn delete(gw: &Gateway, bucket: &str, key: &str) -> S3Result<Response> {
    require(gw, bucket).await?;
    remove(gw, bucket, vec![key.to_owned()]).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /b?delete`: up to 1,000 keys; every key named is reported deleted (S3 does the same
/// for keys that were not there) unless `Quiet`.
pub async fn delete_many(gw: &Gateway, bucket: &str, request: &mut S3Request) -> S3Result<Response> {
    require(gw, bucket).await?;
    let body = request.small_body(DELETE_BODY_LIMIT).await?;
    let (keys, quiet) = delete_request(&body)?;
    if keys.len() > MAX_DELETE {
        return Err(S3Error::malformed_xml());
    }
    let mut valid = Vec::new();
    let mut refused = Vec::new();
    for key in keys {
        match check_key(&key) {
            Ok(()) if !valid.contains(&key) => valid.push(key),
            Ok(()) => {}
            Err(e) => refused.push((key, e.to_string())),
        }
    }
    remove(gw, bucket, valid.clone()).await?;
    let mut doc = Doc::new("DeleteResult");
    if !quiet {
        for key in &valid {
            doc.open("Deleted").text("Key", key).close();
        }
    }
    for (key, message) in refused {
        doc.open("Error")
            .text("Key", key)
            .text("Code", "InvalidArgument")
            .text("Message", message)
            .close();
    }
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded.
fn copy_source(raw: &str) -> S3Result<(String, String)> {
    let raw = raw.split('?').next().unwrap_or(raw);
    let raw = raw.strip_prefix('/').unwrap_or(raw);
    let bad = || S3Error::invalid_argument("x-amz-copy-source must be bucket/key, URL-encoded.");
    let (bucket, key) = raw.split_once('/').ok_or_else(bad)?;
    let bucket = decode(bucket).map_err(|_| bad())?;
    let key = decode(key).map_err(|_| bad())?;
    check_bucket(&bucket).map_err(|_| S3Error::invalid_bucket_name(&bucket))?;
    check_key(&key).map_err(|e| S3Error::invalid_argument(e.to_string()))?;
    Ok((bucket, key))
}

/// `PUT /b/k` with `x-amz-copy-source`: the bytes streamed from the source into a new object;
/// the type kept unless `x-amz-metadata-directive: REPLACE` gives another.
pub async fn copy(gw: &Gateway, bucket: &str, key: &str, request: &mut S3Request) -> S3Result<Response> {
    let (from_bucket, from_key) = copy_source(request.header("x-amz-copy-source").unwrap_or(""))?;
    require(gw, bucket).await?;
    require(gw, &from_bucket).await?;
    let backend = gw.backend()?;
    let meta = lookup(&gw.storage.db, &Actor::Root, &from_bucket, &from_key)
        .await?
        .ok_or_else(S3Error::no_such_key)?;
    let source = backend
        .open(&from_bucket, &from_key)
        .await?
        .ok_or_else(S3Error::no_such_key)?;
    let replace = request
        .header("x-amz-metadata-directive")
        .is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
    let declared = if replace {
        request.header("content-type").map(str::to_owned)
    } else {
        meta.mime.clone()
    };
    let size = source.size();
    let mut bytes: BodyStream = if size == 0 {
        Box::pin(futures_util::stream::empty())
    } else {
        Box::pin(
            source
                .stream(0..size)
                .await?
                .map(|r| r.map_err(|e| S3Error::from(crate::error::StorageError::Io(e)))),
        )
    };
    let staged = receive(gw, &mut bytes, declared.as_deref(), bucket, key).await?;
    let stored = store(gw, bucket, key, staged, declared, &request.access_key).await?;
    let mut doc = Doc::new("CopyObjectResult");
    doc.text("LastModified", &stored.uploaded_at)
        .text("ETag", format!("\"{}\"", stored.etag));
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_never_make_unsafe_types_render() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
        let query = Query::parse(Some(
            "response-content-disposition=inline%3B%20filename%3D%22a.png%22&response-cache-control=max-age%3D60",
        ))
        .unwrap();
        overrides(&query, &mut headers);
        assert_eq!(headers[header::CONTENT_DISPOSITION], "inline; filename=\"a.png\"");
        assert_eq!(headers[header::CACHE_CONTROL], "max-age=60");
        let query = Query::parse(Some(
            "response-content-type=text%2Fhtml&response-content-disposition=inline",
        ))
        .unwrap();
        overrides(&query, &mut headers);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html");
        assert_eq!(headers[header::CONTENT_DISPOSITION], "attachment");
    }

    #[test]
    fn copy_sources() {
        assert_eq!(copy_source("/b/a%20b/c").unwrap(), ("b".into(), "a b/c".into()));
        assert_eq!(copy_source("b/k?versionId=x").unwrap(), ("b".into(), "k".into()));
        assert!(copy_source("nokey").is_err());
        assert!(copy_source("b/..%2Fx").is_err());
        assert_eq!(copy_source("b.x/k").unwrap_err().code, "InvalidBucketName");
    }
}
