//! Admin routes, and a user's objects from upload to delete.

use oxforge_testkit::{StorageBackend, TestServer, http};
use serde_json::json;

use super::*;
use crate::support::{assert_envelope, send, send_raw};

both!(storage_admin_config_and_buckets);
async fn storage_admin_config_and_buckets(backend: StorageBackend) {
    let server = TestServer::start_with_storage(backend, |_| {}).await;
    let key = server.api_key().to_owned();
    let (status, body) = send(http().get(server.at("/api/storage/config")).bearer_auth(&key)).await;
    assert_eq!(status, 200);
    assert_eq!(body["maxFileSizeMb"], 50);
    assert!(
        body["id"].is_string() && body["createdAt"].as_str().unwrap().ends_with('Z'),
        "{body}"
    );
    let (status, body) = send(
        http()
            .put(server.at("/api/storage/config"))
            .bearer_auth(&key)
            .json(&json!({"maxFileSizeMb": 10})),
    )
    .await;
    assert_eq!((status.as_u16(), body["maxFileSizeMb"].as_i64()), (200, Some(10)));
    for bad in [
        json!({"maxFileSizeMb": 0}),
        json!({"maxFileSizeMb": 201}),
        json!({"maxFileSizeMb": "x"}),
        json!({}),
    ] {
        let (status, body) = send(
            http()
                .put(server.at("/api/storage/config"))
                .bearer_auth(&key)
                .json(&bad),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("STORAGE_INVALID_PARAMETER")),
            "{bad}"
        );
    }

    let (status, body) = send(
        http()
            .post(server.at(B))
            .bearer_auth(&key)
            .json(&json!({"bucketName": "avatars"})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["message"], "Bucket created successfully");
    assert_eq!(
        (body["bucketName"].as_str(), body["isPublic"].as_bool()),
        (Some("avatars"), Some(true))
    );
    assert!(body["nextActions"].is_string());
    if backend == StorageBackend::Local {
        assert!(server.storage_dir().unwrap().join("avatars").is_dir());
    }
    let (status, body) = send(
        http()
            .post(server.at(B))
            .bearer_auth(&key)
            .json(&json!({"bucketName": "avatars"})),
    )
    .await;
    assert_envelope(
        status,
        &body,
        409,
        "STORAGE_ALREADY_EXISTS",
        "Bucket \"avatars\" already exists",
    );
    for bad in ["a b", "x'or'1", "../etc", "é", ""] {
        let (status, body) = send(
            http()
                .post(server.at(B))
                .bearer_auth(&key)
                .json(&json!({"bucketName": bad})),
        )
        .await;
        assert_envelope(
            status,
            &body,
            400,
            "STORAGE_INVALID_PARAMETER",
            "Invalid bucket name. Use only letters, numbers, hyphens, and underscores.",
        );
    }
    let (status, body) = send(http().post(server.at(B)).bearer_auth(&key).json(&json!({}))).await;
    assert_envelope(status, &body, 400, "STORAGE_INVALID_PARAMETER", "bucketName: Required");
    create_bucket(&server, "docs", false).await;

    let (status, s3) = send(http().get(server.at("/api/storage/s3/config")).bearer_auth(&key)).await;
    assert_eq!(status, 200);
    assert_eq!(
        s3,
        json!({"endpoint": format!("{}/storage/v1/s3", server.url), "region": "us-east-2", "available": true})
    );
    let (status, meta) = send(http().get(server.at("/api/metadata/storage")).bearer_auth(&key)).await;
    assert_eq!(status, 200);
    let names: Vec<_> = meta["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].clone())
        .collect();
    assert_eq!(names, [json!("avatars"), json!("docs")], "{meta}");
    let (status, body) = send(http().get(server.at(B)).bearer_auth(&key)).await;
    assert_eq!(status, 200);
    let names: Vec<_> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["name"].clone(), b["public"].clone()))
        .collect();
    assert_eq!(names, [(json!("avatars"), json!(true)), (json!("docs"), json!(false))]);

    let (status, body) = send(
        http()
            .patch(server.at(&format!("{B}/avatars")))
            .bearer_auth(&key)
            .json(&json!({"isPublic": false})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["message"].as_str(),
            body["bucket"].as_str(),
            body["isPublic"].as_bool()
        ),
        (Some("Bucket visibility updated"), Some("avatars"), Some(false))
    );
    let (status, body) = send(
        http()
            .patch(server.at(&format!("{B}/nope")))
            .bearer_auth(&key)
            .json(&json!({"isPublic": true})),
    )
    .await;
    assert_envelope(
        status,
        &body,
        404,
        "STORAGE_NOT_FOUND",
        "Bucket \"nope\" does not exist",
    );

    let (status, body) = send(http().delete(server.at(&format!("{B}/avatars"))).bearer_auth(&key)).await;
    assert_eq!(
        (status.as_u16(), body["message"].as_str()),
        (200, Some("Bucket deleted successfully"))
    );
    if backend == StorageBackend::Local {
        assert!(!server.storage_dir().unwrap().join("avatars").exists());
    }
    assert!(files(&server).await.iter().all(|f| !f.starts_with("avatars/")));
    let (status, body) = send(http().delete(server.at(&format!("{B}/avatars"))).bearer_auth(&key)).await;
    assert_envelope(
        status,
        &body,
        404,
        "STORAGE_NOT_FOUND",
        "Bucket not found or already empty",
    );

    // Admin only.
    let alice = user_token(&server, "auth0|alice");
    for token in [Some(server.anon_key()), Some(alice.as_str()), None] {
        let (status, _) = send(with_token(http().get(server.at(B)), token)).await;
        assert!(status == 401 || status == 403, "{token:?}: {status}");
        let (status, _) = send(with_token(http().post(server.at(B)), token).json(&json!({"bucketName": "x"}))).await;
        assert!(status == 401 || status == 403, "{token:?}: {status}");
    }
    server.stop().await;
}

