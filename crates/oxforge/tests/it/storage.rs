//! Storage over HTTP: buckets and the upload cap (admin), uploads and downloads (streamed,
//! ETag/304, Range/206/416, MIME safety), strategies, listing, deletes, access (public, private,
//! anon, another user's objects under the default owner policies) and every bad input of the
//! storage issue.

use oxforge_testkit::{TestServer, hs256, http, now};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::support::{assert_envelope, send, send_raw};

const B: &str = "/api/storage/buckets";

/// A token shaped like the Auth0 Action's.
fn user_token(server: &TestServer, sub: &str) -> String {
    hs256(
        server.jwt_secret(),
        &json!({"sub": sub, "role": "authenticated", "aud": "insforge-api", "iat": now(), "exp": now() + 3600}),
    )
}

/// A multipart body: (field name, file name, content type, bytes) each.
fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----oxforge-test-boundary-7d1";
    let mut body = Vec::new();
    for (name, filename, content_type, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: {content_type}\r\n\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(t) => request.bearer_auth(t),
        None => request,
    }
}

fn put_file(server: &TestServer, token: Option<&str>, path: &str, content_type: &str, bytes: &[u8]) -> RequestBuilder {
    let (ct, body) = multipart(&[("file", Some("upload.bin"), content_type, bytes)]);
    with_token(http().put(server.at(path)), token)
        .header("content-type", ct)
        .body(body)
}

