//! AWS Signature Version 4, checked on the server: the `Authorization: AWS4-HMAC-SHA256 …` header form and
//! the presigned-URL query form (`X-Amz-Signature=…`).
//!
//! Checking is split in two so the caller can look the access key up in between: [`parse`] reads the
//! signature and builds the string to sign (no secret needed), [`verify`] checks it with the key's secret in
//! constant time. The result, [`Verified`], carries what `aws-chunked` bodies need to check their chunk
//! signatures (see `gateway::chunked`).

use std::fmt;

use aws_lc_rs::{constant_time, digest, hmac};
use axum::http::{HeaderMap, HeaderName, Method, Uri, header};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

use crate::gateway::error::{S3Error, S3Result};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const SERVICE: &str = "s3";
const TERMINATOR: &str = "aws4_request";
const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
/// How far a request's time may be from the server's.
const MAX_SKEW_MINUTES: i64 = 15;
/// The longest a presigned URL may live: seven days.
const MAX_EXPIRES_SECONDS: i64 = 604_800;
/// The hex SHA-256 of nothing.
pub(crate) const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What stays as it is in a canonical query string (and, with `/`, in a canonical URI): RFC 3986's unreserved.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

/// How the payload is protected, from x-amz-content-sha256 (header form) or UNSIGNED-PAYLOAD (presigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `UNSIGNED-PAYLOAD` (also when the header is absent in the header form).
    Unsigned,
    /// Lowercase hex SHA-256 of the whole body, to be verified while streaming.
    Sha256(String),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` (signed), `STREAMING-UNSIGNED-PAYLOAD-TRAILER`
    /// (`signed: false, trailer: true`).
    Streaming { signed: bool, trailer: bool },
}

/// A request whose signature is parsed and whose string to sign is built, waiting for the secret.
#[derive(Debug, Clone)]
pub struct Pending {
    pub access_key_id: String,
    pub payload: Payload,
    /// With the canonical URI S3 computes (decoded once, re-encoded).
    string_to_sign: String,
    /// With the path exactly as received, when that differs (clients differ in what they escape).
    raw_string_to_sign: Option<String>,
    /// Lowercase hex, as the client sent it.
    signature: String,
    /// `YYYYMMDD`.
    date: String,
    /// `YYYYMMDDTHHMMSSZ`.
    amz_date: String,
    region: String,
}

/// After verification: what the body decoder needs.
#[derive(Clone)]
pub struct Verified {
    pub access_key_id: String,
    pub payload: Payload,
    signing_key: Vec<u8>,
    seed_signature: String,
    amz_date: String,
    /// `YYYYMMDD/region/s3/aws4_request`.
    scope: String,
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.access_key_id)
            .field("payload", &self.payload)
            .field("signing_key", &"<redacted>")
            .field("seed_signature", &self.seed_signature)
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Verified {
    /// The request's own signature: the "previous signature" of the first chunk.
    pub(crate) fn seed_signature(&self) -> &str {
        &self.seed_signature
    }

    pub(crate) fn amz_date(&self) -> &str {
        &self.amz_date
    }

    pub(crate) fn scope(&self) -> &str {
        &self.scope
    }

    /// Hex HMAC-SHA256 of `string_to_sign` under the request's signing key.
    pub(crate) fn sign_hex(&self, string_to_sign: &str) -> String {
        hex::encode(hmac_sha256(&self.signing_key, string_to_sign.as_bytes()))
    }
}

/// Whether `given` (hex, as sent) is the signature `expected` (lowercase hex), in constant time.
pub(crate) fn signatures_equal(expected: &str, given: &str) -> bool {
    constant_time::verify_slices_are_equal(expected.as_bytes(), given.to_ascii_lowercase().as_bytes()).is_ok()
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, data).as_ref().to_vec()
}

fn signing_key(secret: &str, date: &str, region: &str) -> Vec<u8> {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, SERVICE.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

/// Parses the request's SigV4 (Authorization header `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
/// Signature=...`, or the presigned query X-Amz-Algorithm/X-Amz-Credential/X-Amz-Date/X-Amz-Expires/
/// X-Amz-SignedHeaders/X-Amz-Signature) and builds the canonical request and string to sign. `region` is
/// the only region accepted in the scope.
pub fn parse(method: &Method, uri: &Uri, headers: &HeaderMap, region: &str, now: DateTime<Utc>) -> S3Result<Pending> {
    let query = parse_query(uri.query().unwrap_or(""))?;
    let authorization = single_header(headers, &header::AUTHORIZATION)
        .map_err(|()| S3Error::malformed_authorization("More than one Authorization header was sent."))?;
    let presigned = query.iter().any(|(k, _)| {
        matches!(
            k.as_slice(),
            b"X-Amz-Signature" | b"X-Amz-Algorithm" | b"X-Amz-Credential"
        )
    });
    match (authorization, presigned) {
        (Some(_), true) => Err(S3Error::invalid_argument(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
        )),
        (Some(value), false) => {
            let value = value
                .to_str()
                .map_err(|_| S3Error::malformed_authorization("The Authorization header is not readable text."))?;
            header_form(method, uri, headers, &query, value, region, now)
        }
        (None, true) => presigned_form(method, uri, headers, &query, region, now),
        (None, false) => {
            let sigv2 =
                query.iter().any(|(k, _)| k == b"Signature") && query.iter().any(|(k, _)| k == b"AWSAccessKeyId");
            if sigv2 {
                Err(S3Error::invalid_request(
                    "This presigned URL uses AWS Signature Version 2: only AWS Signature Version 4 is supported.",
                ))
            } else {
                Err(S3Error::access_denied(
                    "Anonymous access is not allowed: sign requests with an access key (AWS Signature Version 4). Create one under Storage → S3 access keys.",
                ))
            }
        }
    }
}

