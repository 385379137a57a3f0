//! Storage (`/api/storage`): buckets (with the API key) and objects — uploads streamed from a
//! file, an `AsyncRead` or a byte stream; downloads as a stream of bytes or into a file; lists,
//! removes, signed and public URLs. The counterpart of `@insforge/sdk`'s `storage` module.
//!
//! ```no_run
//! # async fn demo(client: oxforge_client::Client) -> Result<(), oxforge_client::Error> {
//! use oxforge_client::{ListOptions, Upload};
//! let avatars = client.storage().from("avatars");
//! let stored = avatars.upload("users/1/me.png", Upload::file("me.png").await?).await?;
//! let written = avatars.download(&stored.key).await?.to_file("copy.png").await?;
//! let page = avatars.list(&ListOptions { prefix: Some("users/1/".into()), ..Default::default() }).await?;
//! avatars.remove(&stored.key).await?;
//! # let _ = (written, page); Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWriteExt};

use crate::{Client, Error};

/// `encodeURIComponent`: the key as one path segment (`a/b c` → `a%2Fb%20c`).
pub fn encode_uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What kind of storage failure the server reported (from its error envelope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageErrorKind {
    /// The bucket does not exist (404 `STORAGE_NOT_FOUND`, or an upload's 400
    /// `DATABASE_CONSTRAINT_VIOLATION`).
    BucketNotFound,
    /// No such object, or one row-level security hides (404 `STORAGE_NOT_FOUND`).
    ObjectNotFound,
    /// 409 `STORAGE_ALREADY_EXISTS`.
    BucketAlreadyExists,
    /// 400 `STORAGE_INVALID_PARAMETER`: a bad bucket name, key or argument.
    InvalidInput,
    /// 413: over the configured upload size.
    TooLarge,
    /// 401: no credential, or a bad one.
    Unauthorized,
    /// 403: the credential may not do this (anon key, another user's object, an API-key route).
    PermissionDenied,
    /// Anything else the server answered.
    Other,
}

/// A storage call the server refused, typed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct StorageError {
    pub kind: StorageErrorKind,
    pub status: u16,
    /// The envelope's `error`: `STORAGE_NOT_FOUND`, `STORAGE_INVALID_PARAMETER`, …
    pub code: String,
    pub message: String,
    pub bucket: String,
    pub key: Option<String>,
}

/// Turns the server's error into a typed storage error; other errors pass through.
fn typed(error: Error, bucket: &str, key: Option<&str>) -> Error {
    let Error::Api {
        status, code, message, ..
    } = error
    else {
        return error;
    };
    let kind = match (status, code.as_str()) {
        (404, "STORAGE_NOT_FOUND") if message.starts_with("Bucket") => StorageErrorKind::BucketNotFound,
        (404, "STORAGE_NOT_FOUND") => StorageErrorKind::ObjectNotFound,
        (_, "DATABASE_CONSTRAINT_VIOLATION") => StorageErrorKind::BucketNotFound,
        (409, _) => StorageErrorKind::BucketAlreadyExists,
        (413, _) => StorageErrorKind::TooLarge,
        (400, "STORAGE_INVALID_PARAMETER") => StorageErrorKind::InvalidInput,
        (401, _) => StorageErrorKind::Unauthorized,
        (403, _) => StorageErrorKind::PermissionDenied,
        _ => StorageErrorKind::Other,
    };
    Error::Storage(StorageError {
        kind,
        status,
        code,
        message,
        bucket: bucket.to_owned(),
        key: key.map(str::to_owned),
    })
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::Decode(e.to_string()))
}

/// A bucket (`GET /api/storage/buckets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub name: String,
    pub public: bool,
    pub created_at: Option<String>,
}

/// An object as an upload answers (`StorageFile`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredObject {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    pub mime_type: Option<String>,
    pub uploaded_at: Option<String>,
    /// Absolute, with `?v=<etag>`.
    pub url: String,
}