both!(storage_upload_download_round_trip);
async fn storage_upload_download_round_trip(backend: StorageBackend) {
    let server = TestServer::start_with_storage(backend, |_| {}).await;
    create_bucket(&server, "docs", false).await;
    let alice = user_token(&server, "auth0|alice");
    let bytes = b"hello, storage! 0123456789";
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/docs/objects/a%2Fb%20c.txt"),
        "text/plain",
        bytes,
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let etag = md5_hex(&server, bytes).await;
    assert_eq!(body["bucket"], "docs");
    assert_eq!(body["key"], "a/b c.txt");
    assert_eq!(body["size"], bytes.len());
    assert_eq!(body["mimeType"], "text/plain");
    assert!(body["uploadedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        body["url"],
        format!("{}/api/storage/buckets/docs/objects/a%2Fb%20c.txt?v={etag}", server.url)
    );
    assert_eq!(
        rows(&server, "docs").await,
        [(
            "a/b c.txt".to_owned(),
            Some("auth0|alice".to_owned()),
            bytes.len() as i64
        )]
    );
    assert_eq!(files(&server).await, ["docs/a/b c.txt"]);

    // Raw slashes and the encoded form are the same key; the query string is ignored.
    let url = server.at(&format!("{B}/docs/objects/a/b%20c.txt?v=whatever"));
    let got = send_raw(http().get(&url).bearer_auth(&alice)).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.text.as_bytes(), bytes);
    assert_eq!(got.header("content-type"), Some("text/plain"));
    assert_eq!(got.header("content-length"), Some(bytes.len().to_string().as_str()));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(got.header("accept-ranges"), Some("bytes"));
    assert_eq!(got.header("cache-control"), Some("private, no-store"));
    assert_eq!(got.header("etag"), Some(format!("\"{etag}\"").as_str()));
    assert_eq!(got.header("content-disposition"), None);

    let not_modified = send_raw(
        http()
            .get(&url)
            .bearer_auth(&alice)
            .header("if-none-match", format!("\"{etag}\"")),
    )
    .await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.text.is_empty());
    let part = send_raw(http().get(&url).bearer_auth(&alice).header("range", "bytes=0-4")).await;
    assert_eq!((part.status.as_u16(), part.text.as_str()), (206, "hello"));
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 0-4/{}", bytes.len()).as_str())
    );
    let tail = send_raw(http().get(&url).bearer_auth(&alice).header("range", "bytes=-3")).await;
    assert_eq!((tail.status.as_u16(), tail.text.as_str()), (206, "789"));
    let outside = send_raw(http().get(&url).bearer_auth(&alice).header("range", "bytes=1000-")).await;
    assert_eq!(outside.status, 416);
    assert_eq!(
        outside.header("content-range"),
        Some(format!("bytes */{}", bytes.len()).as_str())
    );
    let head = send_raw(http().head(&url).bearer_auth(&alice)).await;
    assert_eq!((head.status.as_u16(), head.text.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), Some(bytes.len().to_string().as_str()));

    // Strategies: direct, absolute, with ?v=<etag>; the legacy POST alias.
    let strategy = send_raw(
        http()
            .get(server.at(&format!(
                "{B}/docs/download-strategy/objects/a%2Fb%20c.txt?expiresIn=60"
            )))
            .bearer_auth(&alice),
    )
    .await;
    assert_eq!(strategy.status, 200);
    assert_eq!(strategy.header("cache-control"), Some("no-store"));
    let expected = json!({"method": "direct", "url": format!("{}/api/storage/buckets/docs/objects/a%2Fb%20c.txt?v={etag}", server.url)});
    assert_eq!(strategy.json(), expected);
    let (status, body) = send(
        http()
            .post(server.at(&format!("{B}/docs/objects/a%2Fb%20c.txt/download-strategy")))
            .bearer_auth(&alice)
            .json(&json!({"expiresIn": 60})),
    )
    .await;
    assert_eq!((status.as_u16(), body), (200, expected));
    let (status, body) = send(
        http()
            .get(server.at(&format!("{B}/docs/download-strategy/objects/nope.txt")))
            .bearer_auth(&alice),
    )
    .await;
    assert_envelope(status, &body, 404, "STORAGE_NOT_FOUND", "Object not found");
    // Behind a proxy the URL follows the forwarded scheme and host.
    let (_, body) = send(
        http()
            .get(server.at(&format!("{B}/docs/download-strategy/objects/a%2Fb%20c.txt")))
            .bearer_auth(&alice)
            .header("host", "files.example.com")
            .header("x-forwarded-proto", "https"),
    )
    .await;
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .starts_with("https://files.example.com/api/storage/"),
        "{body}"
    );

    // Replace: same key, new bytes, new etag; the owner stays.
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/docs/objects/a/b c.txt"),
        "text/plain",
        b"v2",
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["size"], 2);
    let got = send_raw(http().get(&url).bearer_auth(&alice)).await;
    assert_eq!(got.text, "v2");
    assert_eq!(rows(&server, "docs").await.len(), 1);

    // Upload strategy, auto-key upload.
    let (status, body) = send(
        http()
            .post(server.at(&format!("{B}/docs/upload-strategy")))
            .bearer_auth(&alice)
            .json(&json!({"filename": "x/y z.png", "contentType": "image/png", "size": 3})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"method": "direct", "uploadUrl": format!("{}/api/storage/buckets/docs/objects/x%2Fy%20z.png", server.url), "key": "x/y z.png", "confirmRequired": false})
    );
    assert_eq!(rows(&server, "docs").await.len(), 1, "the probe wrote nothing");
    let (status, body) = send(with_form(
        http().post(server.at(&format!("{B}/docs/objects"))).bearer_auth(&alice),
        &[("file", Some("My Photo.jpg"), "image/jpeg", b"jpeg?")],
    ))
    .await;
    assert_eq!(status, 201, "{body}");
    let key = body["key"].as_str().unwrap();
    assert!(key.starts_with("My-Photo-") && key.ends_with(".jpg"), "{key}");

    // List: prefix, search, paging.
    for name in ["p/1.txt", "p/2.txt", "p/3.txt", "q_1.txt"] {
        let (status, _) = send(put_file(
            &server,
            Some(&alice),
            &format!("{B}/docs/objects/{name}"),
            "text/plain",
            b"x",
        ))
        .await;
        assert_eq!(status, 200);
    }
    let list = |query: &str| {
        http()
            .get(server.at(&format!("{B}/docs/objects{query}")))
            .bearer_auth(&alice)
    };
    let (status, body) = send(list("?prefix=p/&limit=2&offset=1")).await;
    assert_eq!(status, 200);
    let keys: Vec<_> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].clone())
        .collect();
    assert_eq!(keys, [json!("p/2.txt"), json!("p/3.txt")]);
    assert_eq!(body["pagination"], json!({"offset": 1, "limit": 2, "total": 3}));
    let item = &body["data"][0];
    for field in [
        "bucket",
        "size",
        "mime_type",
        "uploaded_at",
        "uploaded_by",
        "uploaded_via",
        "etag",
        "mimeType",
        "uploadedAt",
        "url",
    ] {
        assert!(item.get(field).is_some(), "{field}: {item}");
    }
    assert_eq!(item["uploaded_by"], "auth0|alice");
    let (_, body) = send(list("?search=_1")).await;
    assert_eq!(body["pagination"]["total"], 1, "`_` is literal: {body}");
    let (_, body) = send(list("/?search=%25")).await;
    assert_eq!(body["pagination"]["total"], 0, "`%` is literal");
    let (_, body) = send(list("?limit=0")).await;
    assert_eq!(body["pagination"]["limit"], 100);
    let (_, body) = send(
        http()
            .get(server.at(&format!("{B}/nobucket/objects")))
            .bearer_auth(&alice),
    )
    .await;
    assert_eq!(body["pagination"]["total"], 0);

    // Deletes: one, then a batch (de-duplicated, in order).
    let (status, body) = send(
        http()
            .delete(server.at(&format!("{B}/docs/objects/a%2Fb%20c.txt")))
            .bearer_auth(&alice),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"message": "Object deleted successfully"}))
    );
    let (status, body) = send(
        http()
            .delete(server.at(&format!("{B}/docs/objects/a%2Fb%20c.txt")))
            .bearer_auth(&alice),
    )
    .await;
    assert_envelope(status, &body, 404, "STORAGE_NOT_FOUND", "Object not found");
    let (status, body) = send(
        http()
            .delete(server.at(&format!("{B}/docs/objects")))
            .bearer_auth(&alice)
            .json(&json!({"keys": ["p/2.txt", "missing", "p/1.txt", "p/2.txt"]})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"results": [
            {"key": "p/2.txt", "status": "deleted"},
            {"key": "missing", "status": "notFound"},
            {"key": "p/1.txt", "status": "deleted"},
        ]})
    );
    let left: Vec<String> = rows(&server, "docs").await.into_iter().map(|r| r.0).collect();
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(
        !files(&server)
            .await
            .iter()
            .any(|f| f.starts_with("docs/p/1") || f.starts_with("docs/a/")),
        "{:?}",
        files(&server).await
    );
    server.stop().await;
}