/// Checks the signature with `secret` (constant-time).
pub fn verify(pending: &Pending, secret: &str) -> S3Result<Verified> {
    let key = signing_key(secret, &pending.date, &pending.region);
    let expected = hex::encode(hmac_sha256(&key, pending.string_to_sign.as_bytes()));
    let mut ok = signatures_equal(&expected, &pending.signature);
    if !ok && let Some(raw) = &pending.raw_string_to_sign {
        let expected = hex::encode(hmac_sha256(&key, raw.as_bytes()));
        ok = signatures_equal(&expected, &pending.signature);
    }
    if !ok {
        return Err(S3Error::signature_mismatch());
    }
    Ok(Verified {
        access_key_id: pending.access_key_id.clone(),
        payload: pending.payload.clone(),
        signing_key: key,
        seed_signature: pending.signature.clone(),
        amz_date: pending.amz_date.clone(),
        scope: format!("{}/{}/{SERVICE}/{TERMINATOR}", pending.date, pending.region),
    })
}

/// The one value of a header: `Ok(None)` when absent, `Err(())` when sent more than once.
fn single_header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<Option<&'a header::HeaderValue>, ()> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(());
    }
    Ok(first)
}

/// The parts of `Credential=` / `X-Amz-Credential`.
struct Credential {
    access_key_id: String,
    date: String,
    region: String,
}

fn parse_credential(value: &str, region: &str) -> S3Result<Credential> {
    let parts: Vec<&str> = value.split('/').collect();
    let [access_key_id, date, scope_region, service, terminator] = parts.as_slice() else {
        return Err(S3Error::malformed_authorization(format!(
            "The credential '{value}' is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
        )));
    };
    if access_key_id.is_empty() {
        return Err(S3Error::malformed_authorization("The credential has no access key ID."));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(S3Error::malformed_authorization(format!(
            "The credential date '{date}' is malformed; expecting YYYYMMDD."
        )));
    }
    if *terminator != TERMINATOR {
        return Err(S3Error::malformed_authorization(format!(
            "The credential terminator '{terminator}' is wrong; expecting '{TERMINATOR}'."
        )));
    }
    if *service != SERVICE {
        return Err(S3Error::malformed_authorization(format!(
            "The service '{service}' is wrong; expecting '{SERVICE}'."
        )));
    }
    if *scope_region != region {
        return Err(S3Error::malformed_authorization(format!(
            "The authorization header is malformed; the region '{scope_region}' is wrong; expecting '{region}'"
        )));
    }
    Ok(Credential {
        access_key_id: (*access_key_id).to_string(),
        date: (*date).to_string(),
        region: region.to_string(),
    })
}

/// A 64-hex-digit signature, lowercased.
fn parse_signature(value: &str) -> Option<String> {
    (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())).then(|| value.to_ascii_lowercase())
}

fn parse_signed_headers(value: &str) -> Option<Vec<String>> {
    let names: Vec<String> = value.split(';').map(str::to_string).collect();
    names
        .iter()
        .all(|n| !n.is_empty() && HeaderName::from_bytes(n.as_bytes()).is_ok())
        .then_some(names)
}

fn parse_amz_date(value: &str) -> Option<DateTime<Utc>> {
    if value.len() != 16 {
        return None;
    }
    NaiveDateTime::parse_from_str(value, AMZ_DATE_FORMAT)
        .ok()
        .map(|t| t.and_utc())
}

