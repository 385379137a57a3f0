//! Credential dispatch by shape: every branch and its exact answer.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use oxforge_auth::ProjectKeyPair;
use oxforge_testkit::{TestServer, hs256, http, now};
use serde_json::{Value, json};

use crate::support::{assert_envelope, send};

const WHOAMI: &str = "/api/oxforge/whoami";
const ADMIN_ROUTE: &str = "/api/metadata/anon-key";

async fn whoami(server: &TestServer, authorization: &str) -> (reqwest::StatusCode, Value) {
    send(http().get(server.at(WHOAMI)).header("Authorization", authorization)).await
}

fn guide_token(secret: &str, sub: &str, extra: Value) -> String {
    let mut claims = json!({
        "sub": sub, "role": "authenticated", "aud": "insforge-api", "email": "u@x.io", "exp": now() + 3600
    });
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            c.insert(k.clone(), v.clone());
        }
    }
    hs256(secret, &claims)
}

/// An RS256 token; `kid: None` leaves the header without one.
fn rs256(claims: &Value, kid: Option<&str>, private_pem: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_no_token() {
    let server = TestServer::start().await;
    let (status, body) = send(http().get(server.at(WHOAMI))).await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_CREDENTIALS", "No token provided");
    for value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc"] {
        let (status, body) = whoami(&server, value).await;
        assert_envelope(status, &body, 401, "AUTH_INVALID_CREDENTIALS", "No token provided");
    }
    // A token without its scheme is still no credential, and the message names the fix.
    for value in ["eyJhbGciOi", "anon_abc"] {
        let (status, body) = whoami(&server, value).await;
        assert_envelope(
            status,
            &body,
            401,
            "AUTH_INVALID_CREDENTIALS",
            "No token provided: the Authorization header needs the Bearer scheme: `Authorization: Bearer <token>`",
        );
    }
    let (status, body) = send(http().get(server.at(ADMIN_ROUTE))).await;
    assert_envelope(
        status,
        &body,
        401,
        "AUTH_INVALID_CREDENTIALS",
        "No admin token provided",
    );
    server.stop().await;
}

#[tokio::test]
async fn anon_key_branch() {
    let server = TestServer::start().await;
    let (status, body) = whoami(&server, &format!("Bearer {}", server.anon_key())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"role": "anon", "claims": {"role": "anon"}}));
    let (status, body) = whoami(&server, "Bearer anon_wrong").await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_CREDENTIALS", "Invalid anon key");
    // A valid anon key is not an admin credential.
    let (status, body) = send(http().get(server.at(ADMIN_ROUTE)).bearer_auth(server.anon_key())).await;
    assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
    server.stop().await;
}

#[tokio::test]
async fn api_key_branch_bearer_and_header() {
    let server = TestServer::start().await;
    let admin = json!({"role": "project_admin", "claims": {"role": "project_admin"}});
    let (status, body) = whoami(&server, &format!("Bearer {}", server.api_key())).await;
    assert_eq!((status.as_u16(), body.clone()), (200, admin.clone()));
    let (status, body) = send(http().get(server.at(WHOAMI)).header("x-api-key", server.api_key())).await;
    assert_eq!((status.as_u16(), body), (200, admin));
    let (status, body) = whoami(&server, "Bearer ik_wrong").await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_API_KEY", "Invalid API key");
    // x-api-key wins over a valid bearer JWT: a wrong key is an error, not a fallback.
    let user = guide_token(server.jwt_secret(), "auth0|1", json!({}));
    let (status, body) = send(
        http()
            .get(server.at(WHOAMI))
            .bearer_auth(&user)
            .header("x-api-key", "ik_wrong"),
    )
    .await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_API_KEY", "Invalid API key");
    for request in [
        http().get(server.at(ADMIN_ROUTE)).bearer_auth(server.api_key()),
        http().get(server.at(ADMIN_ROUTE)).header("x-api-key", server.api_key()),
    ] {
        let (status, body) = send(request).await;
        assert_eq!(status, 200);
        assert_eq!(body["anonKey"], server.anon_key());
    }
    server.stop().await;
}

