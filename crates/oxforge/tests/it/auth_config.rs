//! The auth configuration: `GET|PUT /api/auth/config` (admin), `GET /api/auth/public-config`,
//! and what it changes at once: sign-up closed, password rules; `/api/metadata`'s auth section;
//! the record on an upgraded database.

use oxforge_testkit::{TestServer, cluster, http};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_envelope, send};

async fn get_config(server: &TestServer) -> (StatusCode, Value) {
    send(http().get(server.at("/api/auth/config")).bearer_auth(server.api_key())).await
}

async fn put_config(server: &TestServer, body: Value) -> (StatusCode, Value) {
    send(
        http()
            .put(server.at("/api/auth/config"))
            .bearer_auth(server.api_key())
            .json(&body),
    )
    .await
}

/// A change the server must accept; returns the record.
async fn configure(server: &TestServer, body: Value) -> Value {
    let (status, record) = put_config(server, body).await;
    assert_eq!(status, 200, "{record}");
    record
}

async fn public_config(server: &TestServer) -> Value {
    let (status, body) = send(http().get(server.at("/api/auth/public-config"))).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A sign-up with the anon key, as the SDK does.
async fn sign_up(server: &TestServer, email: &str, password: &str) -> (StatusCode, Value) {
    sign_up_with(server, server.anon_key(), email, password).await
}

async fn sign_up_with(server: &TestServer, credential: &str, email: &str, password: &str) -> (StatusCode, Value) {
    let url = server.at("/api/auth/users?client_type=mobile");
    let body = json!({ "email": email, "password": password });
    send(http().post(url).bearer_auth(credential).json(&body)).await
}

/// A new user's access token.
async fn user_token(server: &TestServer, email: &str) -> String {
    let (status, user) = sign_up(server, email, "secret123").await;
    assert_eq!(status, 200, "{user}");
    user["accessToken"].as_str().unwrap_or_default().to_owned()
}

/// The user's email, or why not.
fn created(status: StatusCode, body: &Value) -> Result<&str, String> {
    match (status.as_u16(), body["user"]["email"].as_str()) {
        (200, Some(email)) => Ok(email),
        _ => Err(format!("{status} {body}")),
    }
}

/// The length-only rule's refusal (oxforge's wording, kept from before the record existed).
fn assert_too_short(status: StatusCode, body: &Value, min: usize) {
    let message = format!("Password must be at least {min} characters long");
    assert_envelope(status, body, 400, "INVALID_INPUT", &message);
}

#[tokio::test]
async fn config_round_trip_in_insforge_shape() {
    let server = TestServer::start().await;
    let (status, before) = get_config(&server).await;
    assert_eq!(status, 200, "{before}");
    let keys: Vec<&str> = before.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "id",
        "requireEmailVerification",
        "passwordMinLength",
        "requireNumber",
        "requireLowercase",
        "requireUppercase",
        "requireSpecialChar",
        "verifyEmailMethod",
        "resetPasswordMethod",
        "allowedRedirectUrls",
        "disableSignup",
        "createdAt",
        "updatedAt",
    ];
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    assert_eq!(
        (
            &before["passwordMinLength"],
            &before["disableSignup"],
            &before["verifyEmailMethod"],
            &before["allowedRedirectUrls"]
        ),
        (&json!(6), &json!(false), &json!("code"), &json!([]))
    );
    assert!(before["updatedAt"].as_str().unwrap().ends_with('Z'));

    // A partial update: only what is sent changes; unknown keys and the record's own id and
    // timestamps sent back are ignored.
    let (status, after) = put_config(
        &server,
        json!({
            "passwordMinLength": 10, "requireUppercase": true, "resetPasswordMethod": "link",
            "allowedRedirectUrls": ["https://app.example.com/auth/callback", "myapp://callback"],
            "id": "00000000-0000-0000-0000-000000000000", "createdAt": "x", "somethingElse": 1
        }),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["createdAt"], before["createdAt"]);
    assert_eq!(
        (
            &after["passwordMinLength"],
            &after["requireUppercase"],
            &after["resetPasswordMethod"],
            &after["verifyEmailMethod"],
            &after["requireNumber"]
        ),
        (&json!(10), &json!(true), &json!("link"), &json!("code"), &json!(false))
    );
    assert_eq!(
        after["allowedRedirectUrls"],
        json!(["https://app.example.com/auth/callback", "myapp://callback"])
    );
    let (_, again) = get_config(&server).await;
    assert_eq!(again, after);

    // `null` clears the list; an empty body changes nothing, not even `updatedAt`.
    let (_, cleared) = put_config(&server, json!({"allowedRedirectUrls": null})).await;
    assert_eq!(cleared["allowedRedirectUrls"], json!([]));
    let (status, unchanged) = put_config(&server, json!({})).await;
    assert_eq!((status.as_u16(), &unchanged), (200, &cleared));
    server.stop().await;
}