fn header_form(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    query: &[(Vec<u8>, Vec<u8>)],
    authorization: &str,
    region: &str,
    now: DateTime<Utc>,
) -> S3Result<Pending> {
    let value = authorization.trim();
    let rest = match value.strip_prefix(ALGORITHM) {
        Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t']) => rest,
        _ => {
            let algorithm = value.split([' ', '\t']).next().unwrap_or_default();
            return Err(S3Error::invalid_request(format!(
                "The authorization mechanism '{}' is not supported: only AWS Signature Version 4 is supported (AWS4-HMAC-SHA256).",
                algorithm.chars().take(32).collect::<String>()
            )));
        }
    };

    let malformed = || {
        S3Error::malformed_authorization(
            "The authorization header is malformed; expecting 'AWS4-HMAC-SHA256 Credential=<AKID>/<date>/<region>/s3/aws4_request, SignedHeaders=<headers>, Signature=<signature>'.",
        )
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let component = component.trim();
        if component.is_empty() {
            continue;
        }
        let (name, value) = component.split_once('=').ok_or_else(malformed)?;
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(malformed()),
        };
        if slot.replace(value.trim()).is_some() {
            return Err(malformed());
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(malformed());
    };
    let credential = parse_credential(credential, region)?;
    let signed_headers = parse_signed_headers(signed_headers).ok_or_else(malformed)?;
    let signature = parse_signature(signature).ok_or_else(malformed)?;

    let time = request_time(headers)?;
    let amz_date = time.format(AMZ_DATE_FORMAT).to_string();
    if (now - time).abs() > Duration::minutes(MAX_SKEW_MINUTES) {
        return Err(S3Error::time_skewed());
    }
    if !amz_date.starts_with(&credential.date) {
        return Err(S3Error::signature_mismatch());
    }
    require_host(&signed_headers)?;

    let content_sha256 = single_header(headers, &HeaderName::from_static("x-amz-content-sha256"))
        .map_err(|()| S3Error::invalid_argument("x-amz-content-sha256 was sent more than once."))?
        .map(|v| {
            v.to_str()
                .map(|s| s.trim().to_string())
                .map_err(|_| S3Error::invalid_argument("x-amz-content-sha256 is not readable text."))
        })
        .transpose()?;
    let payload = match content_sha256.as_deref() {
        None | Some(UNSIGNED_PAYLOAD) => Payload::Unsigned,
        Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") => Payload::Streaming {
            signed: true,
            trailer: false,
        },
        Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") => Payload::Streaming {
            signed: true,
            trailer: true,
        },
        Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER") => Payload::Streaming {
            signed: false,
            trailer: true,
        },
        Some(v) if v.starts_with("STREAMING-AWS4-ECDSA-") => {
            return Err(S3Error::not_implemented(
                "Signature Version 4A (ECDSA) streaming payloads",
            ));
        }
        Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => Payload::Sha256(v.to_ascii_lowercase()),
        Some(_) => {
            return Err(S3Error::invalid_argument(
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], STREAMING-UNSIGNED-PAYLOAD-TRAILER or a SHA-256 in hex.",
            ));
        }
    };
    let payload_hash = content_sha256.unwrap_or_else(|| UNSIGNED_PAYLOAD.to_string());

    let canonical_query = canonical_query(query, false);
    let (string_to_sign, raw_string_to_sign) = strings_to_sign(
        method,
        uri,
        headers,
        &canonical_query,
        &signed_headers,
        &payload_hash,
        &amz_date,
        &credential,
    )?;
    Ok(Pending {
        access_key_id: credential.access_key_id,
        payload,
        string_to_sign,
        raw_string_to_sign,
        signature,
        date: credential.date,
        amz_date,
        region: credential.region,
    })
}

/// The request's time: `x-amz-date`, else `Date` (RFC 1123).
fn request_time(headers: &HeaderMap) -> S3Result<DateTime<Utc>> {
    let invalid = || S3Error::access_denied("AWS authentication requires a valid Date or x-amz-date header");
    if let Some(value) = single_header(headers, &HeaderName::from_static("x-amz-date")).map_err(|()| invalid())? {
        return value
            .to_str()
            .ok()
            .and_then(|v| parse_amz_date(v.trim()))
            .ok_or_else(invalid);
    }
    let value = single_header(headers, &header::DATE)
        .map_err(|()| invalid())?
        .ok_or_else(invalid)?;
    let value = value.to_str().map_err(|_| invalid())?;
    DateTime::parse_from_rfc2822(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid())
}

fn require_host(signed_headers: &[String]) -> S3Result<()> {
    if signed_headers.iter().any(|h| h.eq_ignore_ascii_case("host")) {
        Ok(())
    } else {
        Err(S3Error::malformed_authorization(
            "The host header must be among the signed headers (SignedHeaders).",
        ))
    }
}