both!(storage_confirm_upload_records_a_file_already_in_place);
async fn storage_confirm_upload_records_a_file_already_in_place(backend: StorageBackend) {
    let server = TestServer::start_with_storage(backend, |_| {}).await;
    create_bucket(&server, "b", false).await;
    let alice = user_token(&server, "auth0|alice");
    let confirm = |key: &str| {
        http()
            .post(server.at(&format!("{B}/b/objects/{key}/confirm-upload")))
            .bearer_auth(&alice)
    };
    let (status, body) = send(confirm("in%2Fplace.txt").json(&json!({"size": 5}))).await;
    assert_envelope(
        status,
        &body,
        404,
        "STORAGE_NOT_FOUND",
        "Upload not found for key \"in/place.txt\" in bucket \"b\"",
    );
    place_raw(&server, "b", "in/place.txt", b"hello").await;
    let (status, body) = send(confirm("in%2Fplace.txt").json(&json!({"size": 999, "contentType": "text/plain"}))).await;
    assert_eq!(status, 200, "{body}");
    let etag = md5_hex(&server, b"hello").await;
    assert_eq!(
        (body["key"].as_str(), body["size"].as_i64()),
        (Some("in/place.txt"), Some(5))
    );
    assert_eq!(body["mimeType"], "text/plain");
    assert!(body["url"].as_str().unwrap().ends_with(&format!("?v={etag}")), "{body}");
    assert_eq!(
        rows(&server, "b").await,
        [("in/place.txt".to_owned(), Some("auth0|alice".to_owned()), 5)]
    );
    let got = send_raw(
        http()
            .get(server.at(&format!("{B}/b/objects/in/place.txt")))
            .bearer_auth(&alice),
    )
    .await;
    assert_eq!((got.status.as_u16(), got.text.as_str()), (200, "hello"));
    // Without contentType: no mimeType in the answer, served as octet-stream.
    place_raw(&server, "b", "in/raw.bin", b"raw").await;
    let (status, body) = send(confirm("in/raw.bin").json(&json!({"size": 3}))).await;
    assert_eq!(status, 200);
    assert!(body.get("mimeType").is_none(), "{body}");
    let got = send_raw(
        http()
            .get(server.at(&format!("{B}/b/objects/in/raw.bin")))
            .bearer_auth(&alice),
    )
    .await;
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    // Over the cap.
    let (status, _) = send(
        http()
            .put(server.at("/api/storage/config"))
            .bearer_auth(server.api_key())
            .json(&json!({"maxFileSizeMb": 1})),
    )
    .await;
    assert_eq!(status, 200);
    place_raw(&server, "b", "in/big.bin", &vec![0u8; 1024 * 1024 + 1]).await;
    let (status, body) = send(confirm("in/big.bin").json(&json!({}))).await;
    assert_envelope(
        status,
        &body,
        413,
        "STORAGE_INVALID_PARAMETER",
        "File size exceeds the configured maximum upload size of 1 MB",
    );
    server.stop().await;
}