/// An object as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectInfo {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    pub mime_type: Option<String>,
    pub uploaded_at: Option<String>,
    #[serde(rename = "uploaded_by")]
    pub uploaded_by: Option<String>,
    pub etag: Option<String>,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    pub offset: u64,
    pub limit: u64,
    pub total: u64,
}

/// One page of a list: `{data, pagination}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectList {
    pub data: Vec<ObjectInfo>,
    pub pagination: Pagination,
}

/// Filters and paging of [`StorageBucket::list`]; unset fields are not sent (the server's
/// defaults: limit 100, offset 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Keys starting with this.
    pub prefix: Option<String>,
    /// Keys containing this (case-sensitive).
    pub search: Option<String>,
    /// 1 to 1000.
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RemoveStatus {
    Deleted,
    NotFound,
    Failed,
}

/// One key's result in [`StorageBucket::remove_many`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    pub key: String,
    pub status: RemoveStatus,
    pub message: Option<String>,
}

/// A URL that downloads an object; `expires_at` is set for presigned (S3) URLs only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedUrl {
    #[serde(rename = "url")]
    pub signed_url: String,
    pub method: String,
    pub expires_at: Option<String>,
}

/// What to upload: a file, an `AsyncRead`, a byte stream or bytes — always streamed.
pub struct Upload {
    body: reqwest::Body,
    length: Option<u64>,
    content_type: Option<String>,
    file_name: String,
}

impl Upload {
    /// The file at `path`, read as it is sent.
    pub async fn file(path: impl AsRef<Path>) -> Result<Upload, Error> {
        let path = path.as_ref();
        let named = |e: std::io::Error| Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())));
        let file = tokio::fs::File::open(path).await.map_err(named)?;
        let length = file.metadata().await.map_err(named)?.len();
        let mut upload = Upload::reader(file).length(length);
        if let Some(name) = path.file_name() {
            upload.file_name = name.to_string_lossy().into_owned();
        }
        Ok(upload)
    }

    /// Anything that reads bytes.
    pub fn reader(reader: impl AsyncRead + Send + 'static) -> Upload {
        Upload::stream(tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024))
    }

    /// A stream of byte chunks.
    pub fn stream<S, B, E>(stream: S) -> Upload
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes> + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        Upload {
            body: reqwest::Body::wrap_stream(stream.map_ok(Into::into)),
            length: None,
            content_type: None,
            file_name: "blob".to_owned(),
        }
    }

    /// Bytes already in memory.
    pub fn bytes(bytes: impl Into<Bytes>) -> Upload {
        let bytes = bytes.into();
        Upload {
            length: Some(bytes.len() as u64),
            body: reqwest::Body::from(bytes),
            content_type: None,
            file_name: "blob".to_owned(),
        }
    }

    /// The declared type (the server still checks the bytes, and never stores unsafe types).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Upload {
        self.content_type = Some(content_type.into());
        self
    }

    /// The part's file name (default: the file's name, else `blob`).
    pub fn file_name(mut self, name: impl Into<String>) -> Upload {
        self.file_name = name.into();
        self
    }

    /// The length in bytes, when known: sent as the part's length.
    pub fn length(mut self, length: u64) -> Upload {
        self.length = Some(length);
        self
    }
}

/// A download under way: its headers, then the bytes as they arrive.
pub struct Download {
    response: reqwest::Response,
    bucket: String,
    key: String,
}

impl Download {
    /// `Content-Length`, when the server sent it.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    pub fn content_type(&self) -> Option<&str> {
        self.response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    pub fn etag(&self) -> Option<&str> {
        self.response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
    }

