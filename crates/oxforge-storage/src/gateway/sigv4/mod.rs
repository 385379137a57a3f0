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

use crate::gateway::error::{S3Error, S3Result};

mod canonical;

use canonical::{canonical_headers, canonical_query, canonical_uri, parse_query};

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

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, data).as_ref().to_vec()
}

pub(crate) fn signing_key(secret: &str, date: &str, region: &str) -> Vec<u8> {
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
    let form = match (authorization, presigned) {
        (Some(_), true) => {
            return Err(S3Error::invalid_argument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
            ));
        }
        (Some(value), false) => {
            let value = value
                .to_str()
                .map_err(|_| S3Error::malformed_authorization("The Authorization header is not readable text."))?;
            header_form(headers, value, region, now)?
        }
        (None, true) => presigned_form(&query, region, now)?,
        (None, false) => {
            let sigv2 =
                query.iter().any(|(k, _)| k == b"Signature") && query.iter().any(|(k, _)| k == b"AWSAccessKeyId");
            return Err(if sigv2 {
                S3Error::invalid_request(
                    "This presigned URL uses AWS Signature Version 2: only AWS Signature Version 4 is supported.",
                )
            } else {
                S3Error::access_denied(
                    "Anonymous access is not allowed: sign requests with an access key (AWS Signature Version 4). Create one under Storage → S3 access keys.",
                )
            });
        }
    };
    unsigned_amz_headers(headers, &form.signed_headers)?;
    let canonical_query = canonical_query(&query, form.presigned);
    let (string_to_sign, raw_string_to_sign) = strings_to_sign(method, uri, headers, &canonical_query, &form)?;
    Ok(Pending {
        access_key_id: form.credential.access_key_id,
        payload: form.payload,
        string_to_sign,
        raw_string_to_sign,
        signature: form.signature,
        date: form.credential.date,
        amz_date: form.amz_date,
        region: form.credential.region,
    })
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

/// What either form of the signature says, before the strings to sign are built.
struct Form {
    credential: Credential,
    signed_headers: Vec<String>,
    signature: String,
    amz_date: String,
    payload: Payload,
    payload_hash: String,
    /// The query form (its canonical query leaves `X-Amz-Signature` out).
    presigned: bool,
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
            "The authorization header is malformed; the region '{scope_region}' is wrong; expecting '{region}'. \
             Set the client's region to {region} (aws --region {region}, AWS_REGION, boto3 region_name)."
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

fn header_form(headers: &HeaderMap, authorization: &str, region: &str, now: DateTime<Utc>) -> S3Result<Form> {
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
    Ok(Form {
        credential,
        signed_headers,
        signature,
        amz_date,
        payload,
        payload_hash,
        presigned: false,
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

/// Every `x-amz-*` header sent must be signed (as S3 requires): an unsigned one could change
/// what a signed request does (`x-amz-copy-source` turns a presigned PUT into a copy of any
/// object). `x-amz-content-sha256` is covered either way: its value is the canonical request's
/// payload hash in the header form, and ignored in the presigned form.
fn unsigned_amz_headers(headers: &HeaderMap, signed_headers: &[String]) -> S3Result<()> {
    let unsigned: Vec<&str> = headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|name| name.starts_with("x-amz-") && *name != "x-amz-content-sha256")
        .filter(|name| !signed_headers.iter().any(|s| s == name))
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    Err(S3Error::access_denied(format!(
        "There were headers present in the request which were not signed: {}",
        unsigned.join(", ")
    )))
}

fn presigned_form(query: &[(Vec<u8>, Vec<u8>)], region: &str, now: DateTime<Utc>) -> S3Result<Form> {
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
    Ok(Form {
        credential,
        signed_headers,
        signature,
        amz_date,
        payload,
        payload_hash,
        presigned: true,
    })
}

/// The string to sign with S3's canonical URI, and the one with the path as received when that differs.
fn strings_to_sign(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    canonical_query: &str,
    form: &Form,
) -> S3Result<(String, Option<String>)> {
    let Form {
        credential,
        signed_headers,
        payload_hash,
        amz_date,
        ..
    } = form;
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

#[cfg(test)]
mod tests;
