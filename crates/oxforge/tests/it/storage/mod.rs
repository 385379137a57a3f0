//! Storage over HTTP: buckets and the upload cap (admin), uploads and downloads (streamed,
//! ETag/304, Range/206/416, MIME safety), strategies, listing, deletes (`round_trip`), access
//! (public, private, anon, another user's objects under the default owner policies: `access`)
//! and every bad input of the storage issue (`bad_input`). Shared helpers here.

/// `both!(name)`: the test `name(backend)` twice, as `name::local` (local disk) and `name::s3`
/// (SeaweedFS, proxy mode). A missing `weed` fails the second.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn local() {
                super::$name(oxforge_testkit::StorageBackend::Local).await;
            }
            #[tokio::test]
            async fn s3() {
                super::$name(oxforge_testkit::StorageBackend::S3).await;
            }
        }
    };
}

mod access;
mod bad_input;
mod round_trip;

use oxforge_testkit::{TestServer, hs256, http, now};
use reqwest::RequestBuilder;
use serde_json::json;

use crate::support::send;

pub(crate) const B: &str = "/api/storage/buckets";

/// A token shaped like the Auth0 Action's.
pub(crate) fn user_token(server: &TestServer, sub: &str) -> String {
    hs256(
        server.jwt_secret(),
        &json!({"sub": sub, "role": "authenticated", "aud": "insforge-api", "iat": now(), "exp": now() + 3600}),
    )
}

/// A multipart body: (field name, file name, content type, bytes) each.
pub(crate) fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> (String, Vec<u8>) {
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

pub(crate) fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(t) => request.bearer_auth(t),
        None => request,
    }
}

/// `request` with a multipart body of `parts` (see [`multipart`]).
pub(crate) fn with_form(request: RequestBuilder, parts: &[(&str, Option<&str>, &str, &[u8])]) -> RequestBuilder {
    let (content_type, body) = multipart(parts);
    request.header("content-type", content_type).body(body)
}

pub(crate) fn put_file(
    server: &TestServer,
    token: Option<&str>,
    path: &str,
    content_type: &str,
    bytes: &[u8],
) -> RequestBuilder {
    with_form(
        with_token(http().put(server.at(path)), token),
        &[("file", Some("upload.bin"), content_type, bytes)],
    )
}

pub(crate) async fn create_bucket(server: &TestServer, name: &str, public: bool) {
    let (status, body) = send(
        http()
            .post(server.at(B))
            .bearer_auth(server.api_key())
            .json(&json!({"bucketName": name, "isPublic": public})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

pub(crate) async fn rows(server: &TestServer, bucket: &str) -> Vec<(String, Option<String>, i64)> {
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

/// Every stored object (`<bucket>/<key>`, temporary uploads included), sorted: files below
/// the storage directory, or keys under the server's `APP_KEY` in SeaweedFS.
pub(crate) async fn files(server: &TestServer) -> Vec<String> {
    server.stored_objects().await
}

/// Puts bytes where the server keeps `bucket`/`key`, bypassing it (a presigned upload's
/// result, as confirm-upload finds it).
pub(crate) async fn place_raw(server: &TestServer, bucket: &str, key: &str, bytes: &[u8]) {
    match server.s3_app_key() {
        Some(app_key) => {
            use object_store::ObjectStoreExt;
            let path = object_store::path::Path::from(format!("{app_key}/{bucket}/{key}"));
            let store = oxforge_testkit::seaweedfs().store("place_raw");
            store.put(&path, bytes.to_vec().into()).await.unwrap();
        }
        None => {
            let path = server.storage_dir().unwrap().join(bucket).join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    }
}

/// MD5 (hex) of `bytes`, computed by PostgreSQL.
pub(crate) async fn md5_hex(server: &TestServer, bytes: &[u8]) -> String {
    let db = oxforge_testkit::cluster().connect(&server.database).await.unwrap();
    db.query_one("SELECT md5($1::bytea)", &[&bytes]).await.unwrap().get(0)
}

pub(crate) fn urlencode(text: &str) -> String {
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