#[tokio::test]
async fn bad_updates_are_refused_with_insforge_messages_and_change_nothing() {
    let server = TestServer::start().await;
    let (_, before) = get_config(&server).await;
    let cases = [
        (
            json!({"passwordMinLength": 3}),
            "passwordMinLength: Number must be greater than or equal to 4",
        ),
        (
            json!({"passwordMinLength": 200, "disableSignup": true}),
            "passwordMinLength: Number must be less than or equal to 128",
        ),
        (
            json!({"disableSignup": "true"}),
            "disableSignup: Expected boolean, received string",
        ),
        (
            json!({"verifyEmailMethod": "magic"}),
            "verifyEmailMethod: Invalid enum value. Expected 'code' | 'link', received 'magic'",
        ),
        (
            json!({"allowedRedirectUrls": ["https://ok.example.com", "javascript:alert(1)", "not a url"]}),
            "allowedRedirectUrls.1: Invalid URL or wildcard URL, allowedRedirectUrls.2: Invalid URL or wildcard URL",
        ),
        (
            json!({"allowedRedirectUrls": "https://ok.example.com"}),
            "allowedRedirectUrls: Expected array, received string",
        ),
    ];
    for (body, message) in cases {
        let (status, got) = put_config(&server, body).await;
        assert_envelope(status, &got, 400, "INVALID_INPUT", message);
    }
    // No email can be sent yet: requiring verification would lock new users out.
    let (status, got) = put_config(&server, json!({"requireEmailVerification": true})).await;
    assert_envelope(
        status,
        &got,
        400,
        "EMAIL_PROVIDER_NOT_CONFIGURED",
        "An email provider must be configured before email verification can be required.",
    );
    assert!(got["nextActions"].is_string(), "{got}");
    let (_, after) = get_config(&server).await;
    assert_eq!(after, before, "nothing changed");
    server.stop().await;
}

#[tokio::test]
async fn only_admins_read_or_change_the_config() {
    let server = TestServer::start().await;
    let token = user_token(&server, "plain@x.io").await;
    for credential in [server.anon_key().to_owned(), token] {
        let (status, body) = send(http().get(server.at("/api/auth/config")).bearer_auth(&credential)).await;
        assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
        let (status, body) = send(
            http()
                .put(server.at("/api/auth/config"))
                .bearer_auth(&credential)
                .json(&json!({"disableSignup": true})),
        )
        .await;
        assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
    }
    let (status, _) = send(http().get(server.at("/api/auth/config"))).await;
    assert_eq!(status, 401);
    assert_eq!(public_config(&server).await["disableSignup"], false, "nothing changed");
    server.stop().await;
}

#[tokio::test]
async fn closing_sign_up_takes_effect_at_once_and_reopening_too() {
    let server = TestServer::start().await;
    configure(&server, json!({"disableSignup": true})).await;
    assert_eq!(public_config(&server).await["disableSignup"], true);
    let (status, body) = sign_up(&server, "closed@x.io", "secret123").await;
    let refused = "User signups are disabled for this project.";
    assert_envelope(status, &body, 403, "AUTH_SIGNUP_DISABLED", refused);
    // An admin may still create users.
    let (status, body) = sign_up_with(&server, server.api_key(), "by-admin@x.io", "secret123").await;
    assert_eq!(created(status, &body), Ok("by-admin@x.io"));

    configure(&server, json!({"disableSignup": false})).await;
    assert_eq!(public_config(&server).await["disableSignup"], false);
    let (status, body) = sign_up(&server, "closed@x.io", "secret123").await;
    assert_eq!(created(status, &body), Ok("closed@x.io"));
    server.stop().await;
}

#[tokio::test]
async fn password_rules_apply_to_the_next_sign_up() {
    let server = TestServer::start().await;
    let every_rule = json!({"passwordMinLength": 8, "requireNumber": true, "requireLowercase": true,
                            "requireUppercase": true, "requireSpecialChar": true});
    configure(&server, every_rule).await;
    let public = public_config(&server).await;
    assert_eq!(
        (
            &public["passwordMinLength"],
            &public["requireNumber"],
            &public["requireSpecialChar"]
        ),
        (&json!(8), &json!(true), &json!(true))
    );
    let message = "Password must contain at least 8 characters long, at least one number, at least one lowercase letter, at least one uppercase letter, at least one special character";
    for (i, weak) in [
        "Secret1!",
        "secret12!",
        "SECRET12!",
        "Secretaa!",
        "Secret123",
        "Secret12~",
    ]
    .iter()
    .enumerate()
    {
        let (status, body) = sign_up(&server, &format!("weak{i}@x.io"), weak).await;
        if *weak == "Secret1!" {
            // Exactly 8 characters with every class: accepted.
            assert_eq!(status, 200, "{weak}: {body}");
            continue;
        }
        assert_envelope(status, &body, 400, "INVALID_INPUT", message);
    }
    // Back to the defaults: InsForge's length-only rule and oxforge's wording for it.
    configure(
        &server,
        json!({"passwordMinLength": 6, "requireNumber": false, "requireLowercase": false,
               "requireUppercase": false, "requireSpecialChar": false}),
    )
    .await;
    let (status, body) = sign_up(&server, "short@x.io", "12345").await;
    assert_too_short(status, &body, 6);
    let (status, _) = sign_up(&server, "short@x.io", "123456").await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test]
