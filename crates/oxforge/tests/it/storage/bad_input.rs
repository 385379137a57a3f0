//! Every bad input of the storage issue: refused with InsForge's 4xx envelope, nothing half-written.

use oxforge_testkit::{StorageBackend, TestServer, http};
use serde_json::{Value, json};

use super::*;
use crate::support::{assert_envelope, send, send_raw};

both!(storage_bad_input_is_refused_and_nothing_is_half_written);
async fn storage_bad_input_is_refused_and_nothing_is_half_written(backend: StorageBackend) {
    let server = TestServer::start_with_storage(backend, |_| {}).await;
    create_bucket(&server, "b", false).await;
    let alice = user_token(&server, "auth0|alice");
    let invalid_key = "Invalid key. Cannot use \"..\" or start with \"/\"";
    // Sent as is (an HTTP client would resolve the dots first).
    for path in ["../x", "a/../../x", "a/./b"] {
        let addr = server.url.trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let request = format!(
            "GET {B}/b/objects/{path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {alice}\r\nConnection: close\r\n\r\n"
        );
        tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer)
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
        assert!(answer.contains("STORAGE_INVALID_PARAMETER"), "{path}: {answer}");
    }
    for path in ["my..file.png", "%2E%2E%2Fx", "%2Fleading", "a%2F..%2Fb"] {
        let (status, body) = send(put_file(
            &server,
            Some(&alice),
            &format!("{B}/b/objects/{path}"),
            "text/plain",
            b"x",
        ))
        .await;
        assert_envelope(status, &body, 400, "STORAGE_INVALID_PARAMETER", invalid_key);
    }
    // Reading them back, malformed escapes and invalid bucket names: each a 400.
    let keys = [
        "my..file.png",
        "%2E%2E%2Fx",
        "%2Fleading",
        "a%2F..%2Fb",
        "%zz",
        "a%2",
        "%C3",
        "%",
    ];
    let buckets = ["b%20x", "b'--", "%zz", "a.b"];
    let paths = keys
        .map(|key| format!("b/objects/{key}"))
        .into_iter()
        .chain(buckets.map(|bucket| format!("{bucket}/objects/k")));
    for path in paths {
        let (status, body) = send(http().get(server.at(&format!("{B}/{path}"))).bearer_auth(&alice)).await;
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("STORAGE_INVALID_PARAMETER")),
            "{path}: {body}"
        );
    }
    // Multipart without `file`, with another file field, or not multipart at all.
    let (status, body) = send(with_form(
        http().put(server.at(&format!("{B}/b/objects/k"))).bearer_auth(&alice),
        &[("note", None, "", b"hi")],
    ))
    .await;
    assert_envelope(status, &body, 400, "STORAGE_INVALID_PARAMETER", "File is required");
    let (status, body) = send(with_form(
        http().put(server.at(&format!("{B}/b/objects/k"))).bearer_auth(&alice),
        &[("other", Some("x.txt"), "text/plain", b"hi")],
    ))
    .await;
    assert_envelope(status, &body, 400, "STORAGE_INVALID_PARAMETER", "Unexpected field");
    let (status, body) = send(
        http()
            .put(server.at(&format!("{B}/b/objects/k")))
            .bearer_auth(&alice)
            .json(&json!({"file": "x"})),
    )
    .await;
    assert_envelope(status, &body, 400, "STORAGE_INVALID_PARAMETER", "File is required");
    // A bucket that does not exist.
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/nope/objects/k"),
        "text/plain",
        b"x",
    ))
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("DATABASE_CONSTRAINT_VIOLATION"))
    );

    // Over the cap: 413 while streaming, nothing on disk, nothing in the table.
    let (status, _) = send(
        http()
            .put(server.at("/api/storage/config"))
            .bearer_auth(server.api_key())
            .json(&json!({"maxFileSizeMb": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let big = vec![b'a'; 1024 * 1024 + 1];
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/b/objects/big.bin"),
        "application/octet-stream",
        &big,
    ))
    .await;
    assert_envelope(
        status,
        &body,
        413,
        "STORAGE_INVALID_PARAMETER",
        "File too large. Maximum upload size is 1 MB.",
    );
    let exact = vec![b'a'; 1024 * 1024];
    let (status, _) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/b/objects/exact.bin"),
        "application/octet-stream",
        &exact,
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        rows(&server, "b")
            .await
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>(),
        ["exact.bin"]
    );
    assert_eq!(files(&server).await, ["b/exact.bin"], "no temporary file left");

    // Ranges outside the object, and batch limits.
    let outside = send_raw(
        http()
            .get(server.at(&format!("{B}/b/objects/exact.bin")))
            .bearer_auth(&alice)
            .header("range", "bytes=2000000-"),
    )
    .await;
    assert_eq!(outside.status, 416);
    assert_eq!(outside.header("content-range"), Some("bytes */1048576"));
    let many: Vec<String> = (0..1001).map(|i| format!("k{i}")).collect();
    let batch = |body: Value| {
        http()
            .delete(server.at(&format!("{B}/b/objects")))
            .bearer_auth(&alice)
            .json(&body)
    };
    let (status, body) = send(batch(json!({"keys": many}))).await;
    assert_envelope(
        status,
        &body,
        400,
        "STORAGE_INVALID_PARAMETER",
        "keys: Cannot delete more than 1000 objects at once",
    );
    let (status, body) = send(batch(json!({"keys": []}))).await;
    assert_envelope(
        status,
        &body,
        400,
        "STORAGE_INVALID_PARAMETER",
        "keys: At least one object key is required",
    );
    let (status, body) = send(batch(json!({"keys": [""]}))).await;
    assert_envelope(
        status,
        &body,
        400,
        "STORAGE_INVALID_PARAMETER",
        "keys.0: Object key cannot be empty",
    );
    let (status, body) = send(
        http()
            .get(server.at(&format!("{B}/b/download-strategy/objects/exact.bin?expiresIn=abc")))
            .bearer_auth(&alice),
    )
    .await;
    assert_envelope(
        status,
        &body,
        400,
        "STORAGE_INVALID_PARAMETER",
        "expiresIn must be a finite number of seconds",
    );
    let (status, body) = send(
        http()
            .post(server.at(&format!("{B}/b/upload-strategy")))
            .bearer_auth(&alice)
            .json(&json!({})),
    )
    .await;
    assert_envelope(status, &body, 400, "STORAGE_INVALID_PARAMETER", "filename: Required");
    let (status, body) = send(
        http()
            .post(server.at(&format!("{B}/nope/upload-strategy")))
            .bearer_auth(&alice)
            .json(&json!({"filename": "k"})),
    )
    .await;
    assert_envelope(
        status,
        &body,
        404,
        "STORAGE_NOT_FOUND",
        "Bucket \"nope\" does not exist",
    );
    let (status, body) = send(
        http()
            .post(server.at(&format!("{B}/b/objects/exact.bin/somewhere")))
            .bearer_auth(&alice),
    )
    .await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (404, Some("NOT_FOUND")));
    // A key cannot be both an object and a folder on disk; on S3 (as upstream) it can.
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/b/objects/exact.bin/inner"),
        "text/plain",
        b"x",
    ))
    .await;
    if backend == StorageBackend::Local {
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (409, Some("STORAGE_ALREADY_EXISTS")),
            "{body}"
        );
        assert_eq!(rows(&server, "b").await.len(), 1, "the refused upload left no row");
        assert_eq!(files(&server).await, ["b/exact.bin"]);
    } else {
        assert_eq!(status, 200, "{body}");
        assert_eq!(files(&server).await, ["b/exact.bin", "b/exact.bin/inner"]);
    }
    server.stop().await;
}

both!(storage_a_client_that_disconnects_mid_upload_leaves_nothing);
async fn storage_a_client_that_disconnects_mid_upload_leaves_nothing(backend: StorageBackend) {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_with_storage(backend, |_| {}).await;
    create_bucket(&server, "b", false).await;
    let alice = user_token(&server, "auth0|alice");
    let (ct, body) = multipart(&[(
        "file",
        Some("x.bin"),
        "application/octet-stream",
        // Past one S3 part (8 MiB): on S3 the multipart upload has begun and must be aborted.
        &vec![b'z'; 10 * 1024 * 1024],
    )]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PUT {B}/b/objects/partial.bin HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {alice}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len() + 1_000_000
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..body.len() - 100]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(stream);
    let mut left = files(&server).await;
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = files(&server).await;
    }
    assert!(left.is_empty(), "{left:?}");
    assert!(rows(&server, "b").await.is_empty());
    server.stop().await;
}
