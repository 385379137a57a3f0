//! Third-party tokens verified natively, by the providers' published keys (in-process issuers).

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use oxforge_auth::providers::ProviderConfig;
use oxforge_testkit::{KeyKind, TestIssuer, TestServer, hs256, http, now};
use serde_json::{Value, json};

use crate::support::send;

const AUDIENCE: &str = "https://api.oxforge.test";

fn provider(issuer: &TestIssuer, algorithms: &[&str]) -> ProviderConfig {
    ProviderConfig {
        name: Some("test-oidc".into()),
        issuer: Some(issuer.url.clone()),
        audiences: vec![AUDIENCE.into()],
        algorithms: algorithms.iter().map(|a| (*a).to_owned()).collect(),
        ..Default::default()
    }
}

fn claims(issuer: &TestIssuer, sub: &str) -> Value {
    json!({"iss": issuer.url, "sub": sub, "aud": AUDIENCE, "email": "user@idp.test", "iat": now(), "exp": now() + 600})
}

async fn whoami(server: &TestServer, token: &str) -> (u16, Value) {
    let (status, body) = send(http().get(server.at("/api/oxforge/whoami")).bearer_auth(token)).await;
    (status.as_u16(), body)
}

async fn two_issuers() -> (TestIssuer, TestIssuer, TestServer) {
    let (one, two) = (TestIssuer::start().await, TestIssuer::start().await);
    let (p1, mut p2) = (provider(&one, &["RS256", "ES256", "EdDSA"]), provider(&two, &["RS256"]));
    p2.name = Some("with-roles".into());
    p2.role_claim = Some("app.role".into());
    p2.allowed_roles = vec!["anon".into(), "authenticated".into()];
    let server = TestServer::start_with(|c| {
        c.providers = vec![p1, p2];
        c.provider_key_cooldown = 0;
    })
    .await;
    (one, two, server)
}

#[tokio::test]
async fn provider_tokens_are_verified_by_their_issuer_keys() {
    let (one, two, server) = two_issuers().await;
    for kid in ["rsa-1", "ec-1", "ed-1"] {
        let (status, body) = whoami(&server, &one.sign(kid, &claims(&one, "idp|alice"))).await;
        assert_eq!(status, 200, "{kid}: {body}");
        assert_eq!(body["role"], "authenticated");
        let c = &body["claims"];
        assert_eq!(
            (c["sub"].as_str(), c["email"].as_str(), c["role"].as_str()),
            (Some("idp|alice"), Some("user@idp.test"), Some("authenticated"))
        );
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["sub", "email", "role", "iat", "exp"],
            "custom claims never reach the database"
        );
    }
    // A role claim cannot make a provider's user an admin.
    let mut admin_claim = claims(&one, "idp|mallory");
    admin_claim["role"] = json!("project_admin");
    let (status, body) = whoami(&server, &one.sign("rsa-1", &admin_claim)).await;
    assert_eq!((status, body["role"].as_str()), (200, Some("authenticated")));
    let mut with_role = claims(&two, "idp|bob");
    with_role["app"] = json!({"role": "project_admin"});
    let (status, body) = whoami(&server, &two.sign("rsa-1", &with_role)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("AUTH_UNAUTHORIZED")));
    assert!(body["message"].as_str().unwrap().contains("not allowed"), "{body}");
    with_role["app"] = json!({"role": "anon"});
    assert_eq!(whoami(&server, &two.sign("rsa-1", &with_role)).await.1["role"], "anon");
    with_role["app"] = json!({});
    let (status, body) = whoami(&server, &two.sign("rsa-1", &with_role)).await;
    assert_eq!(status, 401);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no role in claim `app.role`"),
        "{body}"
    );
    server.stop().await;
}

#[tokio::test]
async fn provider_tokens_that_must_be_refused() {
    let (one, two, server) = two_issuers().await;
    let refused = |token: String, why: &'static str| {
        let server = &server;
        async move {
            let (status, body) = whoami(server, &token).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("AUTH_UNAUTHORIZED")),
                "{why}: {body}"
            );
            body["message"].as_str().unwrap_or("").to_owned()
        }
    };
    let stranger = TestIssuer::start().await;
    refused(stranger.sign("rsa-1", &claims(&stranger, "x")), "unconfigured issuer").await;
    let mut c = claims(&one, "x");
    c["aud"] = json!("someone-else");
    assert!(
        refused(one.sign("rsa-1", &c), "wrong audience")
            .await
            .contains("audience")
    );
    let mut c = claims(&one, "x");
    c["exp"] = json!(now() - 5);
    assert!(refused(one.sign("rsa-1", &c), "expired").await.contains("expired"));
    let mut c = claims(&one, "x");
    c["nbf"] = json!(now() + 600);
    assert!(refused(one.sign("rsa-1", &c), "nbf").await.contains("not valid yet"));
    // Issuer two's key signing a token that claims issuer one: keys are bound to their issuer.
    two.add_key(KeyKind::Rsa, "rsa-two-only");
    let msg = refused(two.sign("rsa-two-only", &claims(&one, "x")), "another issuer's key").await;
    assert!(msg.contains("unknown signing key"), "{msg}");
    // Same kid, different key: the signature fails.
    refused(two.sign("rsa-1", &claims(&one, "x")), "forged with a same-named kid").await;
    // Algorithm confusion: HS256 keyed with issuer one's public key.
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &claims(&one, "x"),
        &EncodingKey::from_secret(one.public_pem("rsa-1").as_bytes()),
    )
    .unwrap();
    refused(confused, "HS256 with the public key").await;
    // alg: none.
    let b64 = |s: String| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s);
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","kid":"rsa-1"}"#.into()),
        b64(claims(&one, "x").to_string())
    );
    refused(none, "alg none").await;
    // An algorithm the provider does not accept (issuer two: RS256 only).
    let msg = refused(two.sign("ec-1", &claims(&two, "x")), "ES256 at an RS256-only provider").await;
    assert!(msg.contains("algorithm"), "{msg}");
    server.stop().await;
}

