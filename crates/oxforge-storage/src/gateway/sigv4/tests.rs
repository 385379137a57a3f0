//! SigV4 verification against AWS's published examples, and every refusal.

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
    assert_eq!(canonical::trim_all(b"  a   b \t c  "), b"a b c");
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

#[test]
fn unsigned_amz_headers_are_refused() {
    let signed = vec!["host".to_owned(), "x-amz-date".to_owned()];
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-date", HeaderValue::from_static("20130524T000000Z"));
    headers.insert("x-amz-content-sha256", HeaderValue::from_static("UNSIGNED-PAYLOAD"));
    assert!(unsigned_amz_headers(&headers, &signed).is_ok());
    headers.insert("x-amz-copy-source", HeaderValue::from_static("/private/payroll.pdf"));
    let refused = unsigned_amz_headers(&headers, &signed).unwrap_err();
    assert_eq!(refused.code, "AccessDenied");
    assert!(refused.message.contains("x-amz-copy-source"), "{}", refused.message);
}
