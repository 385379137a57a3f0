//! MIME types: what an upload is (from its bytes first), and which types are never served
//! inline (InsForge's `mime-guard`).

pub const OCTET_STREAM: &str = "application/octet-stream";

/// Bytes kept from the start of an upload for detection.
pub const SNIFF_BYTES: usize = 4096;

const UNSAFE: &[&str] = &[
    "text/html",
    "image/svg+xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
    "application/x-javascript",
    "application/xhtml+xml",
    "application/x-xhtml+xml",
    "text/xml",
    "application/xml",
];

/// Markers of markup a browser would render or run, looked for in the first bytes.
const MARKUP: &[&[u8]] = &[
    b"<html",
    b"<script",
    b"<svg",
    b"<!doctype html",
    b"<body",
    b"<iframe",
    b"<object",
    b"<form",
];

/// A type browsers render or execute (lowercased, parameters stripped).
pub fn is_unsafe(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    UNSAFE.contains(&essence.as_str())
}

/// Blank or unsafe → `application/octet-stream`; otherwise the type as given (trimmed).
pub fn sanitize(declared: Option<&str>) -> String {
    match declared.map(str::trim) {
        Some(mime) if !mime.is_empty() && !is_unsafe(mime) && mime.is_ascii() => mime.to_owned(),
        _ => OCTET_STREAM.to_owned(),
    }
}

/// The stored type of an upload: a conclusive magic-byte match wins; else octet-stream when the
/// first bytes hold markup; else the declared type; unsafe types become octet-stream.
pub fn detect(head: &[u8], declared: Option<&str>) -> String {
    if let Some(kind) = infer::get(head) {
        return sanitize(Some(kind.mime_type()));
    }
    let lower = head.to_ascii_lowercase();
    if MARKUP.iter().any(|m| lower.windows(m.len()).any(|w| w == *m)) {
        return OCTET_STREAM.to_owned();
    }
    sanitize(declared)
}

/// Whether a type may be shown inline: media, plain text, CSV, JSON, PDF and fonts. Anything
/// else a browser might render as a document — HTML, any XML (`*+xml` types render XHTML and run
/// its scripts), XSL, and types nobody listed — is not.
fn inline_safe(essence: &str) -> bool {
    if essence.contains("xml") || essence.contains("html") || essence.contains("script") {
        return false;
    }
    ["image/", "video/", "audio/", "font/"]
        .iter()
        .any(|family| essence.starts_with(family))
        || matches!(
            essence,
            "text/plain" | "text/csv" | "application/json" | "application/pdf"
        )
}

/// `Content-Disposition: attachment` for what must not render inline: every type not known to
/// be inert (an allowlist: a type missing from a denylist would be served inline), so also
/// octet-stream, what unsafe uploads are stored as.
pub fn download_only(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    !inline_safe(&essence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let png = [
            0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
        ];
        assert_eq!(detect(&png, Some("text/plain")), "image/png");
        assert_eq!(detect(b"<!DOCTYPE html><p>x", Some("text/plain")), OCTET_STREAM);
        assert_eq!(
            detect(b"hello <SCRIPT>alert(1)</script>", Some("text/plain")),
            OCTET_STREAM
        );
        assert_eq!(detect(b"plain words", Some("text/plain")), "text/plain");
        assert_eq!(detect(b"plain words", Some("text/html; charset=utf-8")), OCTET_STREAM);
        assert_eq!(detect(b"plain words", None), OCTET_STREAM);
        assert_eq!(detect(b"", Some("  ")), OCTET_STREAM);
    }

    #[test]
    fn unsafe_types() {
        assert!(is_unsafe("Text/HTML; charset=utf-8"));
        assert!(is_unsafe("image/svg+xml"));
        assert!(!is_unsafe("image/png"));
        assert!(download_only(OCTET_STREAM));
        assert!(!download_only("text/plain"));
        for inert in [
            "image/png",
            "video/mp4",
            "audio/mpeg",
            "text/plain; charset=utf-8",
            "application/json",
            "application/pdf",
            "font/woff2",
        ] {
            assert!(!download_only(inert), "{inert}");
        }
        for renders in [
            "application/x-foo+xml",
            "application/rss+xml",
            "text/xsl",
            "image/svg+xml",
            "text/html",
            "application/xhtml+xml",
            "text/vnd.wap.wml",
            "multipart/x-mixed-replace",
            "application/zip",
            "",
        ] {
            assert!(download_only(renders), "{renders}");
        }
    }
}
