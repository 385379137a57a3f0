//! Where objects live: files on local disk ([`crate::local`]) or one S3 bucket
//! ([`crate::s3`]). The routes see one interface: stream an upload in, place it once its row
//! is written, open an object to serve, remove objects and buckets.

use std::ops::Range;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;

use md5::{Digest, Md5};

use crate::error::Result;
use crate::local::{self, Local};
use crate::mime::SNIFF_BYTES;
use crate::s3::{self, S3};

#[derive(Debug)]
pub enum Backend {
    Local(Local),
    S3(S3),
}

/// An object found, ready to serve.
pub enum Source {
    File(tokio::fs::File, u64),
    S3(s3::Object),
}

/// The bytes of an object, streamed.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Bytes read from a file per chunk sent.
const CHUNK: usize = 256 * 1024;

impl Source {
    pub fn size(&self) -> u64 {
        match self {
            Source::File(_, size) => *size,
            Source::S3(object) => object.size,
        }
    }

    /// The bytes of `range` (not empty).
    pub async fn stream(self, range: Range<u64>) -> Result<ByteStream> {
        match self {
            Source::File(mut file, _) => {
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                if range.start > 0 {
                    file.seek(std::io::SeekFrom::Start(range.start)).await?;
                }
                let reader = file.take(range.end - range.start);
                Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(reader, CHUNK)))
            }
            Source::S3(object) => Ok(Box::pin(object.stream(range).await?)),
        }
    }
}

/// What every upload computes as its bytes stream by: their count, their MD5 (the ETag) and the
/// first [`SNIFF_BYTES`] (for the type).
#[derive(Default)]
pub struct Tally {
    md5: Md5,
    head: Vec<u8>,
    size: u64,
}

impl Tally {
    pub fn add(&mut self, chunk: &[u8]) {
        self.md5.update(chunk);
        let room = SNIFF_BYTES.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.size += chunk.len() as u64;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The size, the MD5 in hex and the first bytes.
    pub fn finish(self) -> (u64, String, Vec<u8>) {
        (self.size, hex::encode(self.md5.finalize()), self.head)
    }
}

pub enum Incoming {
    Local(local::Incoming),
    S3(s3::Incoming),
}

impl Incoming {
    pub fn size(&self) -> u64 {
        match self {
            Incoming::Local(i) => i.size(),
            Incoming::S3(i) => i.size(),
        }
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        match self {
            Incoming::Local(i) => i.write(chunk).await,
            Incoming::S3(i) => i.write(chunk).await,
        }
    }

    pub async fn finish(self) -> Result<Staged> {
        Ok(match self {
            Incoming::Local(i) => Staged::Local(i.finish().await?),
            Incoming::S3(i) => Staged::S3(i.finish().await?),
        })
    }
}

/// A complete upload, not yet in place.
pub enum Staged {
    Local(local::Staged),
    S3(s3::Staged),
}

impl Staged {
    pub fn size(&self) -> u64 {
        match self {
            Staged::Local(s) => s.size,
            Staged::S3(s) => s.size,
        }
    }

    /// MD5 of the bytes, hex.
    pub fn etag(&self) -> &str {
        match self {
            Staged::Local(s) => &s.etag,
            Staged::S3(s) => &s.etag,
        }
    }

    /// The first bytes, for type detection.
    pub fn head(&self) -> &[u8] {
        match self {
            Staged::Local(s) => &s.head,
            Staged::S3(s) => &s.head,
        }
    }
}

impl Backend {
    pub fn is_s3(&self) -> bool {
        matches!(self, Backend::S3(_))
    }

    /// S3 in presigned mode: downloads and uploads go straight to S3.
    pub fn presigned(&self) -> Option<&S3> {
        match self {
            Backend::S3(s) if s.presigned() => Some(s),
            _ => None,
        }
    }

    pub async fn create_bucket(&self, bucket: &str) -> Result<()> {
        match self {
            Backend::Local(l) => l.create_bucket(bucket).await,
            // Buckets are rows; S3 keeps nothing for them.
            Backend::S3(_) => Ok(()),
        }
    }

    pub async fn remove_bucket(&self, bucket: &str) -> Result<()> {
        match self {
            Backend::Local(l) => l.remove_bucket(bucket).await,
            Backend::S3(s) => s.remove_bucket(bucket).await,
        }
    }

    /// Removes the folder `folder` of `bucket` and every object in it.
    pub async fn remove_folder(&self, bucket: &str, folder: &str) -> Result<()> {
        match self {
            Backend::Local(l) => l.remove_folder(bucket, folder).await,
            Backend::S3(s) => s.remove_folder(bucket, folder).await,
        }
    }

    /// Removes an object (best effort: the row is gone).
    pub async fn remove(&self, bucket: &str, key: &str) {
        match self {
            Backend::Local(l) => l.remove(bucket, key).await,
            Backend::S3(s) => s.remove(bucket, key).await,
        }
    }

    pub async fn open(&self, bucket: &str, key: &str) -> Result<Option<Source>> {
        Ok(match self {
            Backend::Local(l) => l.open(bucket, key).await?.map(|(f, size)| Source::File(f, size)),
            Backend::S3(s) => s.open(bucket, key).await?.map(Source::S3),
        })
    }

    /// An object already in place (confirm-upload): its size and MD5 (S3: its ETag).
    pub async fn stat(&self, bucket: &str, key: &str) -> Result<Option<(u64, Option<String>)>> {
        match self {
            Backend::Local(l) => match l.open(bucket, key).await? {
                Some((mut file, size)) => Ok(Some((size, Some(local::md5_of(&mut file).await?)))),
                None => Ok(None),
            },
            Backend::S3(s) => s.stat(bucket, key).await,
        }
    }

    /// A new upload, to be placed at `bucket`/`key` (on S3 a large one is sent there directly,
    /// as a multipart upload completed when placed).
    pub async fn incoming(&self, declared: Option<&str>, bucket: &str, key: &str) -> Result<Incoming> {
        Ok(match self {
            Backend::Local(l) => Incoming::Local(l.incoming().await?),
            Backend::S3(s) => Incoming::S3(s.incoming(declared, bucket, key)),
        })
    }

    /// A new upload that [`Backend::place`] will put at `bucket`/`key` and nowhere else, for
    /// objects nobody reads before they are placed (the gateway's multipart parts): on S3 it is
    /// written there directly (no copy when placed); locally it is staged as any upload (a
    /// rename places it).
    pub async fn incoming_in_place(&self, bucket: &str, key: &str) -> Result<Incoming> {
        Ok(match self {
            Backend::Local(l) => Incoming::Local(l.incoming().await?),
            Backend::S3(s) => Incoming::S3(s.incoming_in_place(bucket, key)),
        })
    }

    /// Drops a staged upload now (its temporary file or object is gone when this returns).
    pub async fn discard(&self, staged: Staged) {
        match staged {
            Staged::Local(s) => drop(s),
            Staged::S3(s) => s.discard().await,
        }
    }

    pub async fn place(&self, staged: Staged, bucket: &str, key: &str) -> Result<()> {
        match (self, staged) {
            (Backend::Local(l), Staged::Local(s)) => l.place(s, bucket, key).await,
            (Backend::S3(b), Staged::S3(s)) => b.place(s, bucket, key).await,
            _ => Err(crate::error::StorageError::Io(std::io::Error::other(
                "an upload staged on one backend was placed on another",
            ))),
        }
    }
}
