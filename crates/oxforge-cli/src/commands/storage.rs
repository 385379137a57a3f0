//! `storage buckets|create-bucket|delete-bucket|list-objects (ls)|upload|download|rm` (and
//! `s3-keys`, in [`super::s3_keys`]), InsForge's
//! CLI names, through the Rust client (`oxforge-client`): transfers streamed from and to disk,
//! with a progress bar on a terminal for files above 1 MiB.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use futures_util::StreamExt;
use indicatif::HumanBytes;
use oxforge_client::{Error, ListOptions, RemoveStatus, StorageErrorKind, Upload};
use serde_json::json;

use crate::error::exit;
use crate::{CliError, Output, project};

#[derive(Subcommand)]
pub enum StorageCommand {
    /// List buckets.
    Buckets,
    /// Create a bucket (public unless --private: a public bucket's files are readable without a token).
    CreateBucket {
        /// The bucket's name (letters, digits, - and _)
        name: String,
        /// Files readable without a token (the default)
        #[arg(long, conflicts_with = "private")]
        public: bool,
        /// Files need a token; signed-in users read what row-level security allows
        #[arg(long)]
        private: bool,
    },
    /// Delete a bucket with all its files (asks first; -y to skip).
    DeleteBucket {
        /// The bucket's name
        name: String,
    },
    /// List a bucket's objects, by key.
    #[command(visible_alias = "ls")]
    ListObjects {
        /// The bucket
        bucket: String,
        /// Only keys starting with this
        #[arg(long)]
        prefix: Option<String>,
        /// Only keys containing this (case-sensitive)
        #[arg(long)]
        search: Option<String>,
        /// How many (1–1000; the server's default is 100)
        #[arg(long)]
        limit: Option<u32>,
        /// How many to skip
        #[arg(long)]
        offset: Option<u64>,
        /// Order of the page shown: key (the server's), size, type or uploaded; `-size` for
        /// largest first
        #[arg(long, allow_hyphen_values = true, value_parser = ["key", "-key", "size", "-size", "type", "-type", "uploaded", "-uploaded"])]
        sort: Option<String>,
    },
    /// Upload a file (streamed; replaces an object with the same key).
    Upload {
        /// The file to upload
        file: PathBuf,
        /// The bucket
        #[arg(long)]
        bucket: String,
        /// The object's key (default: the file's name)
        #[arg(long)]
        key: Option<String>,
        /// The declared content type (the server still checks the bytes)
        #[arg(long)]
        content_type: Option<String>,
    },
    /// Download an object to a file (streamed).
    Download {
        /// The object's key
        key: String,
        /// The bucket
        #[arg(long)]
        bucket: String,
        /// Where to write it (default: the key's last segment, here); `-` for stdout
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Access keys of the S3 gateway (for the AWS CLI, boto3, rclone…).
    #[command(subcommand, name = "s3-keys")]
    S3Keys(super::s3_keys::S3KeysCommand),
    /// Remove objects.
    Rm {
        /// The keys to remove (up to 1000)
        #[arg(required = true)]
        keys: Vec<String>,
        /// The bucket
        #[arg(long)]
        bucket: String,
    },
}

const RAISE_LIMIT: &str = "Raise the limit (at most 200 MB) with the API key: \
     curl -X PUT <url>/api/storage/config -H 'Authorization: Bearer ik_…' -H 'Content-Type: application/json' -d '{\"maxFileSizeMb\": 200}'";

/// Files above this get a progress bar (on a terminal).
const PROGRESS_ABOVE: u64 = 1024 * 1024;

fn progress(out: Output, length: u64, label: &str) -> Option<indicatif::ProgressBar> {
    if out.json || length <= PROGRESS_ABOVE || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(length);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// A client error as the CLI reports it: what happened and how to fix it.
fn cli_error(e: Error, base: &str) -> CliError {
    let storage = match e {
        Error::Storage(s) => s,
        Error::Api {
            status, code, message, ..
        } => return CliError::http(status, Some(&code), message, None),
        Error::Http(e) => {
            return CliError::general(format!("cannot reach {base}: {e}")).with_code("UNREACHABLE", exit::GENERAL);
        }
        Error::Io(e) => return CliError::general(e.to_string()),
        other => return CliError::general(other.to_string()),
    };
    let bucket = storage.bucket.as_str();
    let key = storage.key.as_deref().unwrap_or("");
    let (message, next) = match storage.kind {
        StorageErrorKind::BucketNotFound => (
            format!("bucket {bucket} does not exist"),
            Some(format!(
                "Create it with `oxforge storage create-bucket {bucket}`, or list buckets with `oxforge storage buckets`"
            )),
        ),
        StorageErrorKind::ObjectNotFound => (
            format!("no object {key:?} in bucket {bucket}"),
            Some(format!("See its objects with `oxforge storage ls {bucket}`")),
        ),
        StorageErrorKind::BucketAlreadyExists => (
            format!("bucket {bucket} already exists"),
            Some("Pick another name, or use it as it is (`oxforge storage buckets` shows it)".to_owned()),
        ),
        StorageErrorKind::TooLarge => (storage.message.clone(), Some(RAISE_LIMIT.to_owned())),
        StorageErrorKind::Unauthorized => (
            storage.message.clone(),
            Some("Check the link's API key: `oxforge current`, then `oxforge link --api-key ik_…`".to_owned()),
        ),
        StorageErrorKind::PermissionDenied => (
            storage.message.clone(),
            Some("Storage's admin commands need the project's API key (ik_…)".to_owned()),
        ),
        StorageErrorKind::InvalidInput | StorageErrorKind::Other => (storage.message.clone(), None),
    };
    let mut error = CliError::http(storage.status, Some(&storage.code), message, next);
    if matches!(
        storage.kind,
        StorageErrorKind::BucketNotFound | StorageErrorKind::ObjectNotFound
    ) {
        error.exit = exit::NOT_FOUND;
    }
    error
}

/// Orders a listed page by `sort` (`size`, `-size`, …); keys break ties.
fn sort_page(objects: &mut [oxforge_client::ObjectInfo], sort: &str) {
    let (field, descending) = match sort.strip_prefix('-') {
        Some(field) => (field, true),
        None => (sort, false),
    };
    objects.sort_by(|a, b| {
        let order = match field {
            "size" => a.size.cmp(&b.size),
            "type" => a.mime_type.cmp(&b.mime_type),
            "uploaded" => a.uploaded_at.cmp(&b.uploaded_at),
            _ => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.key.cmp(&b.key));
        if descending { order.reverse() } else { order }
    });
}

/// A missing object may be a missing bucket: the server says "Object not found" for both.
async fn explain_not_found(storage: &oxforge_client::Storage, bucket: &str, e: Error) -> Error {
    if e.storage_kind() != Some(StorageErrorKind::ObjectNotFound) {
        return e;
    }
    match storage.buckets().await {
        Ok(buckets) if !buckets.iter().any(|b| b.name == bucket) => match e {
            Error::Storage(mut s) => {
                s.kind = StorageErrorKind::BucketNotFound;
                Error::Storage(s)
            }
            other => other,
        },
        _ => e,
    }
}

pub async fn run(cmd: StorageCommand, out: Output, dir: &Path) -> Result<(), CliError> {
    let (base, key) = project::target(dir)?;
    let client = oxforge_client::Client::new(&base, &key).map_err(|e| CliError::general(e.to_string()))?;
    let storage = client.storage();
    let fail = |e: Error| cli_error(e, &base);
    match cmd {
        StorageCommand::S3Keys(keys) => return super::s3_keys::run(keys, out, dir).await,
        StorageCommand::Buckets => {
            let buckets = storage.buckets().await.map_err(fail)?;
            let rows: Vec<Vec<String>> = buckets
                .iter()
                .map(|b| {
                    vec![
                        b.name.clone(),
                        if b.public { "public" } else { "private" }.to_owned(),
                        b.created_at.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            out.table(&["Name", "Visibility", "Created"], &rows, "No buckets yet.");
            out.json_value(&json!(buckets));
        }
        StorageCommand::CreateBucket { name, private, .. } => {
            let public = !private;
            storage.create_bucket(&name, public).await.map_err(fail)?;
            out.success(&format!(
                "Bucket {name} created ({})",
                if public { "public" } else { "private" }
            ));
            out.json_value(&json!({ "bucketName": name, "isPublic": public }));
        }
        StorageCommand::DeleteBucket { name } => {
            if !out.confirm(&format!("Delete bucket {name} and all its files?"))? {
                return Ok(());
            }
            storage.delete_bucket(&name).await.map_err(fail)?;
            out.success(&format!("Bucket {name} deleted"));
            out.json_value(&json!({ "bucketName": name, "deleted": true }));
        }
        StorageCommand::ListObjects {
            bucket,
            prefix,
            search,
            limit,
            offset,
            sort,
        } => {
            let options = ListOptions {
                prefix,
                search,
                limit,
                offset,
            };
            let mut page = storage.from(&bucket).list(&options).await.map_err(fail)?;
            if let Some(sort) = &sort {
                sort_page(&mut page.data, sort);
            }
            if page.pagination.total == 0 {
                // The server lists an unknown bucket as empty: say which it is.
                let buckets = storage.buckets().await.map_err(fail)?;
                if !buckets.iter().any(|b| b.name == bucket) {
                    return Err(cli_error(
                        Error::Storage(oxforge_client::StorageError {
                            kind: StorageErrorKind::BucketNotFound,
                            status: 404,
                            code: "STORAGE_NOT_FOUND".into(),
                            message: format!("Bucket \"{bucket}\" does not exist"),
                            bucket: bucket.clone(),
                            key: None,
                        }),
                        &base,
                    ));
                }
            }
            let rows: Vec<Vec<String>> = page
                .data
                .iter()
                .map(|o| {
                    vec![
                        o.key.clone(),
                        HumanBytes(o.size).to_string(),
                        o.mime_type.clone().unwrap_or_default(),
                        o.uploaded_at.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            out.table(&["Key", "Size", "Type", "Uploaded"], &rows, "No objects.");
            let p = page.pagination;
            let shown = page.data.len() as u64;
            if shown > 0 && !out.json {
                let mut line = format!("{}–{} of {}", p.offset + 1, p.offset + shown, p.total);
                if p.offset + shown < p.total {
                    line.push_str(&format!("; next: --offset {}", p.offset + shown));
                }
                out.info(&line);
            }
            out.json_value(&json!(page));
        }
        StorageCommand::Upload {
            file,
            bucket,
            key,
            content_type,
        } => {
            let key = match key {
                Some(k) => k,
                None => file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .ok_or_else(|| CliError::usage(format!("{}: not a file; pass --key", file.display())))?,
            };
            let named = |e: std::io::Error| CliError::general(format!("{}: {e}", file.display()));
            let handle = tokio::fs::File::open(&file).await.map_err(named)?;
            let meta = handle.metadata().await.map_err(named)?;
            if meta.is_dir() {
                return Err(CliError::usage(format!("{} is a directory", file.display())));
            }
            let length = meta.len();
            // Said before sending rather than after: the server stops a too-large upload midway.
            if let Ok(max_mb) = storage.max_file_size_mb().await
                && length > max_mb.saturating_mul(1024 * 1024)
            {
                return Err(CliError::general(format!(
                    "{} is {}, over the server's upload limit of {max_mb} MB",
                    file.display(),
                    HumanBytes(length)
                ))
                .with_code("FILE_TOO_LARGE", exit::GENERAL)
                .with_next(RAISE_LIMIT));
            }
            let bar = progress(out, length, &format!("Uploading {key}"));
            let counter = bar.clone();
            let chunks = file_chunks(handle).map(move |chunk| {
                if let (Ok(bytes), Some(bar)) = (&chunk, &counter) {
                    bar.inc(bytes.len() as u64);
                }
                chunk
            });
            let mut upload = Upload::stream(chunks).length(length);
            if let Some(name) = file.file_name() {
                upload = upload.file_name(name.to_string_lossy().into_owned());
            }
            if let Some(t) = content_type {
                upload = upload.content_type(t);
            }
            let result = storage.from(&bucket).upload(&key, upload).await;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let stored = result.map_err(fail)?;
            out.success(&format!(
                "Uploaded {} to {bucket}/{} ({})",
                file.display(),
                stored.key,
                HumanBytes(stored.size)
            ));
            out.json_value(&json!(stored));
        }
        StorageCommand::Download { key, bucket, output } => {
            let objects = storage.from(&bucket);
            let download = match objects.download(&key).await {
                Ok(d) => d,
                Err(e) => return Err(fail(explain_not_found(&storage, &bucket, e).await)),
            };
            let length = download.content_length().unwrap_or(0);
            if output.as_deref() == Some(Path::new("-")) {
                let mut stream = download.into_stream();
                let mut stdout = std::io::stdout().lock();
                while let Some(chunk) = stream.next().await {
                    stdout.write_all(&chunk.map_err(fail)?)?;
                }
                stdout.flush()?;
                return Ok(());
            }
            let path = match output {
                Some(p) if p.is_dir() => p.join(last_segment(&key)?),
                Some(p) => p,
                None => dir.join(last_segment(&key)?),
            };
            let bar = progress(out, length, &format!("Downloading {key}"));
            let result = download
                .to_file_with_progress(&path, |n| {
                    if let Some(bar) = &bar {
                        bar.set_position(n);
                    }
                })
                .await;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let written = result.map_err(fail)?;
            out.success(&format!(
                "Downloaded {bucket}/{key} to {} ({})",
                path.display(),
                HumanBytes(written)
            ));
            out.json_value(&json!({ "bucket": bucket, "key": key, "path": path, "size": written }));
        }
        StorageCommand::Rm { keys, bucket } => {
            let results = storage.from(&bucket).remove_many(&keys).await.map_err(fail)?;
            let mut missing = Vec::new();
            for r in &results {
                match r.status {
                    RemoveStatus::Deleted => out.success(&format!("Removed {bucket}/{}", r.key)),
                    RemoveStatus::NotFound => missing.push(r.key.clone()),
                    RemoveStatus::Failed => out.info(&format!(
                        "✗ {bucket}/{}: {}",
                        r.key,
                        r.message.as_deref().unwrap_or("failed")
                    )),
                }
            }
            out.json_value(&json!({ "bucket": bucket, "results": results }));
            if results.iter().any(|r| r.status == RemoveStatus::Failed) {
                return Err(CliError::general(format!(
                    "some objects of {bucket} could not be removed"
                )));
            }
            if !missing.is_empty() {
                let buckets = storage.buckets().await.map_err(fail)?;
                let next = if buckets.iter().any(|b| b.name == bucket) {
                    format!("See its objects with `oxforge storage ls {bucket}`")
                } else {
                    format!("Bucket {bucket} does not exist: create it with `oxforge storage create-bucket {bucket}`")
                };
                let mut error = CliError::http(
                    404,
                    Some("STORAGE_NOT_FOUND"),
                    format!("not found in bucket {bucket}: {}", missing.join(", ")),
                    Some(next),
                );
                error.exit = exit::NOT_FOUND;
                return Err(error);
            }
        }
    }
    Ok(())
}

/// The file name a key downloads to by default.
fn last_segment(key: &str) -> Result<String, CliError> {
    match key.rsplit('/').next() {
        Some(name) if !name.is_empty() && name != "." && name != ".." => Ok(name.to_owned()),
        _ => Err(CliError::usage(format!(
            "cannot name a file after key {key:?}; pass --output"
        ))),
    }
}

/// A file as a stream of 256 KiB chunks.
fn file_chunks(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_named_after_the_key() {
        assert_eq!(last_segment("a/b c.txt").ok().as_deref(), Some("b c.txt"));
        assert!(last_segment("dir/").is_err());
        assert!(last_segment("a/..").is_err());
    }
}