fn presigned_form(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    query: &[(Vec<u8>, Vec<u8>)],
    region: &str,
    now: DateTime<Utc>,
) -> S3Result<Pending> {
    let param = |name: &str| -> S3Result<Option<String>> {
        let mut found = query.iter().filter(|(k, _)| k.as_slice() == name.as_bytes());
        let Some((_, value)) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(S3Error::invalid_argument(format!(
                "The query parameter {name} was sent more than once."
            )));
        }
        String::from_utf8(value.clone())
            .map(Some)
            .map_err(|_| S3Error::invalid_argument(format!("The query parameter {name} is not UTF-8.")))
    };
    let required = |name: &str| -> S3Result<String> {
        param(name)?.ok_or_else(|| {
            S3Error::invalid_argument(format!(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; {name} is missing."
            ))
        })
    };

    let algorithm = required("X-Amz-Algorithm")?;
    if algorithm != ALGORITHM {
        return Err(S3Error::invalid_request(format!(
            "X-Amz-Algorithm '{}' is not supported: only AWS Signature Version 4 is supported (AWS4-HMAC-SHA256).",
            algorithm.chars().take(32).collect::<String>()
        )));
    }
    let credential = parse_credential(&required("X-Amz-Credential")?, region)?;
    let amz_date = required("X-Amz-Date")?;
    let expires = required("X-Amz-Expires")?;
    let signed_headers = required("X-Amz-SignedHeaders")?;
    let signature = required("X-Amz-Signature")?;

    let time = parse_amz_date(&amz_date).ok_or_else(|| {
        S3Error::invalid_argument("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".")
    })?;
    let expires = expires
        .parse::<i64>()
        .ok()
        .filter(|e| (1..=MAX_EXPIRES_SECONDS).contains(e))
        .ok_or_else(|| {
            S3Error::invalid_argument(format!(
                "X-Amz-Expires must be a number of seconds from 1 to {MAX_EXPIRES_SECONDS} (seven days)."
            ))
        })?;
    if time - now > Duration::minutes(MAX_SKEW_MINUTES) {
        return Err(S3Error::time_skewed());
    }
    if now > time + Duration::seconds(expires) {
        return Err(S3Error::expired());
    }
    let signed_headers = parse_signed_headers(&signed_headers)
        .ok_or_else(|| S3Error::invalid_argument("X-Amz-SignedHeaders is malformed."))?;
    let signature =
        parse_signature(&signature).ok_or_else(|| S3Error::invalid_argument("X-Amz-Signature is malformed."))?;
    if !amz_date.starts_with(&credential.date) {
        return Err(S3Error::signature_mismatch());
    }
    require_host(&signed_headers)?;

    let (payload, payload_hash) = match param("X-Amz-Content-Sha256")? {
        Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (Payload::Sha256(v.to_ascii_lowercase()), v)
        }
        Some(v) => (Payload::Unsigned, v),
        None => (Payload::Unsigned, UNSIGNED_PAYLOAD.to_string()),
    };

    let canonical_query = canonical_query(query, true);
    let (string_to_sign, raw_string_to_sign) = strings_to_sign(
        method,
        uri,
        headers,
        &canonical_query,
        &signed_headers,
        &payload_hash,
        &amz_date,
        &credential,
    )?;
    Ok(Pending {
        access_key_id: credential.access_key_id,
        payload,
        string_to_sign,
        raw_string_to_sign,
        signature,
        date: credential.date,
        amz_date,
        region: credential.region,
    })
}

/// The string to sign with S3's canonical URI, and the one with the path as received when that differs.
#[allow(clippy::too_many_arguments)]
fn strings_to_sign(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    canonical_query: &str,
    signed_headers: &[String],
    payload_hash: &str,
    amz_date: &str,
    credential: &Credential,
) -> S3Result<(String, Option<String>)> {
    let raw_path = if uri.path().is_empty() { "/" } else { uri.path() };
    let path = canonical_uri(raw_path)?;
    let headers_block = canonical_headers(uri, headers, signed_headers)?;
    let scope = format!("{}/{}/{SERVICE}/{TERMINATOR}", credential.date, credential.region);
    let build = |path: &str| {
        let mut request = Vec::with_capacity(256 + headers_block.len());
        request.extend_from_slice(method.as_str().as_bytes());
        request.push(b'\n');
        request.extend_from_slice(path.as_bytes());
        request.push(b'\n');
        request.extend_from_slice(canonical_query.as_bytes());
        request.push(b'\n');
        request.extend_from_slice(&headers_block);
        request.push(b'\n');
        request.extend_from_slice(signed_headers.join(";").as_bytes());
        request.push(b'\n');
        request.extend_from_slice(payload_hash.as_bytes());
        format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(&request))
    };
    let string_to_sign = build(&path);
    let raw = (path != raw_path).then(|| build(raw_path));
    Ok((string_to_sign, raw))
}

