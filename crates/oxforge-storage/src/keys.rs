//! Bucket names and object keys: read from the raw request path (decoded once, strictly),
//! validated as InsForge does, and encoded back as the SDK's `encodeURIComponent`.

use crate::error::{Result, StorageError};

/// The prefix of every bucket route.
const BUCKETS: &str = "/api/storage/buckets/";

/// `^[a-zA-Z0-9_-]+$`.
pub fn check_bucket(name: &str) -> Result<()> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err(StorageError::invalid(
            "Invalid bucket name. Use only letters, numbers, hyphens, and underscores.",
        ))
    }
}

/// InsForge's rule (no `..` anywhere, no leading `/`), plus what the local layout
/// (`<bucket>/<key>` on disk) cannot hold: an empty or `.` segment, a trailing `/`, NUL.
pub fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(StorageError::invalid("Object key is required"));
    }
    if key.contains("..") || key.starts_with('/') {
        return Err(StorageError::invalid(
            "Invalid key. Cannot use \"..\" or start with \"/\"",
        ));
    }
    if key.contains('\0') || key.split('/').any(|segment| segment.is_empty() || segment == ".") {
        return Err(StorageError::invalid(
            "Invalid key. Segments between \"/\" cannot be empty or \".\", and NUL is not allowed",
        ));
    }
    if key.split('/').any(|segment| segment.len() > 255) {
        return Err(StorageError::invalid(
            "Invalid key. A segment between \"/\" is longer than 255 bytes",
        ));
    }
    Ok(())
}

/// Percent-decodes once; a malformed escape or a result that is not UTF-8 is a 400.
pub fn decode(raw: &str) -> Result<String> {
    let bad = || StorageError::invalid("Invalid path: malformed percent-encoding");
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            // Exactly two hex digits (`from_str_radix` alone would take `%+1`).
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .ok_or_else(bad)?;
            let text = std::str::from_utf8(hex).map_err(|_| bad())?;
            out.push(u8::from_str_radix(text, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// JavaScript's `encodeURIComponent`: everything but `A-Za-z0-9-_.!~*'()` escaped, as UTF-8.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An object's absolute URL, with `?v=<stamp>` (the etag, else `uploaded_at` in ms) so a replaced
/// object gets a new URL.
pub fn object_url(base: &str, bucket: &str, key: &str, stamp: &str) -> String {
    format!(
        "{base}/api/storage/buckets/{bucket}/objects/{}?v={}",
        encode(key),
        encode(stamp)
    )
}

/// What follows `/api/storage/buckets/` in a request path: the bucket (decoded, checked) and
/// the raw rest after its `/` (`objects/a%2Fb`), if any.
pub fn bucket_and_rest(path: &str) -> Result<(String, Option<&str>)> {
    let after = path
        .strip_prefix(BUCKETS)
        .ok_or_else(|| StorageError::invalid("Bucket name is required"))?;
    let (raw_bucket, rest) = match after.split_once('/') {
        Some((bucket, rest)) => (bucket, Some(rest)),
        None => (after, None),
    };
    let bucket = decode(raw_bucket)?;
    check_bucket(&bucket)?;
    Ok((bucket, rest))
}

/// The object key of `…/buckets/{b}/<before>{*key}<suffix>` (raw), decoded once and checked.
pub fn key_of(raw: &str) -> Result<String> {
    let key = decode(raw)?;
    check_key(&key)?;
    Ok(key)
}

/// The bucket and key of `/api/storage/buckets/{b}/<middle>{*key}`.
pub fn object_path(path: &str, middle: &str) -> Result<(String, String)> {
    let (bucket, rest) = bucket_and_rest(path)?;
    let raw = rest
        .and_then(|rest| rest.strip_prefix(middle))
        .ok_or_else(|| StorageError::invalid("Object key is required"))?;
    Ok((bucket, key_of(raw)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["a", "My_bucket-2", "UPPER"] {
            assert!(check_bucket(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a.b", "a/b", "'; drop", "é"] {
            assert!(check_bucket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys() {
        for ok in ["a", "a/b c.png", "x/ü/€.txt", "a+b", "a.b.c"] {
            assert!(check_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "..", "my..file.png", "/a", "a/../b", "a//b", "a/", "./a", "a\0"] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decoding_is_strict_and_once() {
        assert_eq!(decode("a%2Fb%20c").unwrap(), "a/b c");
        assert_eq!(decode("a+b").unwrap(), "a+b");
        assert_eq!(decode("%252F").unwrap(), "%2F");
        assert_eq!(decode("%C3%BC").unwrap(), "ü");
        for bad in ["%", "%2", "%zz", "%C3", "a%G0", "%+1", "%-1"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encoding_matches_encode_uri_component() {
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
        assert_eq!(encode("-_.!~*'()"), "-_.!~*'()");
        assert_eq!(encode("ü+&"), "%C3%BC%2B%26");
    }

    #[test]
    fn paths() {
        let (b, k) = object_path("/api/storage/buckets/b1/objects/a%2Fb/c", "objects/").unwrap();
        assert_eq!((b.as_str(), k.as_str()), ("b1", "a/b/c"));
        assert!(object_path("/api/storage/buckets/b1/objects/..%2Fx", "objects/").is_err());
        assert!(object_path("/api/storage/buckets/b%20x/objects/k", "objects/").is_err());
    }
}