    /// The next chunk, or `None` at the end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        Ok(self.response.chunk().await?)
    }

    /// The bytes as a stream.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, Error>> {
        self.response.bytes_stream().map(|r| r.map_err(Error::from))
    }

    /// Everything in memory (small objects only).
    pub async fn bytes(self) -> Result<Bytes, Error> {
        Ok(self.response.bytes().await?)
    }

    /// Writes the object to `path` (through a temporary file beside it, renamed at the end, so
    /// a failed download leaves nothing half-written); returns the bytes written.
    pub async fn to_file(self, path: impl AsRef<Path>) -> Result<u64, Error> {
        self.to_file_with_progress(path, |_| {}).await
    }

    /// As [`Download::to_file`], calling `progress` with the bytes written so far.
    pub async fn to_file_with_progress(
        mut self,
        path: impl AsRef<Path>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, Error> {
        let path = path.as_ref();
        let part = partial_path(path);
        let named = |e: std::io::Error| Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())));
        let mut file = tokio::fs::File::create(&part).await.map_err(named)?;
        let result: Result<u64, Error> = async {
            let mut written = 0u64;
            while let Some(chunk) = self
                .chunk()
                .await
                .map_err(|e| typed(e, &self.bucket, Some(&self.key)))?
            {
                file.write_all(&chunk).await.map_err(named)?;
                written += chunk.len() as u64;
                progress(written);
            }
            file.flush().await.map_err(named)?;
            file.sync_all().await.map_err(named)?;
            Ok(written)
        }
        .await;
        drop(file);
        match result {
            Ok(written) => {
                if let Err(e) = tokio::fs::rename(&part, path).await {
                    let _ = tokio::fs::remove_file(&part).await;
                    return Err(named(e));
                }
                Ok(written)
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&part).await;
                Err(e)
            }
        }
    }
}

/// `dir/.name.part`: where a download is written before it is renamed into place.
fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".to_owned());
    path.with_file_name(format!(".{name}.part"))
}

/// `client.storage()`: buckets (with the API key) and [`Storage::from`].
pub struct Storage {
    pub(crate) client: Client,
}

impl Storage {
    /// The objects of one bucket.
    pub fn from(&self, bucket: &str) -> StorageBucket {
        StorageBucket {
            client: self.client.clone(),
            bucket: bucket.to_owned(),
        }
    }

    /// The upload cap in MB (MiB, as the server counts) (API key).
    pub async fn max_file_size_mb(&self) -> Result<u64, Error> {
        let (_, _, text) = Client::send(self.client.request(Method::GET, "/api/storage/config"))
            .await
            .map_err(|e| typed(e, "", None))?;
        let body: Value = decode(&text)?;
        body["maxFileSizeMb"]
            .as_u64()
            .ok_or_else(|| Error::Decode(format!("no maxFileSizeMb in {body}")))
    }

    /// Every bucket, by name (API key).
    pub async fn buckets(&self) -> Result<Vec<Bucket>, Error> {
        let (_, _, text) = Client::send(self.client.request(Method::GET, "/api/storage/buckets"))
            .await
            .map_err(|e| typed(e, "", None))?;
        decode(&text)
    }

    /// Creates a bucket (API key); a public bucket's objects are readable without a token.
    pub async fn create_bucket(&self, name: &str, public: bool) -> Result<(), Error> {
        let body = json!({ "bucketName": name, "isPublic": public });
        Client::send(self.client.request(Method::POST, "/api/storage/buckets").json(&body))
            .await
            .map_err(|e| typed(e, name, None))?;
        Ok(())
    }

    /// Deletes a bucket with all its objects (API key).
    pub async fn delete_bucket(&self, name: &str) -> Result<(), Error> {
        let path = format!("/api/storage/buckets/{}", encode_uri_component(name));
        Client::send(self.client.request(Method::DELETE, &path))
            .await
            .map_err(|e| typed(e, name, None))
            .map_err(|e| match e {
                // "Bucket not found or already empty"
                Error::Storage(mut s) if s.status == 404 => {
                    s.kind = StorageErrorKind::BucketNotFound;
                    Error::Storage(s)
                }
                other => other,
            })?;
        Ok(())
    }

    /// Makes a bucket public or private (API key).
    pub async fn set_public(&self, name: &str, public: bool) -> Result<(), Error> {
        let path = format!("/api/storage/buckets/{}", encode_uri_component(name));
        Client::send(
            self.client
                .request(Method::PATCH, &path)
                .json(&json!({ "isPublic": public })),
        )
        .await
        .map_err(|e| typed(e, name, None))?;
        Ok(())
    }
}