/// Decodes `%XX` escapes strictly: a `%` not followed by two hex digits is an error. `+` stays `+`.
fn percent_decode_strict(input: &str) -> Option<Vec<u8>> {
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
fn canonical_uri(path: &str) -> S3Result<String> {
    let decoded = percent_decode_strict(path)
        .ok_or_else(|| S3Error::invalid_argument("The request path has an invalid percent-encoding."))?;
    Ok(percent_encode(&decoded, PATH_SET).to_string())
}

/// The raw query's `k=v` pairs, decoded (a missing `=` gives an empty value).
fn parse_query(raw: &str) -> S3Result<Vec<(Vec<u8>, Vec<u8>)>> {
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

fn canonical_query(query: &[(Vec<u8>, Vec<u8>)], presigned: bool) -> String {
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
fn canonical_headers(uri: &Uri, headers: &HeaderMap, signed_headers: &[String]) -> S3Result<Vec<u8>> {
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
fn trim_all(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for word in value.split(|b| *b == b' ' || *b == b'\t').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use chrono::TimeZone;

    use super::*;

    const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const REGION: &str = "us-east-1";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn authorization(signed_headers: &str, signature: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed_headers},Signature={signature}"
        )
    }

    fn check(method: Method, uri: &str, pairs: &[(&str, &str)]) -> S3Result<Verified> {
        let pending = parse(&method, &uri.parse().unwrap(), &headers(pairs), REGION, now())?;
        verify(&pending, SECRET)
    }

    fn code(result: S3Result<impl fmt::Debug>) -> &'static str {
        result.unwrap_err().code
    }

    const EMPTY: &str = EMPTY_SHA256;

    fn get_object(signature: &str) -> Vec<(&'static str, String)> {
        vec![
            ("host", "examplebucket.s3.amazonaws.com".to_string()),
            ("range", "bytes=0-9".to_string()),
            ("x-amz-content-sha256", EMPTY.to_string()),
            ("x-amz-date", "20130524T000000Z".to_string()),
            (
                "authorization",
                authorization("host;range;x-amz-content-sha256;x-amz-date", signature),
            ),
        ]
    }

    fn as_refs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    const GET_OBJECT_SIGNATURE: &str = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

    #[test]
    fn aws_example_get_object() {
        let pairs = get_object(GET_OBJECT_SIGNATURE);
        let verified = check(Method::GET, "/test.txt", &as_refs(&pairs)).unwrap();
        assert_eq!(verified.access_key_id, AKID);
        assert_eq!(verified.payload, Payload::Sha256(EMPTY.to_string()));
        assert_eq!(verified.scope(), "20130524/us-east-1/s3/aws4_request");
        assert_eq!(verified.amz_date(), "20130524T000000Z");
        assert_eq!(verified.seed_signature(), GET_OBJECT_SIGNATURE);
        // Uppercase hex in the header is the same signature.
        let pairs = get_object(&GET_OBJECT_SIGNATURE.to_ascii_uppercase());
        assert!(check(Method::GET, "/test.txt", &as_refs(&pairs)).is_ok());
    }

    #[test]
    fn aws_example_put_object() {
        let auth = authorization(
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        );
        let pairs = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            (
                "x-amz-content-sha256",
                "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            ),
            ("authorization", &auth),
        ];
        let verified = check(Method::PUT, "/test$file.text", &pairs).unwrap();
        assert_eq!(
            verified.payload,
            Payload::Sha256("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072".to_string())
        );
        // The same path with `$` escaped by the client canonicalizes the same way.
        assert!(check(Method::PUT, "/test%24file.text", &pairs).is_ok());
    }

    fn bucket_get(uri: &str, signature: &str) -> S3Result<Verified> {
        let auth = authorization("host;x-amz-content-sha256;x-amz-date", signature);
        let pairs = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", EMPTY),
            ("authorization", &auth),
        ];
        check(Method::GET, uri, &pairs)
    }

    #[test]
    fn aws_example_get_bucket_lifecycle() {
        let signature = "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543";
        assert!(bucket_get("/?lifecycle", signature).is_ok());
        assert!(bucket_get("/?lifecycle=", signature).is_ok());
    }

    #[test]
    fn aws_example_list_objects() {
        let signature = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7";
        assert!(bucket_get("/?max-keys=2&prefix=J", signature).is_ok());
        // The order of the parameters does not matter.
        assert!(bucket_get("/?prefix=J&max-keys=2", signature).is_ok());
        assert_eq!(
            code(bucket_get("/?max-keys=3&prefix=J", signature)),
            "SignatureDoesNotMatch"
        );
    }

    const PRESIGNED: &str = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    fn presigned_at(uri: &str, now: DateTime<Utc>) -> S3Result<Verified> {
        let map = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
        let pending = parse(&Method::GET, &uri.parse().unwrap(), &map, REGION, now)?;
        verify(&pending, SECRET)
    }

    #[test]
    fn aws_example_presigned_url() {
        let verified = presigned_at(PRESIGNED, now() + Duration::hours(1)).unwrap();
        assert_eq!(verified.access_key_id, AKID);
        assert_eq!(verified.payload, Payload::Unsigned);
        // Another method is another request.
        let map = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
        let pending = parse(&Method::PUT, &PRESIGNED.parse().unwrap(), &map, REGION, now()).unwrap();
        assert_eq!(code(verify(&pending, SECRET)), "SignatureDoesNotMatch");
    }

    #[test]
    fn presigned_expiry_and_skew() {
        assert_eq!(
            code(presigned_at(PRESIGNED, now() + Duration::seconds(86_401))),
            "AccessDenied"
        );
        assert!(presigned_at(PRESIGNED, now() + Duration::seconds(86_400)).is_ok());
        assert_eq!(
            code(presigned_at(PRESIGNED, now() - Duration::minutes(16))),
            "RequestTimeTooSkewed"
        );
        assert!(presigned_at(PRESIGNED, now() - Duration::minutes(14)).is_ok());
        let too_long = PRESIGNED.replace("X-Amz-Expires=86400", "X-Amz-Expires=604801");
        assert_eq!(code(presigned_at(&too_long, now())), "InvalidArgument");
        let zero = PRESIGNED.replace("X-Amz-Expires=86400", "X-Amz-Expires=0");
        assert_eq!(code(presigned_at(&zero, now())), "InvalidArgument");
        let missing = PRESIGNED.replace("&X-Amz-Expires=86400", "");
        assert_eq!(code(presigned_at(&missing, now())), "InvalidArgument");
        let garbage_date = PRESIGNED.replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=yesterday");
        assert_eq!(code(presigned_at(&garbage_date, now())), "InvalidArgument");
    }

    #[test]
    fn presigned_errors() {
        let no_host = PRESIGNED.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date");
        assert_eq!(code(presigned_at(&no_host, now())), "AuthorizationHeaderMalformed");
        let region = PRESIGNED.replace("us-east-1", "eu-west-1");
        assert_eq!(code(presigned_at(&region, now())), "AuthorizationHeaderMalformed");
        let tampered = PRESIGNED.replace("/test.txt", "/test2.txt");
        assert_eq!(code(presigned_at(&tampered, now())), "SignatureDoesNotMatch");
        let extra = format!("{PRESIGNED}&x-id=GetObject");
        assert_eq!(code(presigned_at(&extra, now())), "SignatureDoesNotMatch");
        let sigv2 = "/test.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1369353600&Signature=abc%3D";
        assert_eq!(code(presigned_at(sigv2, now())), "InvalidRequest");
        let sigv4a = PRESIGNED.replace(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
        );
        assert_eq!(code(presigned_at(&sigv4a, now())), "InvalidRequest");
        // Both mechanisms at once.
        let pairs = get_object(GET_OBJECT_SIGNATURE);
        let pending = parse(
            &Method::GET,
            &PRESIGNED.parse().unwrap(),
            &headers(&as_refs(&pairs)),
            REGION,
            now(),
        );
        assert_eq!(code(pending), "InvalidArgument");
    }

    #[test]
    fn wrong_secret_is_a_mismatch() {
        let pairs = get_object(GET_OBJECT_SIGNATURE);
        let pending = parse(
            &Method::GET,
            &"/test.txt".parse().unwrap(),
            &headers(&as_refs(&pairs)),
            REGION,
            now(),
        );
        assert_eq!(
            code(verify(&pending.unwrap(), "not-the-secret")),
            "SignatureDoesNotMatch"
        );
        // A changed signed header, too.
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs[1].1 = "bytes=0-10".to_string();
        assert_eq!(
            code(check(Method::GET, "/test.txt", &as_refs(&pairs))),
            "SignatureDoesNotMatch"
        );
    }

    #[test]
    fn wrong_region_or_service() {
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs[4].1 = pairs[4].1.replace("us-east-1", "us-east-2");
        let err = check(Method::GET, "/test.txt", &as_refs(&pairs)).unwrap_err();
        assert_eq!(err.code, "AuthorizationHeaderMalformed");
        assert!(
            err.message.contains("'us-east-2' is wrong; expecting 'us-east-1'"),
            "{}",
            err.message
        );
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs[4].1 = pairs[4].1.replace("/s3/", "/iam/");
        assert_eq!(
            code(check(Method::GET, "/test.txt", &as_refs(&pairs))),
            "AuthorizationHeaderMalformed"
        );
    }

    #[test]
    fn skew() {
        let pairs = get_object(GET_OBJECT_SIGNATURE);
        let map = headers(&as_refs(&pairs));
        let uri: Uri = "/test.txt".parse().unwrap();
        for offset in [Duration::minutes(16), Duration::minutes(-16), Duration::days(400)] {
            assert_eq!(
                code(parse(&Method::GET, &uri, &map, REGION, now() + offset)),
                "RequestTimeTooSkewed"
            );
        }
        let pending = parse(&Method::GET, &uri, &map, REGION, now() + Duration::minutes(14)).unwrap();
        assert!(verify(&pending, SECRET).is_ok());
    }

    #[test]
    fn scope_date_must_match_the_request_date() {
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs[4].1 = pairs[4].1.replace("/20130524/", "/20130523/");
        assert_eq!(
            code(check(Method::GET, "/test.txt", &as_refs(&pairs))),
            "SignatureDoesNotMatch"
        );
    }

    #[test]
    fn host_must_be_signed() {
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs[4].1 = authorization("range;x-amz-content-sha256;x-amz-date", GET_OBJECT_SIGNATURE);
        assert_eq!(
            code(check(Method::GET, "/test.txt", &as_refs(&pairs))),
            "AuthorizationHeaderMalformed"
        );
    }

    #[test]
    fn missing_signed_header_is_a_mismatch() {
        let pairs = get_object(GET_OBJECT_SIGNATURE);
        let without_range: Vec<_> = pairs.iter().filter(|(k, _)| *k != "range").cloned().collect();
        assert_eq!(
            code(check(Method::GET, "/test.txt", &as_refs(&without_range))),
            "SignatureDoesNotMatch"
        );
    }

    #[test]
    fn anonymous_sigv2_and_garbage() {
        assert_eq!(code(check(Method::GET, "/test.txt", &[("host", "x")])), "AccessDenied");
        let sigv2 = [
            ("host", "x"),
            ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="),
        ];
        assert_eq!(code(check(Method::GET, "/test.txt", &sigv2)), "InvalidRequest");
        for garbage in [
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 garbage",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE, SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;;x, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, Credential=x, SignedHeaders=host, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            "AWS4-HMAC-SHA256 ,,,===,",
            "AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        ] {
            let pairs = [
                ("host", "x"),
                ("x-amz-date", "20130524T000000Z"),
                ("authorization", garbage),
            ];
            assert_eq!(
                code(check(Method::GET, "/test.txt", &pairs)),
                "AuthorizationHeaderMalformed",
                "{garbage}"
            );
        }
        for garbage in ["Bearer abc", "", "AWS4-HMAC-SHA256X Credential=a", "\u{e9}"] {
            let mut map = headers(&[("host", "x")]);
            map.insert(
                header::AUTHORIZATION,
                HeaderValue::from_bytes(garbage.as_bytes()).unwrap(),
            );
            let result = parse(&Method::GET, &"/t".parse().unwrap(), &map, REGION, now());
            assert!(
                matches!(code(result), "InvalidRequest" | "AuthorizationHeaderMalformed"),
                "{garbage}"
            );
        }
    }

    #[test]
    fn bad_date_header_and_content_sha256() {
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs[3].1 = "2013-05-24T00:00:00Z".to_string();
        assert_eq!(code(check(Method::GET, "/test.txt", &as_refs(&pairs))), "AccessDenied");
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs[2].1 = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD".to_string();
        assert_eq!(
            code(check(Method::GET, "/test.txt", &as_refs(&pairs))),
            "NotImplemented"
        );
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs[2].1 = "whatever".to_string();
        assert_eq!(
            code(check(Method::GET, "/test.txt", &as_refs(&pairs))),
            "InvalidArgument"
        );
    }

    #[test]
    fn bad_escapes_are_invalid_arguments() {
        let pairs = get_object(GET_OBJECT_SIGNATURE);
        assert_eq!(
            code(check(Method::GET, "/test%zz.txt", &as_refs(&pairs))),
            "InvalidArgument"
        );
        assert_eq!(
            code(check(Method::GET, "/test.txt%4", &as_refs(&pairs))),
            "InvalidArgument"
        );
        assert_eq!(
            code(check(Method::GET, "/test.txt?a=%", &as_refs(&pairs))),
            "InvalidArgument"
        );
    }

    /// Signs `pending` the way a client would have (the string to sign is the client's too).
    fn client_signature(pending: &Pending, raw: bool) -> String {
        let key = signing_key(SECRET, &pending.date, &pending.region);
        let string = if raw {
            pending.raw_string_to_sign.as_ref().unwrap()
        } else {
            &pending.string_to_sign
        };
        hex::encode(hmac_sha256(&key, string.as_bytes()))
    }

    #[test]
    fn prefixed_paths_query_encoding_and_raw_path_fallback() {
        let uri: Uri = "/storage/v1/s3/my-bucket/a+b%20c/%E2%9C%93.txt?prefix=a%2Fb+c&delimiter=%2F&list-type=2"
            .parse()
            .unwrap();
        let sign = |signature: &str| {
            let auth = authorization("host;x-amz-content-sha256;x-amz-date", signature);
            let map = headers(&[
                ("host", "localhost:7130"),
                ("x-amz-date", "20130524T000500Z"),
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                ("authorization", &auth),
            ]);
            parse(&Method::GET, &uri, &map, REGION, now()).unwrap()
        };
        let pending = sign(GET_OBJECT_SIGNATURE);
        assert_eq!(pending.payload, Payload::Unsigned);
        let canonical = client_signature(&pending, false);
        let raw = client_signature(&pending, true);
        assert_ne!(canonical, raw);
        assert!(verify(&sign(&canonical), SECRET).is_ok());
        assert!(verify(&sign(&raw), SECRET).is_ok());
        assert_eq!(
            code(verify(&sign(GET_OBJECT_SIGNATURE), SECRET)),
            "SignatureDoesNotMatch"
        );

        assert_eq!(
            canonical_uri("/storage/v1/s3/b/a+b%20c/%E2%9C%93.txt").unwrap(),
            "/storage/v1/s3/b/a%2Bb%20c/%E2%9C%93.txt"
        );
        let query = parse_query("prefix=a%2Fb+c&delimiter=%2F&list-type=2&flag").unwrap();
        assert_eq!(
            canonical_query(&query, false),
            "delimiter=%2F&flag=&list-type=2&prefix=a%2Fb%2Bc"
        );
    }

    #[test]
    fn streaming_payloads() {
        for (value, payload) in [
            (
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                Payload::Streaming {
                    signed: true,
                    trailer: false,
                },
            ),
            (
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                Payload::Streaming {
                    signed: true,
                    trailer: true,
                },
            ),
            (
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                Payload::Streaming {
                    signed: false,
                    trailer: true,
                },
            ),
            ("UNSIGNED-PAYLOAD", Payload::Unsigned),
        ] {
            let mut pairs = get_object(GET_OBJECT_SIGNATURE);
            pairs[2].1 = value.to_string();
            let pending = parse(
                &Method::PUT,
                &"/x".parse().unwrap(),
                &headers(&as_refs(&pairs)),
                REGION,
                now(),
            );
            assert_eq!(pending.unwrap().payload, payload);
        }
        let mut pairs = get_object(GET_OBJECT_SIGNATURE);
        pairs.retain(|(k, _)| *k != "x-amz-content-sha256");
        pairs[3].1 = authorization("host;range;x-amz-date", GET_OBJECT_SIGNATURE);
        let pending = parse(
            &Method::GET,
            &"/x".parse().unwrap(),
            &headers(&as_refs(&pairs)),
            REGION,
            now(),
        );
        assert_eq!(pending.unwrap().payload, Payload::Unsigned);
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        assert_eq!(trim_all(b"  a   b \t c  "), b"a b c");
        let map = headers(&[("host", "h"), ("x-a", " 1 "), ("x-a", "2  3")]);
        let block = canonical_headers(&"/".parse().unwrap(), &map, &["host".to_string(), "x-a".to_string()]).unwrap();
        assert_eq!(block, b"host:h\nx-a:1,2 3\n");
    }

    #[test]
    fn date_header_fallback() {
        let sign = |signature: &str, date: &str| {
            let auth = authorization("date;host", signature);
            let map = headers(&[("host", "h"), ("date", date), ("authorization", &auth)]);
            parse(&Method::GET, &"/b/k".parse().unwrap(), &map, REGION, now())
        };
        let pending = sign(GET_OBJECT_SIGNATURE, "Fri, 24 May 2013 00:00:00 GMT").unwrap();
        assert_eq!(pending.amz_date, "20130524T000000Z");
        let signature = client_signature(&pending, false);
        assert!(verify(&sign(&signature, "Fri, 24 May 2013 00:00:00 GMT").unwrap(), SECRET).is_ok());
        assert_eq!(
            code(sign(&signature, "Fri, 24 May 2013 01:00:00 GMT")),
            "RequestTimeTooSkewed"
        );
        assert_eq!(code(sign(&signature, "yesterday")), "AccessDenied");
    }
}
