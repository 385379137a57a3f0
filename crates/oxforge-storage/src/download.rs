//! Serving an object's bytes: streamed from its file or from S3, never read whole. Strong `ETag` (the MD5)
//! with `If-None-Match` → 304, one `Range` → 206 (`Content-Range`), an unsatisfiable one → 416,
//! `nosniff` always, `attachment` for types that must not render, `private, no-store` on
//! private buckets.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::DateTime;

use crate::backend::Source;
use crate::db::Meta;
use crate::error::{Result, StorageError};
use crate::mime::{OCTET_STREAM, download_only};

/// A `Range` header's meaning for an object of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Wanted {
    /// No range (absent, malformed, several ranges, or a unit other than bytes): everything.
    All,
    /// `first..=last`.
    Part(u64, u64),
    /// Outside the object: 416.
    Unsatisfiable,
}

pub fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::All;
    };
    if spec.contains(',') {
        return Wanted::All;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Wanted::All;
    };
    let (start, end) = (start.trim(), end.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (start.is_empty(), end.is_empty()) {
        // `bytes=-n`: the last n bytes.
        (true, false) => match parse(end) {
            Some(0) => Wanted::Unsatisfiable,
            Some(_) if size == 0 => Wanted::Unsatisfiable,
            Some(n) => Wanted::Part(size.saturating_sub(n), size - 1),
            None => Wanted::All,
        },
        (false, _) => {
            let Some(first) = parse(start) else { return Wanted::All };
            let last = if end.is_empty() { Some(u64::MAX) } else { parse(end) };
            match last {
                None => Wanted::All,
                Some(last) if last < first => Wanted::All,
                Some(_) if first >= size => Wanted::Unsatisfiable,
                Some(last) => Wanted::Part(first, last.min(size - 1)),
            }
        }
        (true, true) => Wanted::All,
    }
}

fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == etag)
}

/// The HTTP date of an ISO 8601 time.
fn http_date(iso: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(iso).ok().map(|t| {
        t.with_timezone(&chrono::Utc)
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string()
    })
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// The response for an object whose row is `meta` and whose bytes are `source`.
pub async fn serve(meta: &Meta, source: Source, request: &HeaderMap, public: bool, head: bool) -> Result<Response> {
    let size = source.size();
    let mime = meta.mime.as_deref().filter(|m| !m.is_empty()).unwrap_or(OCTET_STREAM);
    let mut headers = HeaderMap::new();
    set(&mut headers, header::CONTENT_TYPE, mime);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if download_only(mime) {
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    if !public {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    if let Some(etag) = &meta.etag {
        set(&mut headers, header::ETAG, &format!("\"{etag}\""));
    }
    if let Some(date) = http_date(&meta.uploaded_at) {
        set(&mut headers, header::LAST_MODIFIED, &date);
    }
    let if_none_match = request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if let (Some(inm), Some(etag)) = (if_none_match, &meta.etag)
        && etag_matches(inm, etag)
    {
        return respond(StatusCode::NOT_MODIFIED, headers, Body::empty());
    }
    let range = request.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, first, length) = match wanted(range, size) {
        Wanted::All => (StatusCode::OK, 0, size),
        Wanted::Part(first, last) => {
            set(
                &mut headers,
                header::CONTENT_RANGE,
                &format!("bytes {first}-{last}/{size}"),
            );
            (StatusCode::PARTIAL_CONTENT, first, last - first + 1)
        }
        Wanted::Unsatisfiable => {
            set(&mut headers, header::CONTENT_RANGE, &format!("bytes */{size}"));
            headers.remove(header::CONTENT_DISPOSITION);
            set(&mut headers, header::CONTENT_TYPE, "application/json");
            let body = serde_json::json!({
                "error": "STORAGE_INVALID_PARAMETER",
                "message": format!("Range not satisfiable: the object has {size} bytes"),
                "statusCode": 416,
            });
            return respond(StatusCode::RANGE_NOT_SATISFIABLE, headers, Body::from(body.to_string()));
        }
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if head || length == 0 {
        return respond(status, headers, Body::empty());
    }
    let stream = source.stream(first..first + length).await?;
    respond(status, headers, Body::from_stream(stream))
}

fn respond(status: StatusCode, headers: HeaderMap, body: Body) -> Result<Response> {
    let mut response = Response::builder()
        .status(status)
        .body(body)
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))?;
    response.headers_mut().extend(headers);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(wanted(None, 10), Wanted::All);
        assert_eq!(wanted(Some("bytes=0-4"), 10), Wanted::Part(0, 4));
        assert_eq!(wanted(Some("bytes=5-"), 10), Wanted::Part(5, 9));
        assert_eq!(wanted(Some("bytes=-3"), 10), Wanted::Part(7, 9));
        assert_eq!(wanted(Some("bytes=-30"), 10), Wanted::Part(0, 9));
        assert_eq!(wanted(Some("bytes=8-100"), 10), Wanted::Part(8, 9));
        assert_eq!(wanted(Some("bytes=10-"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,3-4"), 10), Wanted::All);
        assert_eq!(wanted(Some("bytes=x-1"), 10), Wanted::All);
        assert_eq!(wanted(Some("items=0-1"), 10), Wanted::All);
        assert_eq!(wanted(Some("bytes=5-2"), 10), Wanted::All);
    }

    #[test]
    fn etags() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("W/\"x\", \"abc\"", "abc"));
        assert!(etag_matches("*", "abc"));
        assert!(!etag_matches("\"abd\"", "abc"));
    }
}