async fn create_bucket(server: &TestServer, name: &str, public: bool) {
    let (status, body) = send(
        http()
            .post(server.at(B))
            .bearer_auth(server.api_key())
            .json(&json!({"bucketName": name, "isPublic": public})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

async fn rows(server: &TestServer, bucket: &str) -> Vec<(String, Option<String>, i64)> {
    let db = oxforge_testkit::cluster().connect(&server.database).await.unwrap();
    db.query(
        "SELECT key, uploaded_by, size FROM storage.objects WHERE bucket = $1 ORDER BY key",
        &[&bucket],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// Every file below the storage directory, relative, sorted.
fn files(server: &TestServer) -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let root = server.storage_dir().unwrap();
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn storage_admin_config_and_buckets() {
    let server = TestServer::start().await;
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
    assert!(server.storage_dir().unwrap().join("avatars").is_dir());
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
    assert!(!server.storage_dir().unwrap().join("avatars").exists());
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

#[tokio::test]
async fn storage_upload_download_round_trip() {
    let server = TestServer::start().await;
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
    assert_eq!(files(&server), ["docs/a/b c.txt"]);

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
    let (ct, multipart_body) = multipart(&[("file", Some("My Photo.jpg"), "image/jpeg", b"jpeg?")]);
    let (status, body) = send(
        http()
            .post(server.at(&format!("{B}/docs/objects")))
            .bearer_auth(&alice)
            .header("content-type", ct)
            .body(multipart_body),
    )
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
            .iter()
            .any(|f| f.starts_with("docs/p/1") || f.starts_with("docs/a/")),
        "{:?}",
        files(&server)
    );
    server.stop().await;
}

/// MD5 (hex) of `bytes`, computed by PostgreSQL.
async fn md5_hex(server: &TestServer, bytes: &[u8]) -> String {
    let db = oxforge_testkit::cluster().connect(&server.database).await.unwrap();
    db.query_one("SELECT md5($1::bytea)", &[&bytes]).await.unwrap().get(0)
}

#[tokio::test]
async fn storage_access_public_private_anon_and_other_users() {
    let server = TestServer::start().await;
    create_bucket(&server, "pub", true).await;
    create_bucket(&server, "priv", false).await;
    let alice = user_token(&server, "auth0|alice");
    let bob = user_token(&server, "auth0|bob");
    let anon = server.anon_key().to_owned();
    for bucket in ["pub", "priv"] {
        let (status, body) = send(put_file(
            &server,
            Some(&alice),
            &format!("{B}/{bucket}/objects/mine.txt"),
            "text/plain",
            b"alice's",
        ))
        .await;
        assert_eq!(status, 200, "{body}");
    }

    // Public: reads need no credential, a broken token is ignored.
    let public = server.at(&format!("{B}/pub/objects/mine.txt"));
    for token in [None, Some("not-a-token"), Some(anon.as_str()), Some(bob.as_str())] {
        let got = send_raw(with_token(http().get(&public), token)).await;
        assert_eq!((got.status.as_u16(), got.text.as_str()), (200, "alice's"), "{token:?}");
        assert_eq!(got.header("cache-control"), None);
        let (status, _) = send(with_token(
            http().get(server.at(&format!("{B}/pub/download-strategy/objects/mine.txt"))),
            token,
        ))
        .await;
        assert_eq!(status, 200, "{token:?}");
    }
    // … but listing, uploading and deleting are never public.
    let (status, _) = send(http().get(server.at(&format!("{B}/pub/objects")))).await;
    assert_eq!(status, 401);
    let (status, _) = send(put_file(
        &server,
        None,
        &format!("{B}/pub/objects/x.txt"),
        "text/plain",
        b"x",
    ))
    .await;
    assert_eq!(status, 401);
    let (status, _) = send(http().delete(server.at(&format!("{B}/pub/objects/mine.txt")))).await;
    assert_eq!(status, 401);

    // Private: no token 401, anon 403, another user 404, the owner and admins 200.
    let private = server.at(&format!("{B}/priv/objects/mine.txt"));
    let (status, _) = send(http().get(&private)).await;
    assert_eq!(status, 401);
    let (status, body) = send(http().get(&private).bearer_auth(&anon)).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (403, Some("FORBIDDEN")),
        "{body}"
    );
    let (status, body) = send(http().get(&private).bearer_auth(&bob)).await;
    assert_envelope(status, &body, 404, "STORAGE_NOT_FOUND", "Object not found");
    let (status, body) = send(
        http()
            .get(server.at(&format!("{B}/priv/download-strategy/objects/mine.txt")))
            .bearer_auth(&bob),
    )
    .await;
    assert_envelope(status, &body, 404, "STORAGE_NOT_FOUND", "Object not found");
    assert_eq!(send_raw(http().get(&private).bearer_auth(&alice)).await.status, 200);
    assert_eq!(
        send_raw(http().get(&private).bearer_auth(server.api_key()))
            .await
            .status,
        200
    );

    // Bob cannot overwrite (403) or delete (404) Alice's object, nor see it in a list.
    let (status, body) = send(put_file(
        &server,
        Some(&bob),
        &format!("{B}/priv/objects/mine.txt"),
        "text/plain",
        b"bob's",
    ))
    .await;
    assert_envelope(
        status,
        &body,
        403,
        "STORAGE_PERMISSION_DENIED",
        "You do not have permission to write \"mine.txt\" in bucket \"priv\"",
    );
    let (status, body) = send(
        http()
            .post(server.at(&format!("{B}/priv/upload-strategy")))
            .bearer_auth(&bob)
            .json(&json!({"filename": "mine.txt"})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (403, Some("STORAGE_PERMISSION_DENIED"))
    );
    let (status, _) = send(http().delete(&private).bearer_auth(&bob)).await;
    assert_eq!(status, 404);
    let (status, body) = send(
        http()
            .delete(server.at(&format!("{B}/priv/objects")))
            .bearer_auth(&bob)
            .json(&json!({"keys": ["mine.txt"]})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"results": [{"key": "mine.txt", "status": "notFound"}]}))
    );
    let (_, body) = send(http().get(server.at(&format!("{B}/priv/objects"))).bearer_auth(&bob)).await;
    assert_eq!(body["pagination"]["total"], 0);
    assert_eq!(send_raw(http().get(&private).bearer_auth(&alice)).await.text, "alice's");

    // The anon key: list and delete 403 FORBIDDEN, writes 403 STORAGE_PERMISSION_DENIED.
    let (status, body) = send(http().get(server.at(&format!("{B}/priv/objects"))).bearer_auth(&anon)).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (403, Some("FORBIDDEN")));
    let (status, body) = send(put_file(
        &server,
        Some(&anon),
        &format!("{B}/priv/objects/anon.txt"),
        "text/plain",
        b"x",
    ))
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (403, Some("STORAGE_PERMISSION_DENIED"))
    );
    let (status, body) = send(http().delete(&private).bearer_auth(&anon)).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (403, Some("FORBIDDEN")));

    // Admins act as the owner: they replace (the owner stays) and delete anything.
    let (status, _) = send(put_file(
        &server,
        Some(server.api_key()),
        &format!("{B}/priv/objects/mine.txt"),
        "text/plain",
        b"admin",
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(rows(&server, "priv").await[0].1.as_deref(), Some("auth0|alice"));
    let (status, _) = send(put_file(
        &server,
        Some(server.api_key()),
        &format!("{B}/priv/objects/by-admin.txt"),
        "text/plain",
        b"x",
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(rows(&server, "priv").await[0].1, None, "admin uploads have no owner");
    let (status, _) = send(http().delete(&private).bearer_auth(server.api_key())).await;
    assert_eq!(status, 200);
    assert!(files(&server).iter().all(|f| f != "priv/mine.txt"));

    // A project replaces the owner policies with its own: a shared folder.
    server
        .sql(
            "CREATE POLICY shared_read ON storage.objects FOR SELECT TO authenticated \
             USING ((storage.foldername(key))[1] = 'shared')",
        )
        .await;
    let (status, _) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/priv/objects/shared/note.txt"),
        "text/plain",
        b"for all",
    ))
    .await;
    assert_eq!(status, 200);
    let got = send_raw(
        http()
            .get(server.at(&format!("{B}/priv/objects/shared/note.txt")))
            .bearer_auth(&bob),
    )
    .await;
    assert_eq!((got.status.as_u16(), got.text.as_str()), (200, "for all"));
    server.stop().await;
}

#[tokio::test]
async fn storage_bad_input_is_refused_and_nothing_is_half_written() {
    let server = TestServer::start().await;
    create_bucket(&server, "b", false).await;
    let alice = user_token(&server, "auth0|alice");
    let invalid_key = "Invalid key. Cannot use \"..\" or start with \"/\"";
    for path in [
        "../x",
        "a/../../x",
        "my..file.png",
        "%2E%2E%2Fx",
        "%2Fleading",
        "a%2F..%2Fb",
    ] {
        let (status, body) = send(put_file(
            &server,
            Some(&alice),
            &format!("{B}/b/objects/{path}"),
            "text/plain",
            b"x",
        ))
        .await;
        // A literal `/../` may be normalised by the client before it is sent: then no route matches.
        if status == 404 && body["error"] == "NOT_FOUND" {
            continue;
        }
        assert_envelope(status, &body, 400, "STORAGE_INVALID_PARAMETER", invalid_key);
        let (status, body) = send(
            http()
                .get(server.at(&format!("{B}/b/objects/{path}")))
                .bearer_auth(&alice),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("STORAGE_INVALID_PARAMETER")),
            "{path}"
        );
    }
    for path in ["%zz", "a%2", "%C3", "%"] {
        let (status, body) = send(
            http()
                .get(server.at(&format!("{B}/b/objects/{path}")))
                .bearer_auth(&alice),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("STORAGE_INVALID_PARAMETER")),
            "{path}: {body}"
        );
    }
    for bucket in ["b%20x", "b'--", "%zz", "a.b"] {
        let (status, body) = send(
            http()
                .get(server.at(&format!("{B}/{bucket}/objects/k")))
                .bearer_auth(&alice),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("STORAGE_INVALID_PARAMETER")),
            "{bucket}: {body}"
        );
    }
    // Multipart without `file`, with another file field, or not multipart at all.
    let (ct, body) = multipart(&[("note", None, "", b"hi")]);
    let (status, body) = send(
        http()
            .put(server.at(&format!("{B}/b/objects/k")))
            .bearer_auth(&alice)
            .header("content-type", ct)
            .body(body),
    )
    .await;
    assert_envelope(status, &body, 400, "STORAGE_INVALID_PARAMETER", "File is required");
    let (ct, body) = multipart(&[("other", Some("x.txt"), "text/plain", b"hi")]);
    let (status, body) = send(
        http()
            .put(server.at(&format!("{B}/b/objects/k")))
            .bearer_auth(&alice)
            .header("content-type", ct)
            .body(body),
    )
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
    assert_eq!(files(&server), ["b/exact.bin"], "no temporary file left");

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
    // A key cannot be both an object and a folder on disk.
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/b/objects/exact.bin/inner"),
        "text/plain",
        b"x",
    ))
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (409, Some("STORAGE_ALREADY_EXISTS")),
        "{body}"
    );
    assert_eq!(rows(&server, "b").await.len(), 1, "the refused upload left no row");
    assert_eq!(files(&server), ["b/exact.bin"]);
    server.stop().await;
}

