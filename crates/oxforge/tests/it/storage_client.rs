//! The Rust client's storage (`client.storage()`) against a live server: buckets, uploads
//! streamed from a file and from a stream, downloads as a stream and into a file, awkward keys,
//! list paging, removes, signed and public URLs, typed errors.

use oxforge_client::{Client, Error, ListOptions, RemoveStatus, StorageErrorKind, Upload};
use oxforge_testkit::{TestServer, hs256, http, now};
use serde_json::json;

/// `n` bytes that are not all alike (so a shifted or truncated copy shows).
pub(crate) fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + i / 4096) % 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_storage() {
    let server = TestServer::start().await;
    let admin = Client::new(&server.url, server.api_key()).unwrap();
    let storage = admin.storage();

    // Buckets.
    storage.create_bucket("docs", false).await.unwrap();
    storage.create_bucket("pics", true).await.unwrap();
    let err = storage.create_bucket("docs", true).await.unwrap_err();
    assert_eq!(err.storage_kind(), Some(StorageErrorKind::BucketAlreadyExists), "{err}");
    let err = storage.create_bucket("bad name", true).await.unwrap_err();
    assert_eq!(err.storage_kind(), Some(StorageErrorKind::InvalidInput), "{err}");
    let buckets = storage.buckets().await.unwrap();
    assert_eq!(
        buckets.iter().map(|b| (b.name.as_str(), b.public)).collect::<Vec<_>>(),
        [("docs", false), ("pics", true)]
    );
    storage.set_public("docs", true).await.unwrap();
    storage.set_public("docs", false).await.unwrap();
    let err = storage.set_public("nope", true).await.unwrap_err();
    assert_eq!(err.storage_kind(), Some(StorageErrorKind::BucketNotFound), "{err}");

    // A few MiB from a file, back as a stream and into a file.
    let work = tempfile::tempdir().unwrap();
    let big = pattern(3 * 1024 * 1024 + 17);
    let source = work.path().join("big.bin");
    std::fs::write(&source, &big).unwrap();
    let docs = storage.from("docs");
    let stored = docs.upload_file("dir/big file.bin", &source).await.unwrap();
    assert_eq!(
        (stored.key.as_str(), stored.size),
        ("dir/big file.bin", big.len() as u64)
    );
    assert!(
        stored.url.contains("/objects/dir%2Fbig%20file.bin?v="),
        "{}",
        stored.url
    );
    let mut download = docs.download("dir/big file.bin").await.unwrap();
    assert_eq!(download.content_length(), Some(big.len() as u64));
    let mut back = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = download.chunk().await.unwrap() {
        back.extend_from_slice(&chunk);
        chunks += 1;
    }
    assert!(back == big, "the stream is the file ({} bytes)", back.len());
    assert!(chunks > 1, "streamed in chunks");
    let target = work.path().join("copy.bin");
    let written = docs.download_to_file("dir/big file.bin", &target).await.unwrap();
    assert_eq!(written, big.len() as u64);
    assert!(std::fs::read(&target).unwrap() == big);

    // From a stream of unknown length (chunked), and from an AsyncRead.
    let streamed = pattern(2 * 1024 * 1024 + 3);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = streamed.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let stored = docs
        .upload(
            "stream.bin",
            Upload::stream(futures_util::stream::iter(chunks)).content_type("application/x-thing"),
        )
        .await
        .unwrap();
    assert_eq!(stored.size, streamed.len() as u64);
    let again = docs.download("stream.bin").await.unwrap().bytes().await.unwrap();
    assert!(again.as_ref() == streamed.as_slice());
    let reader = std::io::Cursor::new(b"hello from a reader".to_vec());
    docs.upload("reader.txt", Upload::reader(reader).content_type("text/plain"))
        .await
        .unwrap();
    let text = docs.download("reader.txt").await.unwrap();
    assert_eq!(text.content_type(), Some("text/plain"));
    assert_eq!(text.bytes().await.unwrap().as_ref(), b"hello from a reader");

    // Keys with spaces, slashes and non-ASCII, listed with prefix, search and paging.
    let keys = [
        "a b/c d.txt",
        "a b/ünï cødé.txt",
        "a b/日本.txt",
        "x/y/z.txt",
        "plus+and&.txt",
    ];
    for (i, key) in keys.iter().enumerate() {
        let stored = docs
            .upload(key, Upload::bytes(format!("object {i}")).content_type("text/plain"))
            .await
            .unwrap();
        assert_eq!(stored.key, *key);
        let bytes = docs.download(key).await.unwrap().bytes().await.unwrap();
        assert_eq!(bytes.as_ref(), format!("object {i}").as_bytes(), "{key}");
    }
    let page = docs
        .list(&ListOptions {
            prefix: Some("a b/".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.pagination.total, 3);
    let all = docs.list(&ListOptions::default()).await.unwrap();
    assert_eq!(all.pagination.total, 8);
    let mut paged = Vec::new();
    for offset in (0..8).step_by(3) {
        let page = docs
            .list(&ListOptions {
                limit: Some(3),
                offset: Some(offset),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (page.pagination.limit, page.pagination.offset, page.pagination.total),
            (3, offset, 8)
        );
        paged.extend(page.data.into_iter().map(|o| o.key));
    }
    assert_eq!(
        paged,
        all.data.iter().map(|o| o.key.clone()).collect::<Vec<_>>(),
        "pages cover the list in order"
    );
    let found = docs
        .list(&ListOptions {
            search: Some("cødé".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.data.len(), 1);
    assert_eq!(found.data[0].key, "a b/ünï cødé.txt");
    assert_eq!(found.data[0].size, 8);

    // Signed URL (private bucket: the object's own URL, with a token) and the public URL.
    let signed = docs.create_signed_url("a b/日本.txt", 60).await.unwrap();
    assert_eq!(signed.method, "direct");
    let raw = http()
        .get(&signed.signed_url)
        .bearer_auth(server.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.text().await.unwrap(), "object 2");
    let pics = storage.from("pics");
    pics.upload("me.txt", Upload::bytes("public bytes")).await.unwrap();
    let url = pics.public_url("me.txt");
    let raw = http().get(&url).send().await.unwrap();
    assert_eq!(
        (raw.status().as_u16(), raw.text().await.unwrap()),
        (200, "public bytes".into())
    );
    let signed = pics.create_signed_url("me.txt", 10).await.unwrap();
    let raw = http().get(&signed.signed_url).send().await.unwrap();
    assert_eq!(raw.status(), 200, "a public bucket's signed URL needs no token");

    // Remove one and many.
    docs.remove("x/y/z.txt").await.unwrap();
    let err = docs.remove("x/y/z.txt").await.unwrap_err();
    assert_eq!(err.storage_kind(), Some(StorageErrorKind::ObjectNotFound), "{err}");
    let results = docs
        .remove_many(&["a b/c d.txt", "missing", "a b/日本.txt", "a b/c d.txt"])
        .await
        .unwrap();
    assert_eq!(
        results.iter().map(|r| (r.key.as_str(), r.status)).collect::<Vec<_>>(),
        [
            ("a b/c d.txt", RemoveStatus::Deleted),
            ("missing", RemoveStatus::NotFound),
            ("a b/日本.txt", RemoveStatus::Deleted)
        ]
    );
    assert_eq!(docs.list(&ListOptions::default()).await.unwrap().pagination.total, 5);

    // Typed errors: a missing bucket, a missing object, a private read with the anon key.
    let nope = storage.from("nope");
    let err = nope.upload("k.txt", Upload::bytes("x")).await.unwrap_err();
    match &err {
        Error::Storage(e) => {
            assert_eq!(
                (e.kind, e.bucket.as_str(), e.key.as_deref()),
                (StorageErrorKind::BucketNotFound, "nope", Some("k.txt"))
            );
            // Found by the upload-strategy probe (as the SDK asks), before any byte is sent.
            assert_eq!((e.status, e.code.as_str()), (404, "STORAGE_NOT_FOUND"));
        }
        other => panic!("{other:?}"),
    }
    let err = docs.download("not-there").await.err().unwrap();
    assert_eq!(err.storage_kind(), Some(StorageErrorKind::ObjectNotFound), "{err}");
    assert_eq!(err.status(), Some(404));
    let err = storage.delete_bucket("nope").await.unwrap_err();
    assert_eq!(err.storage_kind(), Some(StorageErrorKind::BucketNotFound), "{err}");
    let anon = Client::new(&server.url, server.anon_key()).unwrap();
    let err = anon.storage().from("docs").download("reader.txt").await.err().unwrap();
    assert_eq!(err.storage_kind(), Some(StorageErrorKind::PermissionDenied), "{err}");
    let err = anon.storage().buckets().await.unwrap_err();
    assert!(matches!(err.status(), Some(401 | 403)), "{err}");
    let err = docs.upload_file("x", work.path().join("absent")).await.unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");

    // A user's own files (the default owner policies).
    let token = hs256(
        server.jwt_secret(),
        &json!({"sub": "auth0|alice", "role": "authenticated", "iat": now(), "exp": now() + 600}),
    );
    let alice = admin.as_user(token);
    let mine = alice.storage().from("docs");
    mine.upload("alice/note.txt", Upload::bytes("hers")).await.unwrap();
    let listed = mine.list(&ListOptions::default()).await.unwrap();
    assert_eq!(
        listed.data.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(),
        ["alice/note.txt"]
    );
    assert_eq!(listed.data[0].uploaded_by.as_deref(), Some("auth0|alice"));

    // Over the upload cap: the server's 413, typed, even while the body is still streaming.
    let (status, _) = crate::support::send(
        http()
            .put(server.at("/api/storage/config"))
            .bearer_auth(server.api_key())
            .json(&json!({"maxFileSizeMb": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let err = docs.upload_file("too-big.bin", &source).await.unwrap_err();
    assert_eq!(err.storage_kind(), Some(StorageErrorKind::TooLarge), "{err:?}");

    storage.delete_bucket("docs").await.unwrap();
    assert_eq!(storage.buckets().await.unwrap().len(), 1);
}
