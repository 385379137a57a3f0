//! Secrets at rest: `system.secrets` holds only ciphertext sealed with a key kept outside the
//! database; plain-text values are sealed when a key arrives; a wrong or missing key stops the start.

use oxforge_testkit::{TEST_ENCRYPTION_KEY, TestServer, cluster, http};
use serde_json::json;

use crate::support::send;

async fn stored_values(database: &str) -> Vec<(String, String)> {
    let db = cluster().connect(database).await.unwrap();
    let rows = db.query("SELECT key, value FROM system.secrets", &[]).await.unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[tokio::test]
async fn the_database_holds_only_ciphertext_and_the_api_reads_plain_values() {
    let server = TestServer::start().await;
    let (status, _) = send(
        http()
            .post(server.at("/api/secrets"))
            .bearer_auth(server.api_key())
            .json(&json!({"key": "STRIPE_KEY", "value": "sk_live_plaintext_canary"})),
    )
    .await;
    assert_eq!(status, 201);

    let info = &server.info().secrets;
    let plain = [
        server.api_key(),
        server.anon_key(),
        server.jwt_secret(),
        info.admin_password.as_str(),
        info.key_pair.kid.as_str(),
        "sk_live_plaintext_canary",
        "PRIVATE KEY",
    ];
    let stored = stored_values(&server.database).await;
    assert!(stored.len() >= 8, "{stored:?}");
    for (key, value) in &stored {
        assert!(value.starts_with("enc:v1:"), "{key} is stored in plain text");
        for p in plain {
            assert!(!value.contains(p), "{key} reveals a plain value");
        }
    }
    let (_, body) = send(
        http()
            .get(server.at("/api/secrets/STRIPE_KEY"))
            .bearer_auth(server.api_key()),
    )
    .await;
    assert_eq!(body["value"], "sk_live_plaintext_canary");
    let (_, body) = send(
        http()
            .get(server.at("/api/secrets/JWT_SECRET"))
            .bearer_auth(server.api_key()),
    )
    .await;
    assert_eq!(body["value"], server.jwt_secret());

    // Rotation seals the new key too, and the old one keeps working through its grace period.
    let (status, rotated) = send(
        http()
            .post(server.at("/api/secrets/api-key/rotate"))
            .bearer_auth(server.api_key())
            .json(&json!({"gracePeriodHours": 1})),
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let new_key = rotated["apiKey"].as_str().unwrap();
    for key in [server.api_key(), new_key] {
        let (status, _) = send(http().get(server.at("/api/metadata/anon-key")).bearer_auth(key)).await;
        assert_eq!(status, 200);
    }
    assert!(
        stored_values(&server.database)
            .await
            .iter()
            .all(|(_, v)| v.starts_with("enc:v1:") && !v.contains(new_key))
    );
    server.stop().await;
}

#[tokio::test]
async fn plain_text_is_sealed_when_a_key_arrives_and_a_wrong_or_missing_key_refuses_to_start() {
    let database = cluster().empty_database().await;
    let plain = TestServer::start_on(&database, |c| c.encryption_key = None).await;
    let api_key = plain.api_key().to_owned();
    let stored = stored_values(&database).await;
    assert!(
        stored.iter().any(|(k, v)| k == "API_KEY" && *v == api_key),
        "no key: plain text"
    );
    plain.stop().await;

    let sealed = TestServer::start_on(&database, |_| {}).await;
    assert_eq!(sealed.api_key(), api_key, "the same secrets, now sealed");
    assert!(
        stored_values(&database)
            .await
            .iter()
            .all(|(_, v)| v.starts_with("enc:v1:"))
    );
    let (status, _) = send(http().get(sealed.at("/api/metadata/api-key")).bearer_auth(&api_key)).await;
    assert_eq!(status, 200);
    sealed.stop().await;

    for (key, expected) in [
        (
            Some("a different key, long enough"),
            "does not decrypt with this ENCRYPTION_KEY",
        ),
        (None, "no ENCRYPTION_KEY is configured"),
    ] {
        match TestServer::try_start_on(&database, |c| c.encryption_key = key.map(str::to_owned)).await {
            Ok(_) => panic!("started with the wrong key {key:?}"),
            Err(e) => assert!(e.to_string().contains(expected), "{e}"),
        }
    }
    // The right key still opens everything.
    let again = TestServer::start_on(&database, |c| c.encryption_key = Some(TEST_ENCRYPTION_KEY.into())).await;
    assert_eq!(again.api_key(), api_key);
    again.stop().await;
}
