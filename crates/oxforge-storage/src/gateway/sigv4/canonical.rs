//! The canonical request's parts, as S3 builds them: the path decoded once and re-encoded, the query's
//! pairs decoded, re-encoded and sorted, the signed headers trimmed and joined.

use axum::http::{HeaderMap, Uri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

use crate::gateway::error::{S3Error, S3Result};

/// What stays as it is in a canonical query string (and, with `/`, in a canonical URI): RFC 3986's unreserved.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

/// Decodes `%XX` escapes strictly: a `%` not followed by two hex digits is an error. `+` stays `+`.
pub(super) fn percent_decode_strict(input: &str) -> Option<Vec<u8>> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16))?;
            let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16))?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The path decoded once and re-encoded: every byte but `A-Za-z0-9-._~/` as `%XX`.
pub(super) fn canonical_uri(path: &str) -> S3Result<String> {
    let decoded = percent_decode_strict(path)
        .ok_or_else(|| S3Error::invalid_argument("The request path has an invalid percent-encoding."))?;
    Ok(percent_encode(&decoded, PATH_SET).to_string())
}

/// The raw query's `k=v` pairs, decoded (a missing `=` gives an empty value).
pub(super) fn parse_query(raw: &str) -> S3Result<Vec<(Vec<u8>, Vec<u8>)>> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match (percent_decode_strict(k), percent_decode_strict(v)) {
                (Some(k), Some(v)) => Ok((k, v)),
                _ => Err(S3Error::invalid_argument(
                    "The query string has an invalid percent-encoding.",
                )),
            }
        })
        .collect()
}

pub(super) fn canonical_query(query: &[(Vec<u8>, Vec<u8>)], presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| !(presigned && k.as_slice() == b"X-Amz-Signature"))
        .map(|(k, v)| {
            (
                percent_encode(k, QUERY_SET).to_string(),
                percent_encode(v, QUERY_SET).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `name:value\n` for each signed header, in SignedHeaders' order.
pub(super) fn canonical_headers(uri: &Uri, headers: &HeaderMap, signed_headers: &[String]) -> S3Result<Vec<u8>> {
    let mut block = Vec::new();
    for name in signed_headers {
        let mut values: Vec<Vec<u8>> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| trim_all(v.as_bytes()))
            .collect();
        if values.is_empty() && name.eq_ignore_ascii_case("host") {
            // HTTP/2 carries the host in :authority, which ends up in the URI.
            if let Some(authority) = uri.authority() {
                values.push(authority.as_str().as_bytes().to_vec());
            }
        }
        if values.is_empty() {
            return Err(S3Error::signature_mismatch());
        }
        block.extend_from_slice(name.as_bytes());
        block.push(b':');
        block.extend_from_slice(&values.join(&b","[..]));
        block.push(b'\n');
    }
    Ok(block)
}

/// The value trimmed, inner runs of spaces and tabs collapsed to one space.
pub(super) fn trim_all(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for word in value.split(|b| *b == b' ' || *b == b'\t').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
    out
}
