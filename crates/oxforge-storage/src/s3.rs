//! The S3 backend: objects are `<APP_KEY>/<bucket>/<key>` in one backing bucket, reached
//! through `object_store`. Uploads stream, never whole in memory, and never replace an object
//! before its row is written:
//! - up to one part ([`PART`]): buffered, sent as one `PutObject` under a temporary key
//!   (`<APP_KEY>/.tmp/<random>`, no bucket can be named `.tmp`) and copied into place once the row
//!   is written (a small copy);
//! - larger: a multipart upload *to the final key*, parts sent as they fill; completing it (which
//!   makes the object appear, atomically) is the placing, done inside the row's transaction — so
//!   S3 writes the bytes once.
//!
//! An upload dropped before it finishes, or staged and never placed, aborts its multipart upload
//! (or deletes its temporary object).

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, MultipartUpload, ObjectStore, ObjectStoreExt, PutMultipartOptions,
    PutOptions, PutPayload,
};

use crate::backend::Tally;
use crate::error::{Result, StorageError};

/// The size of a multipart upload's parts (S3's minimum is 5 MiB, except the last).
pub const PART: usize = 8 * 1024 * 1024;

/// Parts in flight at once per upload.
const PARTS_IN_FLIGHT: usize = 2;

/// How to reach the backing bucket.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub endpoint: Option<String>,
    pub force_path_style: bool,
    pub app_key: String,
    /// Presigned downloads and uploads (`S3_USE_PRESIGNED_URLS`); else proxy mode.
    pub presigned: bool,
}

#[derive(Debug, Clone)]
pub struct S3 {
    store: Arc<AmazonS3>,
    /// `APP_KEY`'s segments.
    prefix: Vec<String>,
    config: S3Config,
}

pub(crate) fn backend_error(e: object_store::Error) -> StorageError {
    StorageError::Io(std::io::Error::other(e))
}