#[tokio::test]
async fn auth0_guide_token_reaches_the_database_as_exact_claims() {
    let server = TestServer::start().await;
    let exp = now() + 3600;
    let token = hs256(
        server.jwt_secret(),
        &json!({"sub":"auth0|123","role":"authenticated","aud":"insforge-api","email":"u@x.io","iat":exp - 3600,"exp":exp,"org_id":"o1","iss":"https://tenant.auth0.com/"}),
    );
    let (status, body) = whoami(&server, &format!("Bearer {token}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"role":"authenticated","claims":{"sub":"auth0|123","email":"u@x.io","role":"authenticated","iat":exp - 3600,"exp":exp}})
    );
    // A user token is not an admin credential.
    let (status, body) = send(http().get(server.at(ADMIN_ROUTE)).bearer_auth(&token)).await;
    assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
    server.stop().await;
}

#[tokio::test]
async fn bad_tokens_are_invalid_never_anon() {
    let server = TestServer::start().await;
    let secret = server.jwt_secret().to_owned();
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let alg_none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(r#"{"sub":"a","role":"authenticated"}"#)
    );
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &json!({"sub":"a","exp":now()+60}),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let foreign = ProjectKeyPair::generate().unwrap().private_pem;
    let claims = json!({"sub":"a","exp":now()+60});
    let unknown_kid = rs256(&claims, Some("kid_unknown"), &foreign);
    let no_kid = rs256(&claims, None, &foreign);
    // Our kid, but signed by another key.
    let forged = rs256(&claims, Some(&server.info().secrets.key_pair.kid), &foreign);
    // Algorithm confusion: HS256 keyed with the project's public key PEM.
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub":"a","exp":now()+60}),
        &EncodingKey::from_secret(server.info().secrets.key_pair.public_pem.as_bytes()),
    )
    .unwrap();
    let cases = [
        ("garbage", "Bearer not-a-jwt".to_owned()),
        ("three dots", "Bearer a.b.c".to_owned()),
        ("alg none", format!("Bearer {alg_none}")),
        ("HS512", format!("Bearer {hs512}")),
        (
            "wrong secret",
            format!("Bearer {}", hs256("other-secret", &json!({"sub":"a"}))),
        ),
        (
            "expired",
            format!("Bearer {}", guide_token(&secret, "auth0|1", json!({"exp": now() - 5}))),
        ),
        (
            "nbf in the future",
            format!(
                "Bearer {}",
                guide_token(&secret, "auth0|1", json!({"nbf": now() + 600}))
            ),
        ),
        ("RS256 unknown kid", format!("Bearer {unknown_kid}")),
        ("RS256 no kid", format!("Bearer {no_kid}")),
        ("RS256 forged with our kid", format!("Bearer {forged}")),
        ("HS256 keyed with the public key", format!("Bearer {confused}")),
    ];
    for (name, header) in cases {
        let (status, body) = whoami(&server, &header).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["error"], "AUTH_UNAUTHORIZED", "{name}: {body}");
        assert_eq!(body["message"], "Invalid token", "{name}: {body}");
    }
    server.stop().await;
}

#[tokio::test]
async fn subject_role_and_token_type_rules() {
    let server = TestServer::start().await;
    let secret = server.jwt_secret().to_owned();
    // Stytch's sample uses `userId`, not `sub`.
    let no_sub = hs256(
        &secret,
        &json!({"userId":"user-test-1","role":"authenticated","exp":now()+60}),
    );
    let (status, body) = whoami(&server, &format!("Bearer {no_sub}")).await;
    assert_envelope(status, &body, 401, "AUTH_UNAUTHORIZED", "Invalid token subject");

    let odd_role = hs256(&secret, &json!({"sub":"x","role":"postgres","exp":now()+60}));
    let (status, body) = whoami(&server, &format!("Bearer {odd_role}")).await;
    assert_envelope(status, &body, 403, "FORBIDDEN", "Invalid user role claim");

    let no_role = hs256(&secret, &json!({"sub":"kp_1"}));
    let (status, body) = whoami(&server, &format!("Bearer {no_role}")).await;
    assert_eq!((status.as_u16(), body["role"].clone()), (200, json!("authenticated")));
    assert_eq!(body["claims"]["sub"], "kp_1");

    // The legacy anon JWT: anon, and its fake subject never reaches the database.
    let legacy = hs256(
        &secret,
        &json!({"sub":"12345678-1234-5678-90ab-cdef12345678","email":"anon@insforge.com","role":"anon"}),
    );
    let (status, body) = whoami(&server, &format!("Bearer {legacy}")).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"role":"anon","claims":{"role":"anon"}}))
    );

    // A refresh token is not an access token (InsForge accepts it; oxforge does not).
    let refresh = hs256(
        &secret,
        &json!({"sub":"u1","type":"refresh","iss":"insforge","csrfNonce":"n","sessionType":"user","exp":now()+600}),
    );
    let (status, body) = whoami(&server, &format!("Bearer {refresh}")).await;
    assert_envelope(
        status,
        &body,
        401,
        "AUTH_UNAUTHORIZED",
        "Refresh tokens cannot be used as access tokens",
    );

    // The shared JWT secret never makes an admin (it is handed to Auth0 Actions and app servers).
    let admin = hs256(
        &secret,
        &json!({"sub":"local:admin","role":"project_admin","exp":now()+60}),
    );
    let (status, body) = send(http().get(server.at(ADMIN_ROUTE)).bearer_auth(&admin)).await;
    assert_envelope(
        status,
        &body,
        403,
        "FORBIDDEN",
        "Tokens signed with the JWT secret cannot carry the project_admin role; use the API key or an admin session",
    );
    server.stop().await;
}