/// The objects of one bucket: `client.storage().from(bucket)`.
pub struct StorageBucket {
    client: Client,
    bucket: String,
}

impl StorageBucket {
    pub fn name(&self) -> &str {
        &self.bucket
    }

    fn objects(&self) -> String {
        format!("/api/storage/buckets/{}/objects", encode_uri_component(&self.bucket))
    }

    fn object(&self, key: &str) -> String {
        format!("{}/{}", self.objects(), encode_uri_component(key))
    }

    /// Creates or replaces `key` (multipart `PUT`, field `file`), streaming the body.
    ///
    /// First asks `POST …/upload-strategy`, as `@insforge/sdk` does: a missing bucket, a refused
    /// write or (with a known length) a body over the limit is answered there, before any byte
    /// is sent — a server that refuses a body midway closes the connection, which the client
    /// would only see as a broken transfer.
    pub async fn upload(&self, key: &str, upload: Upload) -> Result<StoredObject, Error> {
        let mut probe = json!({ "filename": key });
        if let Some(t) = &upload.content_type {
            probe["contentType"] = Value::String(t.clone());
        }
        if let Some(n) = upload.length {
            probe["size"] = Value::from(n);
        }
        let strategy = self
            .client
            .request(
                Method::POST,
                &format!(
                    "/api/storage/buckets/{}/upload-strategy",
                    encode_uri_component(&self.bucket)
                ),
            )
            .json(&probe);
        Client::send(strategy)
            .await
            .map_err(|e| typed(e, &self.bucket, Some(key)))?;
        let part = match upload.length {
            Some(n) => Part::stream_with_length(upload.body, n),
            None => Part::stream(upload.body),
        }
        .file_name(upload.file_name);
        let part = match upload.content_type {
            Some(t) => part
                .mime_str(&t)
                .map_err(|e| Error::Decode(format!("content type {t:?}: {e}")))?,
            None => part,
        };
        let request = self
            .client
            .request(Method::PUT, &self.object(key))
            .multipart(Form::new().part("file", part));
        let (_, _, text) = Client::send(request)
            .await
            .map_err(|e| typed(e, &self.bucket, Some(key)))?;
        decode(&text)
    }

    /// Uploads the file at `path` as `key`.
    pub async fn upload_file(&self, key: &str, path: impl AsRef<Path>) -> Result<StoredObject, Error> {
        self.upload(key, Upload::file(path).await?).await
    }

    /// Starts a download; read it with [`Download::chunk`], [`Download::into_stream`] or
    /// [`Download::to_file`].
    pub async fn download(&self, key: &str) -> Result<Download, Error> {
        let response = self.client.request(Method::GET, &self.object(key)).send().await?;
        let status = response.status().as_u16();
        if status >= 400 {
            let body = response.text().await.unwrap_or_default();
            return Err(typed(Error::from_body(status, &body), &self.bucket, Some(key)));
        }
        Ok(Download {
            response,
            bucket: self.bucket.clone(),
            key: key.to_owned(),
        })
    }

    /// Downloads `key` into the file at `path`; returns the bytes written.
    pub async fn download_to_file(&self, key: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        self.download(key).await?.to_file(path).await
    }