impl S3 {
    pub fn new(config: &S3Config) -> Result<S3, String> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_virtual_hosted_style_request(!config.force_path_style);
        if let (Some(id), Some(secret)) = (&config.access_key_id, &config.secret_access_key) {
            builder = builder.with_access_key_id(id).with_secret_access_key(secret);
        } else {
            // The default AWS chain: environment, web identity, instance metadata.
            builder = AmazonS3Builder::from_env()
                .with_bucket_name(&config.bucket)
                .with_region(&config.region)
                .with_virtual_hosted_style_request(!config.force_path_style);
        }
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder
            .build()
            .map_err(|e| format!("cannot configure S3 (S3_BUCKET, S3_ENDPOINT_URL, …): {e}"))?;
        let prefix = config
            .app_key
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(S3 {
            store: Arc::new(store),
            prefix,
            config: config.clone(),
        })
    }

    /// Presigned mode (`S3_USE_PRESIGNED_URLS`).
    pub fn presigned(&self) -> bool {
        self.config.presigned
    }

    /// A presigned `GET` of an object, valid for `ttl`, that makes S3 answer with `mime` (the
    /// row's type, whatever the object's own says: a presigned POST's client chose that) and,
    /// for types that must not render, `Content-Disposition: attachment`.
    pub async fn presigned_get(&self, bucket: &str, key: &str, mime: &str, ttl: Duration) -> Result<String> {
        use object_store::signer::{Method, SignedUrlOptions, Signer};
        let mut query = vec![("response-content-type", mime)];
        if crate::mime::download_only(mime) {
            query.push(("response-content-disposition", "attachment"));
        }
        let options = SignedUrlOptions::new().with_query(query);
        let url = self
            .store
            .signed_url_opts(Method::GET, &self.path(bucket, key), ttl, &options)
            .await
            .map_err(backend_error)?;
        Ok(url.to_string())
    }

    /// Where browsers `POST` forms: the bucket's URL.
    fn post_url(&self) -> String {
        let c = &self.config;
        match (&c.endpoint, c.force_path_style) {
            (Some(endpoint), true) => format!("{}/{}", endpoint.trim_end_matches('/'), c.bucket),
            (Some(endpoint), false) => match endpoint.split_once("://") {
                Some((scheme, host)) => format!("{scheme}://{}.{}", c.bucket, host.trim_end_matches('/')),
                None => format!("{}/{}", endpoint.trim_end_matches('/'), c.bucket),
            },
            (None, true) => format!("https://s3.{}.amazonaws.com/{}", c.region, c.bucket),
            (None, false) => format!("https://{}.s3.{}.amazonaws.com", c.bucket, c.region),
        }
    }

    /// A presigned `POST` (S3's POST policy, SigV4) of `bucket`/`key`: the URL and the form's
    /// fields in order. The policy pins the key, the `Content-Type` and the length
    /// (`0..=max`), and expires at `expires`.
    pub async fn presigned_post(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        max: u64,
        expires: chrono::DateTime<chrono::Utc>,
    ) -> Result<(String, Vec<(String, String)>)> {
        let credential = self.store.credentials().get_credential().await.map_err(backend_error)?;
        let now = chrono::Utc::now();
        let date = now.format("%Y%m%d").to_string();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let region = &self.config.region;
        let scope = format!("{}/{date}/{region}/s3/aws4_request", credential.key_id);
        let backing_key = self.path(bucket, key).to_string();
        let mut fields: Vec<(String, String)> = vec![
            ("Content-Type".into(), content_type.into()),
            ("bucket".into(), self.config.bucket.clone()),
            ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
            ("X-Amz-Credential".into(), scope),
            ("X-Amz-Date".into(), amz_date),
        ];
        if let Some(token) = &credential.token {
            fields.push(("X-Amz-Security-Token".into(), token.clone()));
        }
        fields.push(("key".into(), backing_key));
        let mut conditions: Vec<serde_json::Value> = fields
            .iter()
            .filter(|(name, _)| name != "Content-Type")
            .map(|(name, value)| serde_json::json!({ name: value }))
            .collect();
        conditions.push(serde_json::json!(["eq", "$Content-Type", content_type]));
        conditions.push(serde_json::json!(["content-length-range", 0, max]));
        let policy = serde_json::json!({
            "expiration": expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "conditions": conditions,
        });
        use base64::Engine;
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let signature = sigv4_sign(&credential.secret_key, &date, region, &policy);
        fields.push(("Policy".into(), policy));
        fields.push(("X-Amz-Signature".into(), signature));
        Ok((self.post_url(), fields))
    }

    fn under(&self, rest: &[&str]) -> Path {
        Path::from_iter(self.prefix.iter().map(String::as_str).chain(rest.iter().copied()))
    }

    /// The backing key of an object (`bucket` and `key` are checked: no empty segment).
    pub fn path(&self, bucket: &str, key: &str) -> Path {
        Path::from_iter(
            self.prefix
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(bucket))
                .chain(key.split('/')),
        )
    }

    /// Removes every object of `bucket`.
    pub async fn remove_bucket(&self, bucket: &str) -> Result<()> {
        self.remove_under(&[bucket]).await
    }

    /// Removes every object of `bucket` under the folder `folder/`.
    pub async fn remove_folder(&self, bucket: &str, folder: &str) -> Result<()> {
        self.remove_under(&[bucket, folder]).await
    }

    async fn remove_under(&self, segments: &[&str]) -> Result<()> {
        let prefix = self.under(segments);
        let locations = self.store.list(Some(&prefix)).map_ok(|meta| meta.location).boxed();
        let mut deleted = self.store.delete_stream(locations);
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(backend_error(e)),
            }
        }
        Ok(())
    }

    /// Removes an object (best effort: the row is gone).
    pub async fn remove(&self, bucket: &str, key: &str) {
        let path = self.path(bucket, key);
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, path = %path, "an object was not removed from S3"),
        }
    }

    /// An object's size and S3 ETag (unquoted); none when it does not exist.
    pub async fn stat(&self, bucket: &str, key: &str) -> Result<Option<(u64, Option<String>)>> {
        match self.store.head(&self.path(bucket, key)).await {
            Ok(meta) => Ok(Some((
                meta.size,
                meta.e_tag
                    .map(|t| t.trim_start_matches("W/").trim_matches('"').to_owned()),
            ))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(backend_error(e)),
        }
    }

    /// An object to serve; none when it does not exist.
    pub async fn open(&self, bucket: &str, key: &str) -> Result<Option<Object>> {
        let path = self.path(bucket, key);
        match self.store.head(&path).await {
            Ok(meta) => Ok(Some(Object {
                store: Arc::clone(&self.store),
                path,
                size: meta.size,
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(backend_error(e)),
        }
    }

    /// A new upload to be placed at `bucket`/`key` (`declared`: the part's type, for the object's
    /// `Content-Type`).
    pub fn incoming(&self, declared: Option<&str>, bucket: &str, key: &str) -> Incoming {
        let random: [u8; 16] = rand::random();
        let temp = self.under(&[".tmp", &hex::encode(random)]);
        self.incoming_at(temp, self.path(bucket, key), declared)
    }

    /// A new upload written straight to `bucket`/`key`, for objects nobody reads before they
    /// are placed and no other upload writes (the gateway's multipart parts): no copy.
    pub fn incoming_in_place(&self, bucket: &str, key: &str) -> Incoming {
        let target = self.path(bucket, key);
        self.incoming_at(target.clone(), target, None)
    }

    fn incoming_at(&self, temp: Path, target: Path, declared: Option<&str>) -> Incoming {
        Incoming {
            store: Arc::clone(&self.store),
            temp,
            target,
            buffer: Vec::new(),
            upload: None,
            declared: declared.map(str::to_owned),
            tally: Tally::default(),
        }
    }

    /// Puts a staged upload in place as `bucket`/`key` (the key it was made for): completes its
    /// multipart upload there, or copies its temporary object there (which then goes).
    pub async fn place(&self, mut staged: Staged, bucket: &str, key: &str) -> Result<()> {
        if self.path(bucket, key) != staged.target {
            staged.discard().await;
            return Err(StorageError::Io(std::io::Error::other(
                "an upload was placed at another key than the one it was made for",
            )));
        }
        let Some(path) = staged.path.take() else {
            return Err(StorageError::Io(std::io::Error::other("an upload was placed twice")));
        };
        if let Some(mut upload) = staged.upload.take() {
            // Until this completes nothing is replaced; on failure the upload is aborted.
            return match upload.complete().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    let _ = upload.abort().await;
                    Err(backend_error(e))
                }
            };
        }
        if path == staged.target {
            return Ok(());
        }
        let copied = self.store.copy(&path, &staged.target).await.map_err(backend_error);
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, path = %path, "a temporary upload was not removed"),
        }
        copied
    }
}

