//! `POST /api/database/advance/bulk-upsert`: InsForge's bulk import of a CSV (with a header row)
//! or a JSON array of objects into one table, all rows or none.
//!
//! The multipart body is read as a stream and parsed incrementally; rows go to PostgreSQL by
//! `COPY` as they are parsed (`load`). The file needs the `table` (and `schema`) fields before it
//! to stream straight through; when it comes first it is spooled to a temporary file on disk,
//! never held in memory. `upsertKey` may come before or after the file.
//!
//! InsForge's rules: the columns are the CSV header (the first object's keys for JSON), each a
//! column of the table; an empty value is `NULL`; without `upsertKey` an existing key is a
//! conflict. Anything refused (a malformed line, a value not of its column's type, a constraint)
//! writes nothing and names the first problem, with its line when the file has one.

mod encode;
mod load;
mod parse;

use axum::Json;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use bytes::Bytes;
use oxforge_edge::{Admin, ApiError};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::DatabaseState;
use crate::sql::admin_claims;
use encode::Encoder;
use parse::{BadInput, CsvRows, JsonRows};

/// Encoded rows are sent to PostgreSQL in pieces of about this size.
const SEND_AT: usize = 256 * 1024;

/// The largest text field (`table`, `schema`, `upsertKey`).
const MAX_TEXT_FIELD: usize = 1024;

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "Request body is too large",
        );
    }
    ApiError::invalid_input(format!("Cannot read the multipart body: {}", e.body_text()))
}

fn bad_input(e: BadInput) -> ApiError {
    ApiError::invalid_input(format!("line {}: {}", e.line, e.message))
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Json,
}

/// InsForge decides by the file name's extension; without a name, by the content type.
fn format_of(filename: Option<&str>, content_type: Option<&str>) -> Result<Format, ApiError> {
    let lower = filename.map(str::to_ascii_lowercase);
    match lower.as_deref() {
        Some(n) if n.ends_with(".csv") => Ok(Format::Csv),
        Some(n) if n.ends_with(".json") => Ok(Format::Json),
        Some(n) if !n.is_empty() => Err(ApiError::invalid_input("Unsupported file type. Use .csv or .json")),
        _ if content_type.is_some_and(|t| t.contains("json")) => Ok(Format::Json),
        _ => Ok(Format::Csv),
    }
}

/// Where the file's bytes come from: the multipart field itself, or its spooled copy.
enum Source<'a, 'b> {
    Field(&'b mut Field<'a>),
    Spool(&'b mut tokio::fs::File, Vec<u8>),
}

impl Source<'_, '_> {
    async fn next(&mut self) -> Result<Option<Bytes>, ApiError> {
        match self {
            Source::Field(field) => field.chunk().await.map_err(multipart_error),
            Source::Spool(file, buf) => {
                let n = file.read(buf).await.map_err(ApiError::internal_because)?;
                Ok((n > 0).then(|| Bytes::copy_from_slice(&buf[..n])))
            }
        }
    }
}

enum Parser {
    Csv(Box<CsvRows>),
    Json(JsonRows),
}

impl Parser {
    fn push(&mut self, chunk: &[u8], sink: &mut Encoder) -> Result<(), ApiError> {
        match self {
            Parser::Csv(p) => p.push(chunk, sink),
            Parser::Json(p) => p.push(chunk, sink),
        }
        .map_err(bad_input)
    }

