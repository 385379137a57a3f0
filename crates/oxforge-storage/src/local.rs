//! The local backend: objects are files at `<storage_dir>/<bucket>/<key>` (a `/` in a key is a
//! folder), written to a temporary file in `<storage_dir>/.tmp` (the same file system) while
//! the upload streams in, then renamed into place: a reader sees the old object or the new one,
//! never a part. A temporary file is removed when it is dropped (a failed or abandoned upload).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use crate::backend::Tally;
use crate::error::{Result, StorageError};

#[derive(Debug, Clone)]
pub struct Local {
    root: PathBuf,
}

impl Local {
    pub fn new(root: PathBuf) -> Local {
        Local { root }
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// The file of an object (`bucket` and `key` are checked: no `..`, no empty segment).
    pub fn path(&self, bucket: &str, key: &str) -> PathBuf {
        self.bucket_dir(bucket).join(key)
    }

    pub async fn create_bucket(&self, bucket: &str) -> Result<()> {
        tokio::fs::create_dir_all(self.bucket_dir(bucket)).await?;
        Ok(())
    }

    pub async fn remove_bucket(&self, bucket: &str) -> Result<()> {
        match tokio::fs::remove_dir_all(self.bucket_dir(bucket)).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Removes the folder `folder` of `bucket` and everything in it.
    pub async fn remove_folder(&self, bucket: &str, folder: &str) -> Result<()> {
        match tokio::fs::remove_dir_all(self.path(bucket, folder)).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Removes an object's file and the folders it leaves empty (best effort: the row is gone).
    pub async fn remove(&self, bucket: &str, key: &str) {
        let path = self.path(bucket, key);
        if let Err(e) = tokio::fs::remove_file(&path).await
            && e.kind() != ErrorKind::NotFound
        {
            tracing::warn!(error = %e, path = %path.display(), "an object's file was not removed");
            return;
        }
        let stop = self.bucket_dir(bucket);
        let mut dir = path.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == stop || !d.starts_with(&stop) || tokio::fs::remove_dir(&d).await.is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }

    /// An object's file, open, and its size; none when there is no such file.
    pub async fn open(&self, bucket: &str, key: &str) -> Result<Option<(tokio::fs::File, u64)>> {
        match tokio::fs::File::open(self.path(bucket, key)).await {
            Ok(file) => {
                let meta = file.metadata().await?;
                if !meta.is_file() {
                    return Ok(None);
                }
                Ok(Some((file, meta.len())))
            }
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A new temporary file for an upload.
    pub async fn incoming(&self) -> Result<Incoming> {
        let dir = self.root.join(".tmp");
        tokio::fs::create_dir_all(&dir).await?;
        let named = tokio::task::spawn_blocking(move || tempfile::NamedTempFile::new_in(dir))
            .await
            .map_err(std::io::Error::other)??;
        let (file, path) = named.into_parts();
        Ok(Incoming {
            path,
            file: tokio::fs::File::from_std(file),
            tally: Tally::default(),
        })
    }

    /// Renames a staged upload into place as `bucket`/`key`.
    pub async fn place(&self, staged: Staged, bucket: &str, key: &str) -> Result<()> {
        let target = self.path(bucket, key);
        let conflict = || {
            StorageError::AlreadyExists(format!(
                "Key \"{key}\" in bucket \"{bucket}\" collides with another object's path (a key cannot also be a folder of other keys)"
            ))
        };
        let layout = |e: std::io::Error| match e.kind() {
            ErrorKind::NotADirectory
            | ErrorKind::IsADirectory
            | ErrorKind::AlreadyExists
            | ErrorKind::DirectoryNotEmpty => conflict(),
            _ => StorageError::Io(e),
        };
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(layout)?;
        }
        if tokio::fs::metadata(&target).await.is_ok_and(|m| m.is_dir()) {
            return Err(conflict());
        }
        tokio::fs::rename(&staged.path, &target).await.map_err(layout)?;
        // Renamed: nothing left to remove.
        let _ = staged.path.keep();
        Ok(())
    }
}

/// An upload being written: size, MD5 and the first bytes, computed as it streams.
pub struct Incoming {
    path: TempPath,
    file: tokio::fs::File,
    tally: Tally,
}

impl Incoming {
    pub fn size(&self) -> u64 {
        self.tally.size()
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.tally.add(chunk);
        self.file.write_all(chunk).await?;
        Ok(())
    }

    /// Flushes the file; the upload is complete.
    pub async fn finish(mut self) -> Result<Staged> {
        self.file.flush().await?;
        self.file.sync_data().await?;
        let (size, etag, head) = self.tally.finish();
        Ok(Staged {
            path: self.path,
            size,
            etag,
            head,
        })
    }
}

/// A complete upload in its temporary file.
pub struct Staged {
    path: TempPath,
    pub size: u64,
    /// MD5 of the bytes, hex.
    pub etag: String,
    /// The first bytes, for type detection.
    pub head: Vec<u8>,
}

/// The MD5 (hex) of a file, read as a stream.
pub async fn md5_of(file: &mut tokio::fs::File) -> Result<String> {
    use tokio::io::AsyncReadExt;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
    }
    Ok(hex::encode(md5.finalize()))
}