async fn public_config_and_metadata_read_the_record() {
    let server = TestServer::start().await;
    configure(
        &server,
        json!({"passwordMinLength": 12, "verifyEmailMethod": "link",
               "allowedRedirectUrls": ["https://*.example.com/**"]}),
    )
    .await;
    let public = public_config(&server).await;
    assert_eq!(
        public,
        json!({
            "oAuthProviders": [], "customOAuthProviders": [], "requireEmailVerification": false,
            "passwordMinLength": 12, "requireNumber": false, "requireLowercase": false,
            "requireUppercase": false, "requireSpecialChar": false, "verifyEmailMethod": "link",
            "resetPasswordMethod": "code", "disableSignup": false
        }),
        "no id, timestamps or redirect URLs"
    );
    let (status, meta) = send(http().get(server.at("/api/metadata")).bearer_auth(server.api_key())).await;
    assert_eq!(status, 200);
    assert_eq!(meta["auth"]["passwordMinLength"], 12);
    assert_eq!(meta["auth"]["verifyEmailMethod"], "link");
    assert_eq!(meta["auth"]["allowedRedirectUrls"], json!(["https://*.example.com/**"]));
    server.stop().await;
}

#[tokio::test]
async fn an_upgraded_database_gets_the_record_seeded_from_the_setting() {
    // A database from before step 4: no `auth.config`, no row for the step.
    let database = cluster().database_from_template().await;
    cluster()
        .execute_on(
            &database,
            "DROP TABLE auth.config;
             DELETE FROM system.oxforge_bootstrap WHERE component = 'accounts' AND version = 4;",
        )
        .await
        .unwrap();
    let server = TestServer::start_on(&database, |c| c.capabilities.accounts.password_min_length = 9).await;
    let (status, config) = get_config(&server).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(
        (&config["passwordMinLength"], &config["disableSignup"]),
        (&json!(9), &json!(false)),
        "the operator's setting carried into the record"
    );
    let (status, body) = sign_up(&server, "upgraded@x.io", "12345678").await;
    assert_too_short(status, &body, 9);
    server.stop().await;

    // From then on the record decides: a different setting at the next start changes nothing.
    let server = TestServer::start_on(&database, |c| c.capabilities.accounts.password_min_length = 5).await;
    assert_eq!(public_config(&server).await["passwordMinLength"], 9);
    let db = cluster().connect(&database).await.unwrap();
    let rows: i64 = db
        .query_one("SELECT count(*) FROM auth.config", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1, "one record");
    server.stop().await;
}

#[tokio::test]
async fn closed_sign_up_has_no_side_door_and_bad_bodies_change_nothing() {
    let server = TestServer::start().await;
    let token = user_token(&server, "early@x.io").await;
    configure(&server, json!({"disableSignup": true})).await;
    // Neither a user's token nor no credential at all opens it.
    let (status, body) = sign_up_with(&server, &token, "side@x.io", "secret123").await;
    assert_envelope(
        status,
        &body,
        403,
        "AUTH_SIGNUP_DISABLED",
        "User signups are disabled for this project.",
    );
    let bare = http()
        .post(server.at("/api/auth/users"))
        .json(&json!({"email": "bare@x.io", "password": "secret123"}));
    let (status, _) = send(bare).await;
    assert_ne!(status, 200);

    // Bodies that are not a JSON object are refused before anything is read or written.
    let (_, before) = get_config(&server).await;
    for raw in ["not json", "[]", "null", "{\"disableSignup\": false"] {
        let response = http()
            .put(server.at("/api/auth/config"))
            .bearer_auth(server.api_key())
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{raw}");
    }
    // Concurrent changes: each applies whole, one of them is last, the record stays one row.
    let change = |n: i32| put_config(&server, json!({"passwordMinLength": n, "disableSignup": true}));
    let (a, b, c, d) = tokio::join!(change(4), change(7), change(9), change(11));
    for (status, record) in [a, b, c, d] {
        assert_eq!(status, 200, "{record}");
    }
    let (_, after) = get_config(&server).await;
    assert_eq!((&after["id"], &after["disableSignup"]), (&before["id"], &json!(true)));
    assert!([4, 7, 9, 11].contains(&after["passwordMinLength"].as_i64().unwrap()));
    let (status, _) = sign_up(&server, "still-closed@x.io", "secret123").await;
    assert_eq!(status, 403);
    server.stop().await;
}