both!(storage_large_uploads_stream_in_parts);
/// Bodies above one S3 part (8 MiB) go as a multipart upload; over the cap mid-stream, the
/// upload is abandoned with nothing stored.
async fn storage_large_uploads_stream_in_parts(backend: StorageBackend) {
    let server = TestServer::start_with_storage(backend, |_| {}).await;
    create_bucket(&server, "big", false).await;
    let alice = user_token(&server, "auth0|alice");
    let bytes: Vec<u8> = (0..20 * 1024 * 1024 + 123).map(|i| (i % 251) as u8).collect();
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/big/objects/large.bin"),
        "application/octet-stream",
        &bytes,
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let etag = md5_hex(&server, &bytes).await;
    assert!(body["url"].as_str().unwrap().ends_with(&format!("?v={etag}")), "{body}");
    assert_eq!(files(&server).await, ["big/large.bin"], "no temporary object left");
    let url = server.at(&format!("{B}/big/objects/large.bin"));
    let got = http().get(&url).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["etag"], format!("\"{etag}\"").as_str());
    assert!(got.bytes().await.unwrap() == bytes, "the download differs");
    let start = 9 * 1024 * 1024 - 5;
    let got = http()
        .get(&url)
        .bearer_auth(&alice)
        .header("range", format!("bytes={start}-{}", start + 9))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 206);
    assert_eq!(
        got.headers()["content-range"],
        format!("bytes {start}-{}/{}", start + 9, bytes.len()).as_str()
    );
    assert!(got.bytes().await.unwrap() == bytes[start..start + 10]);
    let got = http()
        .get(&url)
        .bearer_auth(&alice)
        .header("range", format!("bytes={}-", bytes.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 416);
    // Over a 10 MB cap: refused while streaming (after the multipart upload began).
    let (status, _) = send(
        http()
            .put(server.at("/api/storage/config"))
            .bearer_auth(server.api_key())
            .json(&json!({"maxFileSizeMb": 10})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/big/objects/too-large.bin"),
        "application/octet-stream",
        &bytes,
    ))
    .await;
    assert_envelope(
        status,
        &body,
        413,
        "STORAGE_INVALID_PARAMETER",
        "File too large. Maximum upload size is 10 MB.",
    );
    assert_eq!(rows(&server, "big").await.len(), 1);
    assert_eq!(files(&server).await, ["big/large.bin"]);
    // Deleting the object removes it from the backend.
    let (status, _) = send(http().delete(&url).bearer_auth(&alice)).await;
    assert_eq!(status, 200);
    assert!(files(&server).await.is_empty());
    server.stop().await;
}