    fn finish(&mut self, sink: &mut Encoder) -> Result<(), ApiError> {
        match self {
            Parser::Csv(p) => p.finish(sink),
            Parser::Json(p) => p.finish(),
        }
        .map_err(bad_input)
    }
}

/// Parses the file and copies its rows into the session's stage; the number of rows.
async fn stage(session: &mut load::Session, format: Format, mut source: Source<'_, '_>) -> Result<u64, ApiError> {
    let mut parser = match format {
        Format::Csv => Parser::Csv(Box::default()),
        Format::Json => Parser::Json(JsonRows::default()),
    };
    let mut encoder = Encoder::default();
    let mut ended = false;
    // Up to the header: nothing is sent before the columns are checked.
    while encoder.header.is_none() {
        match source.next().await? {
            Some(chunk) => parser.push(&chunk, &mut encoder)?,
            None => {
                parser.finish(&mut encoder)?;
                ended = true;
                break;
            }
        }
    }
    let Some((_, header)) = encoder.header.take() else {
        return Err(ApiError::invalid_input("No records found in file"));
    };
    let sink = session.start_copy(&header).await?;
    let mut sink = std::pin::pin!(sink);
    while !ended {
        match source.next().await? {
            Some(chunk) => parser.push(&chunk, &mut encoder)?,
            None => {
                parser.finish(&mut encoder)?;
                ended = true;
            }
        }
        if encoder.buf.len() >= SEND_AT || (ended && !encoder.buf.is_empty()) {
            let data = encoder.buf.split().freeze();
            load::send(&mut sink, data, &encoder.lines).await?;
        }
    }
    if !encoder.buf.is_empty() {
        let data = encoder.buf.split().freeze();
        load::send(&mut sink, data, &encoder.lines).await?;
    }
    load::finish(sink, &encoder.lines).await?;
    if encoder.rows == 0 {
        return Err(ApiError::invalid_input("No records found in file"));
    }
    Ok(encoder.rows)
}

/// Stages the file; on a failure the copy is failed and the transaction rolled back before the
/// connection closes, so PostgreSQL sees an orderly end rather than a connection cut mid-`COPY`.
async fn staged_or_aborted(
    mut session: load::Session,
    format: Format,
    source: Source<'_, '_>,
) -> Result<(load::Session, u64), ApiError> {
    match stage(&mut session, format, source).await {
        Ok(rows) => Ok((session, rows)),
        Err(e) => {
            session.abort().await;
            Err(e)
        }
    }
}

async fn text(mut field: Field<'_>) -> Result<String, ApiError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        out.extend_from_slice(&chunk);
        if out.len() > MAX_TEXT_FIELD {
            return Err(ApiError::invalid_input("A text field is too long"));
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::invalid_input("A text field is not UTF-8"))
}

#[derive(Default)]
struct Form {
    table: Option<String>,
    schema: Option<String>,
    upsert_key: Option<String>,
    filename: Option<String>,
}

impl Form {
    fn schema(&self) -> &str {
        self.schema.as_deref().filter(|s| !s.is_empty()).unwrap_or("public")
    }
}

/// A file that came before `table`, on disk until the form is read.
struct Spooled {
    file: tokio::fs::File,
    format: Format,
}

async fn spool(field: &mut Field<'_>, format: Format) -> Result<Spooled, ApiError> {
    let std_file = tempfile::tempfile().map_err(ApiError::internal_because)?;
    let mut file = tokio::fs::File::from_std(std_file);
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        file.write_all(&chunk).await.map_err(ApiError::internal_because)?;
    }
    file.flush().await.map_err(ApiError::internal_because)?;
    file.rewind().await.map_err(ApiError::internal_because)?;
    Ok(Spooled { file, format })
}

pub async fn upsert(
    Admin(admin): Admin,
    audit: oxforge_edge::Audit,
    State(state): State<DatabaseState>,
    mut multipart: Multipart,
) -> Result<Json<Value>, ApiError> {
    let claims = admin_claims(&admin);
    let mut form = Form::default();
    let mut staged: Option<(load::Session, u64)> = None;
    let mut spooled: Option<Spooled> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                if staged.is_some() || spooled.is_some() {
                    return Err(ApiError::invalid_input("Only one file per request"));
                }
                let filename = field.file_name().map(str::to_owned);
                let format = format_of(filename.as_deref(), field.content_type())?;
                form.filename = filename;
                match form.table.clone().filter(|t| !t.is_empty()) {
                    Some(table) => {
                        let session = load::Session::open(&state.sql_pool, &claims, form.schema(), &table).await?;
                        staged = Some(staged_or_aborted(session, format, Source::Field(&mut field)).await?);
                    }
                    None => spooled = Some(spool(&mut field, format).await?),
                }
            }
            "table" | "schema" if staged.is_some() => {
                return Err(ApiError::invalid_input(format!("{name} must come before file, once")));
            }
            "table" => form.table = Some(text(field).await?),
            "schema" => form.schema = Some(text(field).await?),
            "upsertKey" => form.upsert_key = Some(text(field).await?).filter(|k| !k.is_empty()),
            _ => drop(text(field).await?),
        }
    }
    let Some(table) = form.table.clone().filter(|t| !t.is_empty()) else {
        return Err(ApiError::invalid_input("table: Required"));
    };
    let (session, total) = match (staged, spooled) {
        (Some(staged), _) => staged,
        (None, Some(mut spooled)) => {
            let session = load::Session::open(&state.sql_pool, &claims, form.schema(), &table).await?;
            let source = Source::Spool(&mut spooled.file, vec![0; 64 * 1024]);
            staged_or_aborted(session, spooled.format, source).await?
        }
        (None, None) => return Err(ApiError::invalid_input("File is required")),
    };
    let affected = session.insert(form.upsert_key.as_deref()).await?;
    tracing::info!(table = %table, rows = total, affected, "bulk upsert");
    audit.record(
        &admin,
        "BULK_UPSERT",
        "DATABASE",
        json!({ "schemaName": form.schema(), "tableName": table, "rowsAffected": affected, "filename": form.filename }),
    );
    Ok(Json(json!({
        "success": true,
        "message": format!("Successfully inserted {affected} rows into {table}"),
        "table": table,
        "rowsAffected": affected,
        "totalRecords": total,
        "filename": form.filename,
    })))
}
