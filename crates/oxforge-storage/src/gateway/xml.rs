//! The gateway's XML: responses written as text (escaped), the two request bodies S3 clients
//! send (`Delete`, `CompleteMultipartUpload`) read with `quick-xml`.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::gateway::error::{S3Error, S3Result};

/// What every document starts with.
pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// The namespace of S3's response documents.
pub const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Text escaped for an XML element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry, written as references S3 clients read back.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("&#x{:X};", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// A response document being written: `<?xml …?><Root xmlns=…>`, then elements.
pub struct Doc {
    out: String,
    stack: Vec<&'static str>,
}

impl Doc {
    pub fn new(root: &'static str) -> Doc {
        let mut out = String::from(DECLARATION);
        out.push_str(&format!("<{root} xmlns=\"{NS}\">"));
        Doc { out, stack: vec![root] }
    }

    /// `<name>text</name>`.
    pub fn text(&mut self, name: &str, text: impl AsRef<str>) -> &mut Doc {
        self.out
            .push_str(&format!("<{name}>{}</{name}>", escape(text.as_ref())));
        self
    }

    /// Opens `<name>`; [`Doc::close`] ends it.
    pub fn open(&mut self, name: &'static str) -> &mut Doc {
        self.out.push_str(&format!("<{name}>"));
        self.stack.push(name);
        self
    }

    pub fn close(&mut self) -> &mut Doc {
        if let Some(name) = self.stack.pop() {
            self.out.push_str(&format!("</{name}>"));
        }
        self
    }

    pub fn finish(mut self) -> String {
        while !self.stack.is_empty() {
            self.close();
        }
        self.out
    }
}

/// How deep a request document may nest (`Delete/Object/Key` is 3).
const MAX_DEPTH: usize = 4;

/// The elements of a small request document as (path, text) pairs, path like
/// `Delete/Object/Key`; a malformed document is S3's `MalformedXML`.
fn leaves(body: &[u8]) -> S3Result<Vec<(String, String)>> {
    let mut reader = Reader::from_reader(body);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|_| S3Error::malformed_xml())? {
            Event::Start(e) => {
                // The documents read here are three levels deep; deeper is not one of them.
                if path.len() >= MAX_DEPTH {
                    return Err(S3Error::malformed_xml());
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                path.push(name);
                text.clear();
            }
            Event::End(_) => {
                if !text.is_empty() || path.len() > 1 {
                    out.push((path.join("/"), std::mem::take(&mut text)));
                }
                path.pop();
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                out.push((format!("{}/{name}", path.join("/")), String::new()));
            }
            Event::Text(t) => {
                let decoded = t.decode().map_err(|_| S3Error::malformed_xml())?;
                let unescaped = quick_xml::escape::unescape(&decoded).map_err(|_| S3Error::malformed_xml())?;
                text.push_str(&unescaped);
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                let resolved = match name.as_str() {
                    "amp" => "&".to_owned(),
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    _ => match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Err(S3Error::malformed_xml()),
                    },
                };
                text.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    Ok(out)
}

/// `DeleteObjects`' body: the keys (in order) and `Quiet`.
pub fn delete_request(body: &[u8]) -> S3Result<(Vec<String>, bool)> {
    let mut keys = Vec::new();
    let mut quiet = false;
    let mut root_seen = false;
    for (path, text) in leaves(body)? {
        root_seen |= path.starts_with("Delete");
        match path.as_str() {
            "Delete/Object/Key" => keys.push(text),
            "Delete/Quiet" => quiet = text.trim().eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    if !root_seen || keys.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    Ok((keys, quiet))
}

/// `CompleteMultipartUpload`'s body: (part number, ETag) in the order given.
pub fn complete_request(body: &[u8]) -> S3Result<Vec<(i32, String)>> {
    let mut parts = Vec::new();
    let mut number: Option<i32> = None;
    let mut etag: Option<String> = None;
    for (path, text) in leaves(body)? {
        match path.as_str() {
            "CompleteMultipartUpload/Part/PartNumber" => {
                number = Some(text.trim().parse().map_err(|_| S3Error::malformed_xml())?);
            }
            "CompleteMultipartUpload/Part/ETag" => etag = Some(text.trim().trim_matches('"').to_owned()),
            "CompleteMultipartUpload/Part" => {
                let n = number.take().ok_or_else(S3Error::malformed_xml)?;
                parts.push((n, etag.take().unwrap_or_default()));
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        return Err(S3Error::new(
            axum::http::StatusCode::BAD_REQUEST,
            "MalformedXML",
            "You must specify at least one part.",
        ));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;&#x1;");
    }

    #[test]
    fn documents_nest_and_close() {
        let mut doc = Doc::new("R");
        doc.open("A").text("K", "x&y").close().text("N", "1");
        assert_eq!(
            doc.finish(),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R xmlns=\"{NS}\"><A><K>x&amp;y</K></A><N>1</N></R>")
        );
    }

    #[test]
    fn reads_delete_and_complete_bodies() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a &amp; b</Key></Object><Object><Key>c/d</Key><VersionId>1</VersionId></Object><Quiet>true</Quiet></Delete>"#;
        assert_eq!(
            delete_request(body).unwrap(),
            (vec!["a & b".to_owned(), "c/d".to_owned()], true)
        );
        let body = br#"<CompleteMultipartUpload><Part><ETag>"e1"</ETag><PartNumber>1</PartNumber></Part><Part><PartNumber>2</PartNumber><ETag>e2</ETag></Part></CompleteMultipartUpload>"#;
        assert_eq!(
            complete_request(body).unwrap(),
            vec![(1, "e1".to_owned()), (2, "e2".to_owned())]
        );
    }

    #[test]
    fn deep_documents_are_refused_early() {
        let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        assert_eq!(delete_request(deep.as_bytes()).unwrap_err().code, "MalformedXML");
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            &b"<Delete><Object><Key>a</Key>"[..],
            b"not xml <",
            b"<Delete></Delete>",
            b"",
        ] {
            assert_eq!(delete_request(body).unwrap_err().code, "MalformedXML", "{body:?}");
        }
        assert!(
            complete_request(
                b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>"
            )
            .is_err()
        );
    }
}
