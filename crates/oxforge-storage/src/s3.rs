//! The S3 backend: objects are `<APP_KEY>/<bucket>/<key>` in one backing bucket, reached
//! through `object_store`. Uploads stream: the first part is buffered (up to [`PART`]); a
//! smaller body is one `PutObject`, a larger one a multipart upload whose parts go out as they
//! fill (never the whole object in memory). Either way the bytes land under a temporary key
//! (`<APP_KEY>/.tmp/<random>`, no bucket can be named `.tmp`) and are copied into place once
//! the row is written, so a refused or failed upload never replaces an object. An upload
//! dropped before it finishes aborts its multipart upload; a staged one dropped before it is
//! placed deletes its temporary object.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::error::{Result, StorageError};
use crate::mime::SNIFF_BYTES;

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
}

#[derive(Debug, Clone)]
pub struct S3 {
    store: Arc<AmazonS3>,
    /// `APP_KEY`'s segments.
    prefix: Vec<String>,
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
        })
    }

    pub fn store(&self) -> &Arc<AmazonS3> {
        &self.store
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
        let prefix = self.under(&[bucket]);
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
                meta.e_tag.map(|t| t.trim_start_matches("W/").trim_matches('"').to_owned()),
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

    /// A new upload.
    pub fn incoming(&self) -> Incoming {

        let random: [u8; 16] = rand::random();
        Incoming {
            store: Arc::clone(&self.store),
            temp: self.under(&[".tmp", &hex::encode(random)]),
            buffer: Vec::new(),
            upload: None,
            md5: Md5::new(),
            head: Vec::with_capacity(SNIFF_BYTES),
            size: 0,
        }
    }

    /// Copies a staged upload into place as `bucket`/`key` (its temporary object then goes).
    pub async fn place(&self, mut staged: Staged, bucket: &str, key: &str) -> Result<()> {
        let target = self.path(bucket, key);
        let Some(temp) = staged.temp.take() else {
            return Err(StorageError::Io(std::io::Error::other("an upload was placed twice")));
        };
        let copied = self.store.copy(&temp, &target).await.map_err(backend_error);
        match self.store.delete(&temp).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, path = %temp, "a temporary upload was not removed"),
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

/// An upload being sent: size, MD5 and the first bytes, computed as it streams.
pub struct Incoming {
    store: Arc<AmazonS3>,
    temp: Path,
    /// The bytes not sent yet, before the multipart upload starts.
    buffer: Vec<u8>,
    upload: Option<WriteMultipart>,
    md5: Md5,
    head: Vec<u8>,
    size: u64,
}

impl Incoming {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.md5.update(chunk);
        let room = SNIFF_BYTES.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.size += chunk.len() as u64;
        if let Some(upload) = &mut self.upload {
            upload.write(chunk);
        } else {
            self.buffer.extend_from_slice(chunk);
            if self.buffer.len() >= PART {
                let multipart = self.store.put_multipart(&self.temp).await.map_err(backend_error)?;
                let mut upload = WriteMultipart::new_with_chunk_size(multipart, PART);
                upload.write(&std::mem::take(&mut self.buffer));
                self.upload = Some(upload);
            }
        }
        if let Some(upload) = &mut self.upload {
            upload
                .wait_for_capacity(PARTS_IN_FLIGHT)
                .await
                .map_err(backend_error)?;
        }
        Ok(())
    }

    /// Completes the upload (one `PutObject`, or the multipart upload's last part and completion).
    pub async fn finish(mut self) -> Result<Staged> {
        let staged = |this: &mut Incoming| Staged {
            store: Arc::clone(&this.store),
            temp: Some(this.temp.clone()),
            size: this.size,
            etag: hex::encode(std::mem::take(&mut this.md5).finalize()),
            head: std::mem::take(&mut this.head),
        };
        match self.upload.take() {
            Some(upload) => {
                // On failure the upload is aborted by `finish` itself.
                upload.finish().await.map_err(backend_error)?;
            }
            None => {
                let payload = PutPayload::from(Bytes::from(std::mem::take(&mut self.buffer)));
                self.store.put(&self.temp, payload).await.map_err(backend_error)?;
            }
        }
        Ok(staged(&mut self))
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let temp = self.temp.clone();
            runtime.spawn(async move {
                if let Err(e) = upload.abort().await {
                    tracing::warn!(error = %e, path = %temp, "an abandoned multipart upload was not aborted");
                }
            });
        }
    }
}

/// A complete upload under its temporary key.
pub struct Staged {
    store: Arc<AmazonS3>,
    /// None once placed.
    temp: Option<Path>,
    pub size: u64,
    /// MD5 of the bytes, hex.
    pub etag: String,
    /// The first bytes, for type detection.
    pub head: Vec<u8>,
}

impl Staged {
    /// Deletes the temporary object now.
    pub async fn discard(mut self) {
        if let Some(temp) = self.temp.take() {
            match self.store.delete(&temp).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => tracing::warn!(error = %e, path = %temp, "a temporary upload was not removed"),
            }
        }
    }
}

impl Drop for Staged {
    /// An upload never placed: its temporary object goes.
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let store = Arc::clone(&self.store);
            runtime.spawn(async move {
                match store.delete(&temp).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => tracing::warn!(error = %e, path = %temp, "a temporary upload was not removed"),
                }
            });
        }
    }
}
