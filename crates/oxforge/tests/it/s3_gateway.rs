//! The S3 gateway (`/storage/v1/s3`) and its access keys: the admin routes for keys (shape,
//! secret shown once and sealed at rest, limit, validation, who may call them), and the gateway
//! driven by real S3 clients — boto3, the AWS CLI and rclone, from `tests/s3/gateway_check.py`
//! — on both backends (local disk, SeaweedFS), with nothing left behind in the staging areas.

use std::path::PathBuf;

use oxforge_testkit::{StorageBackend, TestServer, http};
use serde_json::{Value, json};

use crate::support::send;

const KEYS: &str = "/api/storage/s3/access-keys";

async fn create_key(server: &TestServer, description: Value) -> (u16, Value) {
    let (status, body) = send(
        http()
            .post(server.at(KEYS))
            .bearer_auth(server.api_key())
            .json(&json!({ "description": description })),
    )
    .await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn access_keys_are_shown_once_sealed_and_limited() {
    let server = TestServer::start().await;
    let (status, created) = create_key(&server, json!("laptop backups")).await;
    assert_eq!(status, 201, "{created}");
    let id = created["accessKeyId"].as_str().unwrap().to_owned();
    let secret = created["secretAccessKey"].as_str().unwrap().to_owned();
    assert!(id.starts_with("INSF") && id.len() == 20, "{id}");
    assert!(
        id[4..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(secret.len(), 40, "{secret}");
    assert_eq!(created["description"], "laptop backups");
    assert!(created["lastUsedAt"].is_null());
    assert!(created["id"].as_str().unwrap().len() == 36 && created["createdAt"].is_string());

    // Listed without the secret; the stored form is sealed, not the secret.
    let (status, listed) = send(http().get(server.at(KEYS)).bearer_auth(server.api_key())).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["accessKeyId"], id.as_str());
    assert!(listed[0].get("secretAccessKey").is_none() && !listed.to_string().contains(&secret));
    server
        .sql(&format!(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM storage.s3_access_keys \
             WHERE secret_access_key_encrypted LIKE '%{secret}%' OR secret_access_key_encrypted NOT LIKE 'enc:v1:%') \
             THEN RAISE EXCEPTION 'an access key secret is stored in plain text'; END IF; END $$"
        ))
        .await;

    // Validation, and who may call.
    let (status, body) = create_key(&server, json!("x".repeat(201))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("INVALID_INPUT")), "{body}");
    let (status, body) = create_key(&server, json!(42)).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = create_key(&server, json!("x".repeat(200_000))).await;
    assert_eq!(
        status, 413,
        "an oversized body is refused before it is read whole: {body}"
    );
    let (status, _) = send(http().get(server.at(KEYS))).await;
    assert_eq!(status, 401);
    let (status, _) = send(http().get(server.at(KEYS)).bearer_auth(server.anon_key())).await;
    assert_eq!(status, 403);
    let (status, _) = send(
        http()
            .post(server.at(KEYS))
            .bearer_auth(server.anon_key())
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 403);

    // At most 50.
    for _ in 1..50 {
        assert_eq!(create_key(&server, Value::Null).await.0, 201);
    }
    let (status, body) = create_key(&server, Value::Null).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("S3_ACCESS_KEY_LIMIT_EXCEEDED")),
        "{body}"
    );

    // Deleted: 204, then 404; an id that is not a UUID is a 404 too, never a 500.
    let uuid = created["id"].as_str().unwrap();
    let response = http()
        .delete(server.at(&format!("{KEYS}/{uuid}")))
        .bearer_auth(server.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (status, body) = send(
        http()
            .delete(server.at(&format!("{KEYS}/{uuid}")))
            .bearer_auth(server.api_key()),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (404, Some("S3_ACCESS_KEY_NOT_FOUND")),
        "{body}"
    );
    let (status, _) = send(
        http()
            .delete(server.at(&format!("{KEYS}/'%20OR%201=1--")))
            .bearer_auth(server.api_key()),
    )
    .await;
    assert_eq!(status, 404);
    let (_, listed) = send(http().get(server.at(KEYS)).bearer_auth(server.api_key())).await;
    assert_eq!(listed.as_array().unwrap().len(), 49);
    server.stop().await;
}