/// An object in S3, found.
pub struct Object {
    store: Arc<AmazonS3>,
    path: Path,
    pub size: u64,
}

impl Object {
    /// The bytes of `range`, streamed.
    pub async fn stream(self, range: Range<u64>) -> Result<impl futures_util::Stream<Item = std::io::Result<Bytes>>> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        let result = self.store.get_opts(&self.path, options).await.map_err(backend_error)?;
        Ok(result.into_stream().map_err(std::io::Error::other))
    }
}

/// A multipart upload being sent: its parts in flight.
struct Parts {
    upload: Box<dyn MultipartUpload>,
    in_flight: tokio::task::JoinSet<object_store::Result<()>>,
}

impl Parts {
    /// Sends one part, once fewer than [`PARTS_IN_FLIGHT`] are on their way.
    async fn send(&mut self, bytes: Vec<u8>) -> Result<()> {
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            Self::joined(self.in_flight.join_next().await)?;
        }
        self.in_flight
            .spawn(self.upload.put_part(PutPayload::from(Bytes::from(bytes))));
        Ok(())
    }

    /// Waits for every part sent.
    async fn flush(&mut self) -> Result<()> {
        while let Some(done) = self.in_flight.join_next().await {
            Self::joined(Some(done))?;
        }
        Ok(())
    }

    fn joined(done: Option<std::result::Result<object_store::Result<()>, tokio::task::JoinError>>) -> Result<()> {
        match done {
            Some(Ok(Ok(()))) | None => Ok(()),
            Some(Ok(Err(e))) => Err(backend_error(e)),
            Some(Err(e)) => Err(StorageError::Io(std::io::Error::other(e))),
        }
    }
}

/// Aborts a multipart upload in the background (an upload dropped unfinished or unplaced).
fn abort_later(mut upload: Box<dyn MultipartUpload>, path: Path) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            if let Err(e) = upload.abort().await {
                tracing::warn!(error = %e, path = %path, "an abandoned multipart upload was not aborted");
            }
        });
    }
}

/// An upload being sent: size, MD5 and the first bytes, computed as it streams.
pub struct Incoming {
    store: Arc<AmazonS3>,
    /// Where a small upload goes first (the target itself for uploads in place).
    temp: Path,
    /// The final key: a large upload goes there directly.
    target: Path,
    /// The bytes not sent yet.
    buffer: Vec<u8>,
    upload: Option<Parts>,
    declared: Option<String>,
    tally: Tally,
}

impl Incoming {
    pub fn size(&self) -> u64 {
        self.tally.size()
    }