    /// One page of the bucket's objects, by key.
    pub async fn list(&self, options: &ListOptions) -> Result<ObjectList, Error> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(p) = options.prefix.as_ref().filter(|p| !p.is_empty()) {
            query.push(("prefix", p.clone()));
        }
        if let Some(s) = options.search.as_ref().filter(|s| !s.is_empty()) {
            query.push(("search", s.clone()));
        }
        if let Some(l) = options.limit {
            query.push(("limit", l.to_string()));
        }
        if let Some(o) = options.offset {
            query.push(("offset", o.to_string()));
        }
        let request = self.client.request(Method::GET, &self.objects()).query(&query);
        let (_, _, text) = Client::send(request).await.map_err(|e| typed(e, &self.bucket, None))?;
        decode(&text)
    }

    /// Removes one object.
    pub async fn remove(&self, key: &str) -> Result<(), Error> {
        Client::send(self.client.request(Method::DELETE, &self.object(key)))
            .await
            .map_err(|e| typed(e, &self.bucket, Some(key)))?;
        Ok(())
    }

    /// Removes up to 1,000 objects; each key's result, in order, duplicates once.
    pub async fn remove_many<K: AsRef<str>>(&self, keys: &[K]) -> Result<Vec<Removed>, Error> {
        let keys: Vec<&str> = keys.iter().map(AsRef::as_ref).collect();
        let request = self
            .client
            .request(Method::DELETE, &self.objects())
            .json(&json!({ "keys": keys }));
        let (_, _, text) = Client::send(request).await.map_err(|e| typed(e, &self.bucket, None))?;
        let body: Value = decode(&text)?;
        serde_json::from_value(body["results"].clone()).map_err(|e| Error::Decode(e.to_string()))
    }

    /// A URL that downloads `key` (the download strategy). On local disk it is the object's
    /// own URL, which needs a token for a private bucket; on S3, a presigned URL valid for
    /// `expires_in` seconds.
    pub async fn create_signed_url(&self, key: &str, expires_in: u64) -> Result<SignedUrl, Error> {
        let path = format!(
            "/api/storage/buckets/{}/download-strategy/objects/{}?expiresIn={expires_in}",
            encode_uri_component(&self.bucket),
            encode_uri_component(key)
        );
        let first = Client::send(self.client.request(Method::GET, &path)).await;
        let text = match first {
            Ok((_, _, text)) => text,
            // Servers without the GET route answer 404/405: the legacy POST, as the SDK does.
            Err(Error::Api { status, ref code, .. }) if matches!(status, 404 | 405) && code != "STORAGE_NOT_FOUND" => {
                let legacy = format!("{}/download-strategy", self.object(key));
                Client::send(
                    self.client
                        .request(Method::POST, &legacy)
                        .json(&json!({ "expiresIn": expires_in })),
                )
                .await
                .map_err(|e| typed(e, &self.bucket, Some(key)))?
                .2
            }
            Err(e) => return Err(typed(e, &self.bucket, Some(key))),
        };
        decode(&text)
    }

    /// The object's URL, without a request (readable without a token in a public bucket).
    pub fn public_url(&self, key: &str) -> String {
        format!("{}{}", self.client.base, self.object(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_segment_as_encode_uri_component_makes_them() {
        assert_eq!(encode_uri_component("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_uri_component("é!~*'()x.y-_"), "%C3%A9!~*'()x.y-_");
        let client = Client::new("http://h:1/", "k").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            client.storage().from("docs").public_url("dir/a b.txt"),
            "http://h:1/api/storage/buckets/docs/objects/dir%2Fa%20b.txt"
        );
    }

    #[test]
    fn errors_are_typed() {
        let e = typed(
            Error::from_body(
                400,
                r#"{"error":"DATABASE_CONSTRAINT_VIOLATION","message":"Bucket \"x\" does not exist"}"#,
            ),
            "x",
            Some("k"),
        );
        match e {
            Error::Storage(s) => assert_eq!(
                (s.kind, s.bucket.as_str(), s.key.as_deref()),
                (StorageErrorKind::BucketNotFound, "x", Some("k"))
            ),
            other => panic!("{other:?}"),
        }
        let e = typed(
            Error::from_body(404, r#"{"error":"STORAGE_NOT_FOUND","message":"Object not found"}"#),
            "x",
            Some("k"),
        );
        assert_eq!(e.storage_kind(), Some(StorageErrorKind::ObjectNotFound));
        assert_eq!((e.status(), e.code()), (Some(404), Some("STORAGE_NOT_FOUND")));
    }
}