#[tokio::test]
async fn key_rotation_outages_and_the_shared_secret_path() {
    let (one, two, server) = two_issuers().await;
    assert_eq!(whoami(&server, &one.sign("rsa-1", &claims(&one, "a"))).await.0, 200);
    let fetches = one.fetches();
    // Rotation at the issuer is picked up without a restart.
    one.add_key(KeyKind::Rsa, "rsa-2");
    assert_eq!(whoami(&server, &one.sign("rsa-2", &claims(&one, "a"))).await.0, 200);
    assert_eq!(one.fetches(), fetches + 1, "one refetch for the unknown kid");
    assert_eq!(whoami(&server, &one.sign("rsa-2", &claims(&one, "a"))).await.0, 200);
    assert_eq!(one.fetches(), fetches + 1, "known keys need no fetch");
    // Many concurrent requests naming a new key share one fetch.
    one.add_key(KeyKind::P256, "ec-2");
    let token = one.sign("ec-2", &claims(&one, "a"));
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (url, token) = (server.at("/api/oxforge/whoami"), token.clone());
        burst.spawn(async move {
            http()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
    }
    let statuses: Vec<u16> = burst.join_all().await.into_iter().map(|r| r.unwrap_or(0)).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(one.fetches(), fetches + 2, "one fetch for the whole burst");

    // Issuer one goes down: its cached keys still verify, an unknown kid is refused quickly, and the
    // other provider and the shared-secret path are unaffected.
    one.set_failing(true);
    assert_eq!(whoami(&server, &one.sign("ec-1", &claims(&one, "a"))).await.0, 200);
    one.add_key(KeyKind::Rsa, "rsa-3");
    let started = Instant::now();
    assert_eq!(whoami(&server, &one.sign("rsa-3", &claims(&one, "a"))).await.0, 401);
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "a provider outage must not hang requests"
    );
    assert_eq!(whoami(&server, &two.sign("rsa-1", &json!({"iss": two.url, "sub": "b", "aud": AUDIENCE, "app": {"role": "authenticated"}, "exp": now() + 60}))).await.0, 200);
    let shared = hs256(
        server.jwt_secret(),
        &json!({"sub": "auth0|c", "role": "authenticated", "aud": "insforge-api", "exp": now() + 60}),
    );
    assert_eq!(whoami(&server, &shared).await.0, 200);
    one.set_failing(false);
    assert_eq!(
        whoami(&server, &one.sign("rsa-3", &claims(&one, "a"))).await.0,
        200,
        "back once the provider is"
    );
    server.stop().await;
}

#[tokio::test]
async fn provider_users_get_rls_scoped_rows() {
    let (one, _two, server) = two_issuers().await;
    server.sql(crate::support::AUTH0_GUIDE_SQL).await;
    let alice = one.sign("rsa-1", &claims(&one, "idp|alice"));
    let bob = one.sign("ed-1", &claims(&one, "idp|bob"));
    crate::support::assert_todos_isolated(&server, (&alice, "idp|alice"), &bob).await;
    server.stop().await;
}

#[tokio::test]
async fn providers_and_token_checks_are_visible_to_the_admin() {
    let (one, _two, server) = two_issuers().await;
    assert_eq!(whoami(&server, &one.sign("rsa-1", &claims(&one, "a"))).await.0, 200);
    let admin = |req: reqwest::RequestBuilder| req.bearer_auth(server.api_key().to_owned());
    let (status, body) = send(admin(http().get(server.at("/api/oxforge/auth/providers")))).await;
    assert_eq!(status, 200);
    let providers = body["providers"].as_array().unwrap();
    assert_eq!(providers.len(), 2);
    let first = providers.iter().find(|p| p["name"] == "test-oidc").unwrap();
    assert_eq!(first["issuer"], one.url.as_str());
    assert_eq!(first["keys"]["keyIds"], json!(["ec-1", "ed-1", "rsa-1"]));
    let with_roles = providers.iter().find(|p| p["name"] == "with-roles").unwrap();
    assert_eq!(with_roles["role"]["claim"], "app.role");

    let check = |token: String| {
        send(admin(
            http()
                .post(server.at("/api/oxforge/auth/check"))
                .json(&json!({ "token": token })),
        ))
    };
    let (_, body) = check(one.sign("ec-1", &claims(&one, "idp|z"))).await;
    assert_eq!(
        (body["valid"].clone(), body["role"].clone()),
        (json!(true), json!("authenticated"))
    );
    assert!(body["verifiedBy"].as_str().unwrap().contains("third-party"), "{body}");
    assert_eq!(body["claims"]["sub"], "idp|z");
    let mut wrong = claims(&one, "x");
    wrong["aud"] = json!("nope");
    let (_, body) = check(one.sign("rsa-1", &wrong)).await;
    assert_eq!(
        (body["valid"].clone(), body["status"].clone()),
        (json!(false), json!(401))
    );
    assert!(body["message"].as_str().unwrap().contains("audience"), "{body}");
    let (_, body) = check(hs256(server.jwt_secret(), &json!({"sub": "s", "exp": now() + 60}))).await;
    assert!(body["verifiedBy"].as_str().unwrap().contains("JWT secret"), "{body}");
    let (_, body) = check(server.anon_key().to_owned()).await;
    assert_eq!(
        (body["valid"].clone(), body["role"].clone()),
        (json!(true), json!("anon"))
    );
    server.stop().await;
}