#[tokio::test]
async fn the_gateway_answers_in_xml_and_reports_itself() {
    let server = TestServer::start().await;
    let response = http().get(server.at("/storage/v1/s3/")).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/xml");
    let text = response.text().await.unwrap();
    assert!(text.contains("<Code>AccessDenied</Code>"), "{text}");
    let (status, config) = send(
        http()
            .get(server.at("/api/storage/s3/config"))
            .bearer_auth(server.api_key()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(config["available"], true);
    server.stop().await;

    // Turned off, it is gone and the configuration says so.
    let server = TestServer::start_with(|c| c.capabilities.storage.s3_gateway = false).await;
    let response = http().get(server.at("/storage/v1/s3/")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let (_, config) = send(
        http()
            .get(server.at("/api/storage/s3/config"))
            .bearer_auth(server.api_key()),
    )
    .await;
    assert_eq!(config["available"], false);
    server.stop().await;
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// boto3, the AWS CLI and rclone against the gateway.
async fn real_clients(backend: StorageBackend) {
    let server = TestServer::start_with_storage(backend, |_| {}).await;
    let (status, key) = create_key(&server, json!("gateway suite")).await;
    assert_eq!(status, 201, "{key}");
    let work = tempfile::tempdir().unwrap();
    let script = repo_root().join("tests/s3/gateway_check.py");
    let output = tokio::process::Command::new("python3")
        .arg(&script)
        .env("S3_ENDPOINT", server.at("/storage/v1/s3"))
        .env("S3_KEY_ID", key["accessKeyId"].as_str().unwrap())
        .env("S3_SECRET", key["secretAccessKey"].as_str().unwrap())
        .env("S3_REGION", "us-east-2")
        .env("OXFORGE_URL", &server.url)
        .env("OXFORGE_API_KEY", server.api_key())
        .env("WORK", work.path())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(900), output)
        .await
        .expect("the gateway suite took more than 15 minutes")
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("all passed"),
        "the gateway suite failed ({:?}):\n{stdout}\n{stderr}",
        output.status
    );
    // Nothing left in the staging areas: no temporary upload, no multipart part.
    let stored = server.stored_objects().await;
    let left: Vec<_> = stored
        .iter()
        .filter(|p| p.starts_with(".tmp") || p.starts_with(".multipart"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(stored.iter().any(|p| p == "gw-obj/from-s3.txt"), "{stored:?}");
    // The key is marked used.
    let (_, listed) = send(http().get(server.at(KEYS)).bearer_auth(server.api_key())).await;
    assert!(listed[0]["lastUsedAt"].is_string(), "{listed}");
    server.stop().await;
}

mod real_clients {
    #[tokio::test]
    async fn local() {
        super::real_clients(oxforge_testkit::StorageBackend::Local).await;
    }
    #[tokio::test]
    async fn s3() {
        super::real_clients(oxforge_testkit::StorageBackend::S3).await;
    }
}

/// The AWS CLI's `s3api` against `server`'s gateway with `key`: its JSON answer, or its stderr.
async fn s3api(server: &TestServer, key: &Value, args: &[&str]) -> Result<Value, String> {
    let config = tempfile::NamedTempFile::new().unwrap();
    let output = tokio::process::Command::new("aws")
        .args([
            "--endpoint-url",
            &server.at("/storage/v1/s3"),
            "--region",
            "us-east-2",
            "s3api",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", key["accessKeyId"].as_str().unwrap())
        .env("AWS_SECRET_ACCESS_KEY", key["secretAccessKey"].as_str().unwrap())
        .env("AWS_CONFIG_FILE", config.path())
        .env("AWS_SHARED_CREDENTIALS_FILE", config.path())
        .output()
        .await
        .expect("the AWS CLI (aws) runs");
    if output.status.success() {
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        })
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[tokio::test]
async fn abandoned_multipart_uploads_are_swept() {
    let server = TestServer::start().await;
    let (_, key) = create_key(&server, json!("sweeper")).await;
    s3api(&server, &key, &["create-bucket", "--bucket", "mp"])
        .await
        .unwrap();
    let old = s3api(
        &server,
        &key,
        &["create-multipart-upload", "--bucket", "mp", "--key", "old"],
    )
    .await
    .unwrap();
    let old_id = old["UploadId"].as_str().unwrap().to_owned();
    let part = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(part.path(), b"a part nobody completes").unwrap();
    let body = part.path().to_str().unwrap();
    s3api(
        &server,
        &key,
        &[
            "upload-part",
            "--bucket",
            "mp",
            "--key",
            "old",
            "--upload-id",
            &old_id,
            "--part-number",
            "1",
            "--body",
            body,
        ],
    )
    .await
    .unwrap();
    let stored = server.stored_objects().await;
    assert!(
        stored.iter().any(|p| p.starts_with(&format!(".multipart/{old_id}/"))),
        "{stored:?}"
    );

    // A week later: the next upload started sweeps it.
    server
        .sql(&format!(
            "UPDATE storage.s3_multipart_uploads SET created_at = now() - interval '8 days' WHERE upload_id = '{old_id}'"
        ))
        .await;
    let fresh = s3api(
        &server,
        &key,
        &["create-multipart-upload", "--bucket", "mp", "--key", "new"],
    )
    .await
    .unwrap();
    let refused = s3api(
        &server,
        &key,
        &["list-parts", "--bucket", "mp", "--key", "old", "--upload-id", &old_id],
    )
    .await
    .unwrap_err();
    assert!(refused.contains("NoSuchUpload"), "{refused}");
    let stored = server.stored_objects().await;
    assert!(
        !stored.iter().any(|p| p.starts_with(&format!(".multipart/{old_id}"))),
        "{stored:?}"
    );
    // The fresh one is untouched: it still takes parts.
    let fresh_id = fresh["UploadId"].as_str().unwrap();
    let sent = s3api(
        &server,
        &key,
        &[
            "upload-part",
            "--bucket",
            "mp",
            "--key",
            "new",
            "--upload-id",
            fresh_id,
            "--part-number",
            "1",
            "--body",
            body,
        ],
    )
    .await
    .unwrap();
    assert!(sent["ETag"].is_string(), "{sent}");

    // The bucket made through the gateway is in the audit trail, by the key that made it.
    let actor = format!("s3:{}", key["accessKeyId"].as_str().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, trail) = send(http().get(server.at("/api/logs/audits")).bearer_auth(server.api_key())).await;
        assert_eq!(status, 200, "{trail}");
        let found = trail.as_array().unwrap().iter().any(|row| {
            row["actor"] == actor.as_str() && row["action"] == "CREATE_BUCKET" && row["details"]["bucketName"] == "mp"
        });
        if found {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no CREATE_BUCKET by {actor}: {trail}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.stop().await;
}