#[tokio::test]
async fn storage_a_client_that_disconnects_mid_upload_leaves_nothing() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start().await;
    create_bucket(&server, "b", false).await;
    let alice = user_token(&server, "auth0|alice");
    let (ct, body) = multipart(&[(
        "file",
        Some("x.bin"),
        "application/octet-stream",
        &vec![b'z'; 512 * 1024],
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
    let mut left = files(&server);
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = files(&server);
    }
    assert!(left.is_empty(), "{left:?}");
    assert!(rows(&server, "b").await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn storage_unsafe_types_are_never_served_inline_and_values_are_just_values() {
    let server = TestServer::start().await;
    create_bucket(&server, "site", true).await;
    let alice = user_token(&server, "auth0|alice");
    let html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>";
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/site/objects/index.html"),
        "text/html",
        html,
    ))
    .await;
    assert_eq!(
        (status.as_u16(), body["mimeType"].as_str()),
        (200, Some("application/octet-stream"))
    );
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let (_, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/site/objects/x.svg"),
        "image/svg+xml",
        svg,
    ))
    .await;
    assert_eq!(body["mimeType"], "application/octet-stream");
    let png = [
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R', 0, 0, 0, 1,
    ];
    let (_, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/site/objects/img"),
        "text/html",
        &png,
    ))
    .await;
    assert_eq!(body["mimeType"], "image/png", "the bytes decide");
    let got = send_raw(http().get(server.at(&format!("{B}/site/objects/index.html")))).await;
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(got.header("content-disposition"), Some("attachment"));
    // Stored as unsafe anyway (by SQL): still an attachment.
    server
        .sql("UPDATE storage.objects SET mime_type = 'text/html' WHERE key = 'index.html'")
        .await;
    let got = send_raw(http().get(server.at(&format!("{B}/site/objects/index.html")))).await;
    assert_eq!(got.header("content-disposition"), Some("attachment"));

    // Injection attempts in keys, search and prefix are values.
    let key = "'; DROP TABLE storage.objects; --";
    let (status, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/site/objects/{}", urlencode(key)),
        "text/plain",
        b"x",
    ))
    .await;
    assert_eq!((status.as_u16(), body["key"].as_str()), (200, Some(key)));
    for query in [
        "?search=%27%20OR%201%3D1%20--",
        "?prefix=%27)%20OR%20(%271",
        "?search=%5C",
    ] {
        let (status, body) = send(
            http()
                .get(server.at(&format!("{B}/site/objects{query}")))
                .bearer_auth(&alice),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["pagination"]["total"].as_i64()),
            (200, Some(0)),
            "{query}: {body}"
        );
    }
    let (_, body) = send(
        http()
            .get(server.at(&format!("{B}/site/objects?search=DROP")))
            .bearer_auth(&alice),
    )
    .await;
    assert_eq!(body["pagination"]["total"], 1);
    server.stop().await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn storage_routes_without_a_directory_answer_503() {
    let server = TestServer::start_with(|c| c.capabilities.storage.storage_dir = None).await;
    let (status, body) = send(
        http()
            .post(server.at(B))
            .bearer_auth(server.api_key())
            .json(&json!({"bucketName": "x"})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (503, Some("STORAGE_NOT_CONFIGURED"))
    );
    let _ = Method::GET;
    server.stop().await;
}
