//! `db import <file> --table T [--upsert-key K]` (the file streamed as multipart to
//! `/api/database/advance/bulk-upsert`, with a progress bar) and `db export <table> --format
//! csv|json [-o file]` (the server's stream written as it arrives).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use tokio::io::AsyncReadExt;

use crate::client::Client;
use crate::output::cell;
use crate::{CliError, Output};

/// An import or export may take long: no overall deadline but this one.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(60 * 60);

fn progress(out: Output, length: Option<u64>, label: &str) -> Option<indicatif::ProgressBar> {
    if out.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match length {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = if length.is_some() {
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})"
    } else {
        "{msg} {bytes} ({bytes_per_sec})"
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

pub async fn import(
    api: &Client,
    out: Output,
    file: &Path,
    table: &str,
    schema: &str,
    upsert_key: Option<&str>,
) -> Result<(), CliError> {
    let named = |e: std::io::Error| CliError::general(format!("{}: {e}", file.display()));
    let handle = tokio::fs::File::open(file).await.map_err(named)?;
    let length = handle.metadata().await.map_err(named)?.len();
    let filename = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload.csv".to_owned());
    let bar = progress(out, Some(length), "Uploading");
    let counter = bar.clone();
    let chunks = futures_util::stream::unfold(handle, move |mut handle| {
        let counter = counter.clone();
        async move {
            let mut buf = vec![0u8; 256 * 1024];
            match handle.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    if let Some(bar) = &counter {
                        bar.inc(n as u64);
                    }
                    Some((Ok::<_, std::io::Error>(Bytes::from(buf)), handle))
                }
                Err(e) => Some((Err(e), handle)),
            }
        }
    });
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(chunks), length).file_name(filename);
    // The text fields before the file: the server then streams it straight into the table.
    let mut form = Form::new()
        .text("table", table.to_owned())
        .text("schema", schema.to_owned());
    if let Some(key) = upsert_key {
        form = form.text("upsertKey", key.to_owned());
    }
    let form = form.part("file", part);
    let request = api
        .builder(Method::POST, "/api/database/advance/bulk-upsert")
        .timeout(TRANSFER_TIMEOUT)
        .multipart(form);
    let result = api.send(request).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let body = result?;
    out.success(&format!(
        "{} of {} record(s) written to {table}.",
        cell(&body["rowsAffected"]),
        cell(&body["totalRecords"])
    ));
    out.json_value(&body);
    Ok(())
}

pub async fn export(
    api: &Client,
    out: Output,
    table: &str,
    schema: &str,
    format: &str,
    output: Option<PathBuf>,
) -> Result<(), CliError> {
    if !matches!(format, "csv" | "json") {
        return Err(CliError::usage("--format is csv or json"));
    }
    let path = format!(
        "/api/database/tables/{}/export?format={format}&schema={}",
        encode(table),
        encode(schema)
    );
    let request = api.builder(Method::GET, &path).timeout(TRANSFER_TIMEOUT);
    let mut response = api.open(request).await?;
    let mut sink: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| CliError::general(format!("{}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let bar = output.as_ref().and_then(|_| progress(out, None, "Downloading"));
    let mut written = 0u64;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| CliError::general(format!("the export ended early: {e}")))?
    {
        sink.write_all(&chunk)?;
        written += chunk.len() as u64;
        if let Some(bar) = &bar {
            bar.set_position(written);
        }
    }
    sink.flush()?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(path) = output {
        out.success(&format!("{written} bytes written to {}.", path.display()));
    }
    Ok(())
}

/// A name as one path segment or query value.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_names_are_one_segment() {
        assert_eq!(super::encode("a b/\"c"), "a%20b%2F%22c");
        assert_eq!(super::encode("todos_2"), "todos_2");
    }
}
