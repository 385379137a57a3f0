//! ListObjects (v2 with `list-type=2`, else v1), read from `storage.objects` in byte order
//! (`COLLATE "C"`, indexed): `prefix`, `delimiter` (keys folded into common prefixes in SQL: that
//! reads every key under the prefix after the marker, where a listing without one reads a page),
//! `max-keys` (0–1000), `continuation-token`/`start-after` (v2) or `marker` (v1), and
//! `encoding-type=url` (the AWS CLI asks for it and decodes what it gets).

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::gateway::buckets::require;
use crate::gateway::error::{S3Error, S3Result};
use crate::gateway::xml::Doc;
use crate::gateway::{Gateway, Query, s3_time, xml_response};

/// Most keys a page holds.
const MAX_KEYS: i64 = 1000;

/// Entries after `$3` under prefix `$2`, keys folded at delimiter `$4` (none when empty):
/// (entry, is a common prefix, size, etag, last modified). An entry is a prefix of its key, so
/// only keys after `$3` can make entries after it.
const LIST: &str = "WITH under AS ( \
       SELECT key, size, etag, uploaded_at, \
              CASE WHEN $4 <> '' AND strpos(substr(key, length($2) + 1), $4) > 0 \
                   THEN left(key, length($2) + strpos(substr(key, length($2) + 1), $4) + length($4) - 1) \
                   ELSE key END AS entry \
       FROM storage.objects \
       WHERE bucket = $1 AND starts_with(key, $2) AND key COLLATE \"C\" > $3) \
     SELECT entry, bool_or(entry <> key), max(size), max(etag), {time} \
     FROM under WHERE entry COLLATE \"C\" > $3 \
     GROUP BY entry ORDER BY entry COLLATE \"C\" LIMIT $5";

/// The same without a delimiter: keys after `$3` under prefix `$2`, read in the byte-ordered
/// index from the later of the two, a page at a time.
const LIST_FLAT: &str = "SELECT key, false, size, etag, {time} FROM storage.objects \
     WHERE bucket = $1 AND key COLLATE \"C\" > $3 AND key COLLATE \"C\" >= $2 AND starts_with(key, $2) \
     ORDER BY key COLLATE \"C\" LIMIT $4";

/// S3's `encoding-type=url`: everything but unreserved characters and `/` escaped.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub async fn objects(gw: &Gateway, bucket: &str, q: &Query) -> S3Result<Response> {
    require(gw, bucket).await?;
    let v2 = q.get("list-type") == Some("2");
    let prefix = q.get("prefix").unwrap_or("");
    let delimiter = q.get("delimiter").unwrap_or("");
    let max_keys = match q.get("max-keys") {
        None => MAX_KEYS,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= 0 => n.min(MAX_KEYS),
            _ => return Err(S3Error::invalid_argument("max-keys must be an integer from 0 to 1000.")),
        },
    };
    let token = match q.get("continuation-token").filter(|_| v2) {
        Some(token) => Some(
            URL_SAFE_NO_PAD
                .decode(token.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| S3Error::invalid_argument("The continuation token provided is incorrect"))?,
        ),
        None => None,
    };
    let start_after = if v2 { q.get("start-after") } else { q.get("marker") };
    let after = token.as_deref().or(start_after).unwrap_or("");
    let encode = |text: &str| {
        if q.get("encoding-type") == Some("url") {
            url_encode(text)
        } else {
            text.to_owned()
        }
    };
    let mut entries = Vec::new();
    if max_keys > 0 {
        let client = gw.storage.db.owner().await?;
        let limit = max_keys + 1;
        let rows = if delimiter.is_empty() {
            let sql = LIST_FLAT.replace("{time}", &s3_time("uploaded_at"));
            let statement = client.prepare_cached(&sql).await?;
            client.query(&statement, &[&bucket, &prefix, &after, &limit]).await?
        } else {
            let sql = LIST.replace("{time}", &s3_time("max(uploaded_at)"));
            let statement = client.prepare_cached(&sql).await?;
            client
                .query(&statement, &[&bucket, &prefix, &after, &delimiter, &limit])
                .await?
        };
        for row in rows {
            let entry: String = row.try_get(0)?;
            let folded: bool = row.try_get::<_, Option<bool>>(1)?.unwrap_or(false);
            let size: i64 = row.try_get::<_, Option<i64>>(2)?.unwrap_or(0);
            let etag: Option<String> = row.try_get(3)?;
            let modified: Option<String> = row.try_get(4)?;
            entries.push((entry, folded, size, etag, modified));
        }
    }
    let truncated = entries.len() as i64 > max_keys;
    entries.truncate(usize::try_from(max_keys).unwrap_or(0));
    let last = entries.last().map(|e| e.0.clone());
    let mut doc = Doc::new("ListBucketResult");
    doc.text("Name", bucket).text("Prefix", encode(prefix));
    if v2 {
        if let Some(token) = q.get("continuation-token") {
            doc.text("ContinuationToken", token);
        }
        if let Some(start) = q.get("start-after") {
            doc.text("StartAfter", encode(start));
        }
        doc.text("KeyCount", entries.len().to_string());
    } else {
        doc.text("Marker", encode(q.get("marker").unwrap_or("")));
    }
    doc.text("MaxKeys", max_keys.to_string());
    if !delimiter.is_empty() {
        doc.text("Delimiter", encode(delimiter));
    }
    if q.get("encoding-type") == Some("url") {
        doc.text("EncodingType", "url");
    }
    doc.text("IsTruncated", if truncated { "true" } else { "false" });
    if let (true, Some(last)) = (truncated, &last) {
        if v2 {
            doc.text("NextContinuationToken", URL_SAFE_NO_PAD.encode(last));
        } else {
            doc.text("NextMarker", encode(last));
        }
    }
    let mut prefixes = Vec::new();
    for (entry, folded, size, etag, modified) in entries {
        if folded {
            prefixes.push(entry);
            continue;
        }
        doc.open("Contents")
            .text("Key", encode(&entry))
            .text("LastModified", modified.unwrap_or_default())
            .text("ETag", format!("\"{}\"", etag.unwrap_or_default()))
            .text("Size", size.to_string())
            .text("StorageClass", "STANDARD")
            .close();
    }
    for prefix in prefixes {
        doc.open("CommonPrefixes").text("Prefix", encode(&prefix)).close();
    }
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_keeps_slashes_and_unreserved() {
        assert_eq!(url_encode("a b+c/é~.txt"), "a%20b%2Bc/%C3%A9~.txt");
    }
}
