//! aws-chunked decoding: AWS's multiple-chunk example fed in odd pieces, the trailer forms, and
//! every broken body.

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
        body.extend(format!("x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{signature}\r\n\r\n").into_bytes());
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
