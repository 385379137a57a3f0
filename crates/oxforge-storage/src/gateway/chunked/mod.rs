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
mod tests;