    /// The object's `Content-Type`: the type the row gets (from the first bytes, else the
    /// declared one, never an unsafe one), so presigned downloads get it from S3 too.
    fn attributes(&self) -> Attributes {
        let mut attributes = Attributes::new();
        attributes.insert(
            Attribute::ContentType,
            crate::mime::detect(self.tally.head(), self.declared.as_deref()).into(),
        );
        attributes
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.tally.add(chunk);
        // Parts are filled to exactly PART in buffers of that capacity (a growing buffer would
        // double past it, and every part in flight would hold the excess).
        let mut rest = chunk;
        while !rest.is_empty() {
            let want = (self.buffer.len() + rest.len()).min(PART);
            if self.buffer.capacity() < want {
                // Doubling, as a Vec grows, but never past PART.
                let capacity = want.max(self.buffer.capacity() * 2).min(PART);
                self.buffer.reserve_exact(capacity - self.buffer.len());
            }
            let take = (PART - self.buffer.len()).min(rest.len());
            self.buffer.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.buffer.len() < PART {
                break;
            }
            if self.upload.is_none() {
                let options = PutMultipartOptions {
                    attributes: self.attributes(),
                    ..PutMultipartOptions::default()
                };
                let upload = self
                    .store
                    .put_multipart_opts(&self.target, options)
                    .await
                    .map_err(backend_error)?;
                self.upload = Some(Parts {
                    upload,
                    in_flight: tokio::task::JoinSet::new(),
                });
            }
            let part = std::mem::take(&mut self.buffer);
            if let Some(parts) = &mut self.upload {
                parts.send(part).await?;
            }
        }
        Ok(())
    }

    /// Sends what is left: one `PutObject`, or the multipart upload's last part (completed
    /// when placed). Until it returns, a drop (an error, a cancelled request) aborts the upload.
    pub async fn finish(mut self) -> Result<Staged> {
        let buffer = std::mem::take(&mut self.buffer);
        let (path, upload) = match &mut self.upload {
            Some(parts) => {
                if !buffer.is_empty() {
                    parts.send(buffer).await?;
                }
                parts.flush().await?;
                let upload = self.upload.take().map(|parts| parts.upload);
                (self.target.clone(), upload)
            }
            None => {
                let options = PutOptions {
                    attributes: self.attributes(),
                    ..PutOptions::default()
                };
                self.store
                    .put_opts(&self.temp, PutPayload::from(Bytes::from(buffer)), options)
                    .await
                    .map_err(backend_error)?;
                (self.temp.clone(), None)
            }
        };
        let (size, etag, head) = std::mem::take(&mut self.tally).finish();
        Ok(Staged {
            store: Arc::clone(&self.store),
            path: Some(path),
            target: self.target.clone(),
            upload,
            size,
            etag,
            head,
        })
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if let Some(parts) = self.upload.take() {
            abort_later(parts.upload, self.target.clone());
        }
    }
}

/// A complete upload, not yet in place: a temporary object, an object in place not yet
/// recorded, or a multipart upload to its target with every part sent.
pub struct Staged {
    store: Arc<AmazonS3>,
    /// Where the bytes are (none once placed or discarded).
    path: Option<Path>,
    /// The key it is made for.
    target: Path,
    upload: Option<Box<dyn MultipartUpload>>,
    pub size: u64,
    /// MD5 of the bytes, hex.
    pub etag: String,
    /// The first bytes, for type detection.
    pub head: Vec<u8>,
}

impl Staged {
    /// Drops the upload now: its multipart upload aborted, or its bytes deleted.
    pub async fn discard(mut self) {
        let path = self.path.take();
        if let Some(mut upload) = self.upload.take() {
            if let Err(e) = upload.abort().await {
                tracing::warn!(error = %e, "a refused multipart upload was not aborted");
            }
            return;
        }
        if let Some(path) = path {
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => tracing::warn!(error = %e, path = %path, "a temporary upload was not removed"),
            }
        }
    }
}

impl Drop for Staged {
    /// An upload never placed: its multipart upload is aborted, or its bytes go.
    fn drop(&mut self) {
        let path = self.path.take();
        if let Some(upload) = self.upload.take() {
            abort_later(upload, self.target.clone());
            return;
        }
        if let Some(path) = path
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let store = Arc::clone(&self.store);
            runtime.spawn(async move {
                match store.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => tracing::warn!(error = %e, path = %path, "a temporary upload was not removed"),
                }
            });
        }
    }
}

/// SigV4 over a string: the signing key (`AWS4<secret>` → date → region → `s3` →
/// `aws4_request`), then the hex HMAC of `text` (for a POST policy, the base64 policy).
fn sigv4_sign(secret: &str, date: &str, region: &str, text: &str) -> String {
    use crate::gateway::sigv4::{hmac_sha256, signing_key};
    hex::encode(hmac_sha256(&signing_key(secret, date, region), text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's POST policy example (`sigv4-post-example`): its policy and signature.
    #[test]
    fn post_policy_signature_matches_aws_example() {
        let policy = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
        assert_eq!(
            sigv4_sign(
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "20151229",
                "us-east-1",
                policy
            ),
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
        );
    }
}
