//! Request bodies in S3's own framing: `aws-chunked` (`STREAMING-…` payloads), decoded to their data with
//! each chunk's signature checked, and plain bodies checked against their `x-amz-content-sha256`.
//!
//! Both pass data on as it arrives (at most one network read is held, never a whole chunk): a chunk's
//! bytes are only trustworthy once the stream has ended without an error, so a caller must treat an
//! `Err` item as "throw away what was written".

use aws_lc_rs::digest;
use base64::Engine;
use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt, stream};

use crate::gateway::error::{S3Error, S3Result};
use crate::gateway::sigv4::{EMPTY_SHA256, Payload, Verified, sha256_hex, signatures_equal};

/// The longest chunk header or trailer line accepted (without its CRLF).
const MAX_LINE: usize = 4096;
/// The largest chunk accepted.
const MAX_CHUNK: u64 = 16 * 1024 * 1024;
/// The most trailing headers accepted.
const MAX_TRAILERS: usize = 16;

/// The body of a request whose payload is `Payload::Streaming { .. }`, decoded: the data bytes only, each
/// chunk's signature verified (signed form), the trailer read (and its signature verified in the signed
/// -TRAILER form), a trailing x-amz-checksum-crc32 (base64 of big-endian CRC32) verified when present (other
/// checksum algorithms: their value is ignored). Errors end the stream with an S3Error; a transport error
/// becomes `IncompleteBody`.
pub fn decode<S, E>(body: S, verified: &Verified) -> impl Stream<Item = S3Result<Bytes>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: std::fmt::Display + 'static,
{
    let start = match verified.payload {
        Payload::Streaming { signed, trailer } => Ok(Driver {
            body,
            buf: BytesMut::new(),
            decoder: Decoder::new(verified.clone(), signed, trailer),
        }),
        _ => Err(S3Error::invalid_request(
            "The body is not aws-chunked: x-amz-content-sha256 is not a STREAMING-… value.",
        )),
    };
    stream::unfold(Some(start), |state| async move {
        let mut driver = match state? {
            Ok(driver) => driver,
            Err(e) => return Some((Err(e), None)),
        };
        loop {
            match driver.decoder.step(&mut driver.buf) {
                Err(e) => return Some((Err(e), None)),
                Ok(Step::Data(bytes)) => return Some((Ok(bytes), Some(Ok(driver)))),
                Ok(Step::Done) => return None,
                Ok(Step::More) => {}
            }
            match driver.body.next().await {
                Some(Ok(bytes)) => driver.buf.extend_from_slice(&bytes),
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "reading an aws-chunked request body failed");
                    return Some((Err(S3Error::incomplete_body()), None));
                }
                None => {
                    return match driver.decoder.at_eof(&mut driver.buf) {
                        Ok(()) => None,
                        Err(e) => Some((Err(e), None)),
                    };
                }
            }
        }
    })
}

/// A body whose payload is `Payload::Sha256(hex)`: passes bytes through, and if the total SHA-256 at the end
/// differs, the last item is `Err(S3Error::sha256_mismatch())`. A transport error becomes `IncompleteBody`.
pub fn verify_sha256<S, E>(body: S, expected_hex: String) -> impl Stream<Item = S3Result<Bytes>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: std::fmt::Display + 'static,
{
    let expected = expected_hex.to_ascii_lowercase();
    let context = digest::Context::new(&digest::SHA256);
    stream::unfold(Some((body, context, expected)), |state| async move {
        let (mut body, mut context, expected) = state?;
        match body.next().await {
            Some(Ok(bytes)) => {
                context.update(&bytes);
                Some((Ok(bytes), Some((body, context, expected))))
            }
            Some(Err(e)) => {
                tracing::debug!(error = %e, "reading an S3 request body failed");
                Some((Err(S3Error::incomplete_body()), None))
            }
            None => {
                let actual = hex::encode(context.finish());
                (actual != expected).then(|| (Err(S3Error::sha256_mismatch()), None))
            }
        }
    })
}

struct Driver<S> {
    body: S,
    buf: BytesMut,
    decoder: Decoder,
}

enum Step {
    /// Data to hand on.
    Data(Bytes),
    /// The buffer holds too little to go on.
    More,
    /// The body is complete and checked.
    Done,
}

