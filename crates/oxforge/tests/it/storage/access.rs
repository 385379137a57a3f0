//! Who may read, write, list and delete: public and private buckets, the anon key, other users, admins, a project's own policies; what is never served inline.

use oxforge_testkit::{StorageBackend, TestServer, http};
use serde_json::json;

use super::*;
use crate::support::{assert_envelope, send, send_raw};

both!(storage_access_public_private_anon_and_other_users);
async fn storage_access_public_private_anon_and_other_users(backend: StorageBackend) {
    let server = TestServer::start_with_storage(backend, |_| {}).await;
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
    // The same past one S3 part (sent as a multipart upload to the key itself, completed only
    // once the row is written): refused, and Alice's bytes stay (checked below).
    let big = vec![b'b'; 9 * 1024 * 1024];
    let (status, body) = send(put_file(
        &server,
        Some(&bob),
        &format!("{B}/priv/objects/mine.txt"),
        "application/octet-stream",
        &big,
    ))
    .await;
    assert_eq!(status, 403, "{body}");
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
    assert!(files(&server).await.iter().all(|f| f != "priv/mine.txt"));

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

both!(storage_unsafe_types_are_never_served_inline_and_values_are_just_values);
async fn storage_unsafe_types_are_never_served_inline_and_values_are_just_values(backend: StorageBackend) {
    let server = TestServer::start_with_storage(backend, |_| {}).await;
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
    // Any XML type renders XHTML (and runs its scripts) in a browser: a made-up `+xml` type with
    // the markup past the first 4 KiB is kept as declared, and still only downloaded.
    let mut feed = vec![b' '; 5000];
    feed.extend_from_slice(b"<html xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></html>");
    let (_, body) = send(put_file(
        &server,
        Some(&alice),
        &format!("{B}/site/objects/feed"),
        "application/x-feed+xml",
        &feed,
    ))
    .await;
    assert_eq!(body["mimeType"], "application/x-feed+xml");
    let got = send_raw(http().get(server.at(&format!("{B}/site/objects/feed")))).await;
    assert_eq!(got.header("content-disposition"), Some("attachment"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    // Media stays inline (an <img> or <video> can use the URL).
    let got = send_raw(http().get(server.at(&format!("{B}/site/objects/img")))).await;
    assert_eq!(got.header("content-disposition"), None);

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
    server.stop().await;
}