enum State {
    /// Expecting `hex-size[;chunk-signature=…]\r\n`.
    Header,
    /// Inside a chunk's data.
    Data {
        remaining: u64,
    },
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the final (0-size) chunk: trailing header lines up to an empty line.
    Trailer,
    Done,
}

struct Decoder {
    verified: Verified,
    signed: bool,
    trailer: bool,
    state: State,
    /// The signature of the chunk before this one (the seed for the first).
    previous: String,
    /// The signature the current chunk claims.
    chunk_signature: String,
    chunk_hash: digest::Context,
    crc32: crc32fast::Hasher,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
}

fn framing(message: &str) -> S3Error {
    S3Error::invalid_argument(format!("The aws-chunked request body is malformed: {message}."))
}

fn is_signature(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The next CRLF-terminated line (without its CRLF), `None` when the buffer holds no full line yet.
fn take_line(buf: &mut BytesMut) -> S3Result<Option<Bytes>> {
    let limit = buf.len().min(MAX_LINE + 2);
    match buf[..limit].windows(2).position(|w| w == b"\r\n") {
        Some(end) => {
            let line = buf.split_to(end).freeze();
            buf.advance(2);
            Ok(Some(line))
        }
        None if buf.len() >= MAX_LINE + 2 => Err(framing("a chunk header or trailer line is longer than 4 KiB")),
        None => Ok(None),
    }
}

impl Decoder {
    fn new(verified: Verified, signed: bool, trailer: bool) -> Decoder {
        Decoder {
            previous: verified.seed_signature().to_string(),
            verified,
            signed,
            trailer,
            state: State::Header,
            chunk_signature: String::new(),
            chunk_hash: digest::Context::new(&digest::SHA256),
            crc32: crc32fast::Hasher::new(),
            trailers: Vec::new(),
            trailer_signature: None,
        }
    }

    /// Consumes what it can of `buf`.
    fn step(&mut self, buf: &mut BytesMut) -> S3Result<Step> {
        loop {
            match self.state {
                State::Header => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Step::More);
                    };
                    self.header(&line)?;
                }
                State::Data { remaining } => {
                    if buf.is_empty() {
                        return Ok(Step::More);
                    }
                    let n = usize::try_from(remaining).map_or(buf.len(), |r| r.min(buf.len()));
                    let data = buf.split_to(n).freeze();
                    if self.signed {
                        self.chunk_hash.update(&data);
                    }
                    self.crc32.update(&data);
                    let left = remaining - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data { remaining: left }
                    };
                    return Ok(Step::Data(data));
                }
                State::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(Step::More);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(framing(
                            "a chunk's data is longer than its size or not followed by CRLF",
                        ));
                    }
                    buf.advance(2);
                    self.check_chunk()?;
                    self.state = State::Header;
                }
                State::Trailer => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Step::More);
                    };
                    if line.is_empty() {
                        self.finish(false)?;
                        self.state = State::Done;
                    } else {
                        self.trailer_line(&line)?;
                    }
                }
                State::Done => {
                    if !buf.is_empty() {
                        return Err(framing("data follows the final chunk"));
                    }
                    return Ok(Step::Done);
                }
            }
        }
    }

    /// The body ended with `buf` left over (less than `step` could use).
    fn at_eof(&mut self, buf: &mut BytesMut) -> S3Result<()> {
        match self.state {
            State::Trailer => {
                // Lenient: the final empty line (or the last line's CRLF) may be missing.
                let rest = buf.split().freeze();
                let rest = rest.strip_suffix(b"\r").unwrap_or(&rest);
                if !rest.is_empty() {
                    self.trailer_line(rest)?;
                }
                self.finish(true)?;
                self.state = State::Done;
                Ok(())
            }
            State::Done => Ok(()),
            _ => Err(S3Error::incomplete_body()),
        }
    }

    fn header(&mut self, line: &[u8]) -> S3Result<()> {
        let line = std::str::from_utf8(line).map_err(|_| framing("a chunk header is not ASCII"))?;
        let (size, extensions) = line.split_once(';').unwrap_or((line, ""));
        let size = size.trim();
        if size.is_empty() || size.len() > 16 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(framing("a chunk size is not a hexadecimal number"));
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| framing("a chunk size is not a hexadecimal number"))?;
        if size > MAX_CHUNK {
            return Err(framing("a chunk is larger than 16 MiB"));
        }
        if self.signed {
            let signature = extensions
                .split(';')
                .find_map(|e| e.trim().strip_prefix("chunk-signature="))
                .ok_or_else(|| framing("a chunk has no chunk-signature"))?;
            if !is_signature(signature) {
                return Err(framing("a chunk-signature is not 64 hexadecimal digits"));
            }
            self.chunk_signature = signature.to_ascii_lowercase();
            self.chunk_hash = digest::Context::new(&digest::SHA256);
        }
        if size == 0 {
            self.check_chunk()?;
            self.state = State::Trailer;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    /// Checks the chunk just read against its chunk-signature (signed form).
    fn check_chunk(&mut self) -> S3Result<()> {
        if !self.signed {
            return Ok(());
        }
        let context = std::mem::replace(&mut self.chunk_hash, digest::Context::new(&digest::SHA256));
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            self.verified.amz_date(),
            self.verified.scope(),
            self.previous,
            hex::encode(context.finish()),
        );
        if !signatures_equal(&self.verified.sign_hex(&string_to_sign), &self.chunk_signature) {
            return Err(S3Error::signature_mismatch());
        }
        self.previous = std::mem::take(&mut self.chunk_signature);
        Ok(())
    }

    fn trailer_line(&mut self, line: &[u8]) -> S3Result<()> {
        if !self.trailer {
            return Err(framing(
                "trailing headers follow the final chunk of a body that declared none",
            ));
        }
        if self.trailers.len() >= MAX_TRAILERS {
            return Err(framing("too many trailing headers"));
        }
        let line = std::str::from_utf8(line).map_err(|_| framing("a trailing header is not UTF-8"))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| framing("a trailing header has no ':'"))?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        if name == "x-amz-trailer-signature" {
            if !is_signature(value) {
                return Err(framing("x-amz-trailer-signature is not 64 hexadecimal digits"));
            }
            if self.trailer_signature.replace(value.to_ascii_lowercase()).is_some() {
                return Err(framing("x-amz-trailer-signature was sent twice"));
            }
        } else {
            self.trailers.push((name, value.to_string()));
        }
        Ok(())
    }

    /// After the last trailing header: checks the trailer's signature and the checksum.
    fn finish(&mut self, eof: bool) -> S3Result<()> {
        if self.signed && self.trailer {
            let Some(signature) = self.trailer_signature.take() else {
                return Err(if eof {
                    S3Error::incomplete_body()
                } else {
                    S3Error::signature_mismatch()
                });
            };
            let canonical: String = self
                .trailers
                .iter()
                .map(|(name, value)| format!("{name}:{value}\n"))
                .collect();
            let string_to_sign = format!(
                "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
                self.verified.amz_date(),
                self.verified.scope(),
                self.previous,
                sha256_hex(canonical.as_bytes()),
            );
            if !signatures_equal(&self.verified.sign_hex(&string_to_sign), &signature) {
                return Err(S3Error::signature_mismatch());
            }
        }
        for (name, value) in &self.trailers {
            if name != "x-amz-checksum-crc32" {
                continue;
            }
            let expected = base64::engine::general_purpose::STANDARD
                .decode(value)
                .ok()
                .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| {
                    S3Error::invalid_argument("Value for x-amz-checksum-crc32 trailing header is invalid.")
                })?;
            if self.crc32.clone().finalize() != expected {
                return Err(S3Error::bad_digest(
                    "The CRC32 you specified did not match the calculated checksum.",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
    use chrono::{TimeZone, Utc};
    use futures_util::FutureExt;

    use super::*;
    use crate::gateway::sigv4;

    const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    const CHUNK_1: &str = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
    const CHUNK_2: &str = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
    const FINAL: &str = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

    /// AWS's "Transfer Payload in Multiple Chunks" example request, verified.
    fn example() -> Verified {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature={SEED}"
        );
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("authorization", auth.as_str()),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from_str(value).unwrap());
        }
        let now = Utc.with_ymd_and_hms(2013, 5, 24, 0, 1, 0).unwrap();
        let uri = "/examplebucket/chunkObject.txt".parse().unwrap();
        let pending = sigv4::parse(&Method::PUT, &uri, &headers, "us-east-1", now).unwrap();
        sigv4::verify(&pending, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").unwrap()
    }

    fn signed_chunk(data: &[u8], signature: &str) -> Vec<u8> {
        let mut out = format!("{:x};chunk-signature={signature}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        out
    }

    fn example_body() -> Vec<u8> {
        let mut body = signed_chunk(&[b'a'; 65536], CHUNK_1);
        body.extend(signed_chunk(&[b'a'; 1024], CHUNK_2));
        body.extend(signed_chunk(b"", FINAL));
        body
    }

    /// Runs `decode` over `body` cut into `piece`-byte reads.
    fn run(body: &[u8], piece: usize, verified: &Verified) -> S3Result<Vec<u8>> {
        let pieces: Vec<Result<Bytes, Infallible>> = body
            .chunks(piece.max(1))
            .map(|p| Ok(Bytes::copy_from_slice(p)))
            .collect();
        let items = decode(stream::iter(pieces), verified)
            .collect::<Vec<_>>()
            .now_or_never()
            .unwrap();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Ok(bytes) => out.extend_from_slice(bytes),
                Err(_) => assert_eq!(i, items.len() - 1, "an error is the last item"),
            }
        }
        match items.into_iter().last() {
            Some(Err(e)) => Err(e),
            _ => Ok(out),
        }
    }

    fn code(result: S3Result<Vec<u8>>) -> &'static str {
        result.unwrap_err().code
    }

    #[test]
    fn aws_example_multiple_chunks() {
        let verified = example();
        assert_eq!(
            verified.payload,
            Payload::Streaming {
                signed: true,
                trailer: false
            }
        );
        let body = example_body();
        assert_eq!(body.len(), 66824);
        for piece in [1, 7, 4096, 65536 + 100, body.len()] {
            assert_eq!(
                run(&body, piece, &verified).unwrap(),
                vec![b'a'; 66560],
                "pieces of {piece}"
            );
        }
        // Lenient about the very last CRLF.
        assert_eq!(run(&body[..body.len() - 2], 7, &verified).unwrap().len(), 66560);
    }

    #[test]
    fn flipped_byte_is_a_signature_mismatch() {
        let verified = example();
        let mut body = example_body();
        body[1000] = b'b';
        assert_eq!(code(run(&body, 7, &verified)), "SignatureDoesNotMatch");
        // A changed signature, and chunks in another order.
        let mut body = example_body();
        body[30] = if body[30] == b'0' { b'1' } else { b'0' };
        assert_eq!(code(run(&body, 4096, &verified)), "SignatureDoesNotMatch");
        let mut body = signed_chunk(&[b'a'; 1024], CHUNK_2);
        body.extend(signed_chunk(&[b'a'; 65536], CHUNK_1));
        body.extend(signed_chunk(b"", FINAL));
        assert_eq!(code(run(&body, 4096, &verified)), "SignatureDoesNotMatch");
        // Dropping the final chunk: incomplete.
        let body = example_body();
        assert_eq!(code(run(&body[..66824 - 86], 4096, &verified)), "IncompleteBody");
    }

    #[test]
    fn truncated_bodies_are_incomplete() {
        let verified = example();
        let body = example_body();
        for cut in [0, 1, 50, 88, 1000, 65626, 65627, 66000, 66740] {
            assert_eq!(
                code(run(&body[..cut], 4096, &verified)),
                "IncompleteBody",
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn bad_framing_is_refused() {
        let verified = example();
        let mut long = b"10000;chunk-signature=".to_vec();
        long.extend(vec![b'0'; 5000]);
        assert_eq!(code(run(&long, 100, &verified)), "InvalidArgument");
        let huge = format!("1000001;chunk-signature={CHUNK_1}\r\n");
        assert_eq!(code(run(huge.as_bytes(), 100, &verified)), "InvalidArgument");
        let overflow = format!("ffffffffffffffffff;chunk-signature={CHUNK_1}\r\n");
        assert_eq!(code(run(overflow.as_bytes(), 100, &verified)), "InvalidArgument");
        let unsigned = b"10\r\naaaaaaaaaaaaaaaa\r\n0\r\n\r\n";
        assert_eq!(code(run(unsigned, 100, &verified)), "InvalidArgument");
        let not_hex = format!("xyz;chunk-signature={CHUNK_1}\r\n");
        assert_eq!(code(run(not_hex.as_bytes(), 100, &verified)), "InvalidArgument");
        let mut too_long = example_body();
        too_long.splice(88..88, *b"a");
        assert_eq!(code(run(&too_long, 4096, &verified)), "InvalidArgument");
        let mut trailing = example_body();
        trailing.extend_from_slice(b"junk");
        assert_eq!(code(run(&trailing, 4096, &verified)), "InvalidArgument");
        let mut trailer = example_body();
        trailer.truncate(trailer.len() - 2);
        trailer.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n");
        assert_eq!(code(run(&trailer, 4096, &verified)), "InvalidArgument");
        for garbage in [&b"\xff\xfe\r\n"[..], b"\r\n", b";\r\n", b"0;chunk-signature=zz\r\n"] {
            assert_eq!(code(run(garbage, 1, &verified)), "InvalidArgument");
        }
    }

    fn unsigned() -> Verified {
        let mut verified = example();
        verified.payload = Payload::Streaming {
            signed: false,
            trailer: true,
        };
        verified
    }

    fn unsigned_body(data: &[u8], crc: &str) -> Vec<u8> {
        let mut body = Vec::new();
        for (i, part) in data.chunks(5).enumerate() {
            let extension = if i == 0 { ";ext=1" } else { "" };
            body.extend(format!("{:x}{extension}\r\n", part.len()).into_bytes());
            body.extend_from_slice(part);
            body.extend_from_slice(b"\r\n");
        }
        body.extend(format!("0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").into_bytes());
        body
    }

    #[test]
    fn unsigned_trailer_with_crc32() {
        let verified = unsigned();
        // CRC-32 of "123456789" is 0xCBF43926.
        let good = unsigned_body(b"123456789", "y/Q5Jg==");
        for piece in [1, 3, good.len()] {
            assert_eq!(run(&good, piece, &verified).unwrap(), b"123456789");
        }
        assert_eq!(run(&good[..good.len() - 2], 1, &verified).unwrap(), b"123456789");
        assert_eq!(run(&good[..good.len() - 4], 1, &verified).unwrap(), b"123456789");
        let bad = unsigned_body(b"123456789", "y/Q5Jw==");
        assert_eq!(code(run(&bad, 3, &verified)), "BadDigest");
        let garbage = unsigned_body(b"123456789", "not base64!");
        assert_eq!(code(run(&garbage, 3, &verified)), "InvalidArgument");
        // Other algorithms' values are not checked; no trailer at all is fine.
        let other = unsigned_body(b"123456789", "y/Q5Jg==").replace_crc32c();
        assert_eq!(run(&other, 3, &verified).unwrap(), b"123456789");
        assert_eq!(run(b"3\r\nabc\r\n0\r\n\r\n", 1, &verified).unwrap(), b"abc");
        assert_eq!(code(run(b"3\r\nabc\r\n", 1, &verified)), "IncompleteBody");
    }

    trait ReplaceCrc32c {
        fn replace_crc32c(self) -> Vec<u8>;
    }

    impl ReplaceCrc32c for Vec<u8> {
        fn replace_crc32c(self) -> Vec<u8> {
            String::from_utf8(self)
                .unwrap()
                .replace("x-amz-checksum-crc32:y/Q5Jg==", "x-amz-checksum-crc32c:AAAAAA==")
                .into_bytes()
        }
    }

    #[test]
    fn signed_trailer() {
        let mut verified = example();
        verified.payload = Payload::Streaming {
            signed: true,
            trailer: true,
        };
        // Sign the way a client does, chaining from the seed.
        let sign = |previous: &str, data: &[u8]| {
            verified.sign_hex(&format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{previous}\n{EMPTY_SHA256}\n{}",
                sha256_hex(data)
            ))
        };
        let first = sign(SEED, b"123456789");
        let last = sign(&first, b"");
        let trailer = "x-amz-checksum-crc32:y/Q5Jg==\n";
        let trailer_signature = verified.sign_hex(&format!(
            "AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{last}\n{}",
            sha256_hex(trailer.as_bytes())
        ));
        let body = |crc: &str, signature: &str| {
            let mut body = signed_chunk(b"123456789", &first);
            body.extend(format!("0;chunk-signature={last}\r\n").into_bytes());
            body.extend(
                format!("x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{signature}\r\n\r\n").into_bytes(),
            );
            body
        };
        let good = body("y/Q5Jg==", &trailer_signature);
        for piece in [1, 7, good.len()] {
            assert_eq!(run(&good, piece, &verified).unwrap(), b"123456789");
        }
        assert_eq!(
            code(run(&body("y/Q5Jw==", &trailer_signature), 7, &verified)),
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            code(run(&body("y/Q5Jg==", &first), 7, &verified)),
            "SignatureDoesNotMatch"
        );
        let mut missing = signed_chunk(b"123456789", &first);
        missing.extend(format!("0;chunk-signature={last}\r\nx-amz-checksum-crc32:y/Q5Jg==\r\n\r\n").into_bytes());
        assert_eq!(code(run(&missing, 7, &verified)), "SignatureDoesNotMatch");
        assert_eq!(code(run(&missing[..missing.len() - 2], 7, &verified)), "IncompleteBody");
    }

    #[test]
    fn not_a_streaming_payload() {
        let mut verified = example();
        verified.payload = Payload::Unsigned;
        assert_eq!(code(run(b"abc", 1, &verified)), "InvalidRequest");
    }

    #[test]
    fn transport_errors_are_incomplete_bodies() {
        let verified = example();
        let pieces: Vec<Result<Bytes, String>> = vec![Ok(Bytes::from_static(b"10000;")), Err("reset".to_string())];
        let items = decode(stream::iter(pieces.clone()), &verified)
            .collect::<Vec<_>>()
            .now_or_never()
            .unwrap();
        assert_eq!(items.len(), 1);
        assert!(matches!(&items[0], Err(e) if e.code == "IncompleteBody"));
        let items = verify_sha256(stream::iter(pieces), String::new())
            .collect::<Vec<_>>()
            .now_or_never()
            .unwrap();
        assert!(matches!(items.last(), Some(Err(e)) if e.code == "IncompleteBody"));
    }

    #[test]
    fn sha256_bodies() {
        let run = |pieces: &[&'static [u8]], expected: &str| {
            let pieces: Vec<Result<Bytes, Infallible>> = pieces.iter().map(|p| Ok(Bytes::from_static(p))).collect();
            verify_sha256(stream::iter(pieces), expected.to_string())
                .collect::<Vec<_>>()
                .now_or_never()
                .unwrap()
        };
        let welcome = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
        let items = run(&[b"Welcome to ", b"Amazon S3."], welcome);
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(Result::is_ok));
        let items = run(&[b"Welcome to ", b"Amazon S3."], &welcome.to_ascii_uppercase());
        assert!(items.iter().all(Result::is_ok));
        let items = run(&[b"Welcome to ", b"Amazon S4."], welcome);
        assert_eq!(items.len(), 3);
        assert!(matches!(items.last(), Some(Err(e)) if e.code == "XAmzContentSHA256Mismatch"));
        assert!(run(&[], EMPTY_SHA256).is_empty());
    }

    #[test]
    fn axum_bodies_fit() {
        let verified = example();
        let body = axum::body::Body::from(example_body());
        let items = decode(body.into_data_stream(), &verified)
            .collect::<Vec<_>>()
            .now_or_never()
            .unwrap();
        let data: Vec<u8> = items.into_iter().map(Result::unwrap).flat_map(|b| b.to_vec()).collect();
        assert_eq!(data, vec![b'a'; 66560]);
        let body = axum::body::Body::from("Welcome to Amazon S3.");
        let welcome = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072".to_string();
        let items = verify_sha256(body.into_data_stream(), welcome)
            .collect::<Vec<_>>()
            .now_or_never()
            .unwrap();
        assert!(items.iter().all(Result::is_ok));
    }

    #[test]
    fn mangled_bodies_never_panic() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let signed = example();
        let unsigned = unsigned();
        let bodies = [example_body(), unsigned_body(b"123456789", "y/Q5Jg==")];
        for round in 0..300 {
            let (verified, original) = if round % 2 == 0 {
                (&signed, &bodies[0])
            } else {
                (&unsigned, &bodies[1])
            };
            let mut body = original.clone();
            for _ in 0..(next() % 4) {
                let at = (next() as usize) % body.len();
                body[at] = next() as u8;
            }
            if next() % 3 == 0 {
                body.truncate((next() as usize) % (body.len() + 1));
            }
            let piece = 1 + (next() as usize) % 9000;
            let result = run(&body, piece, verified);
            if body == *original {
                assert!(result.is_ok());
            }
        }
    }
}
