//! Admin sign-in, the metadata keys, the JWT secret, JWKS, and bad bodies.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use oxforge_testkit::{TestServer, http};
use serde_json::{Value, json};

use crate::support::{assert_envelope, send};

fn sign_in(server: &TestServer, body: Value) -> reqwest::RequestBuilder {
    http().post(server.at("/api/auth/admin/sessions")).json(&body)
}

#[tokio::test]
async fn admin_sign_in_issues_a_verifiable_token_cookie_and_csrf() {
    let server = TestServer::start_with(|c| {
        c.root_admin_username = Some("root".into());
        c.root_admin_password = Some("s3cret-pass-phrase".into());
    })
    .await;
    let response = sign_in(&server, json!({"username":"root","password":"s3cret-pass-phrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["admin"], json!({"sub":"local:root"}));

    // The access token is RS256 with the project kid, verifiable with the published JWKS.
    let token = body["accessToken"].as_str().unwrap();
    let header = decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let (status, jwks) = send(http().get(server.at("/.well-known/jwks.json"))).await;
    assert_eq!(status, 200);
    let (_, jwks_api) = send(http().get(server.at("/api/.well-known/jwks.json"))).await;
    assert_eq!(jwks, jwks_api);
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let jwk = &keys[0];
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str(), jwk["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());
    let key = DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    let claims = decode::<Value>(token, &key, &validation).unwrap().claims;
    assert_eq!(claims["sub"], "local:root");
    assert_eq!(claims["role"], "project_admin");
    let ttl = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(ttl, 15 * 60);

    // The token is an admin credential.
    let (status, keys) = send(http().get(server.at("/api/metadata/api-key")).bearer_auth(token)).await;
    assert_eq!(status, 200);
    assert_eq!(keys["apiKey"], server.api_key());

    // The refresh cookie: httpOnly, on the admin path, and its nonce backs the CSRF token.
    for attribute in [
        "insforge_admin_refresh_token=",
        "HttpOnly",
        "Secure",
        "SameSite=None",
        "Path=/api/auth/admin",
        "Max-Age=604800",
    ] {
        assert!(cookie.contains(attribute), "{attribute} missing in {cookie}");
    }
    let refresh = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("insforge_admin_refresh_token=");
    let mut hs = Validation::new(Algorithm::HS256);
    hs.validate_aud = false;
    let refresh_claims = decode::<Value>(refresh, &DecodingKey::from_secret(server.jwt_secret().as_bytes()), &hs)
        .unwrap()
        .claims;
    assert_eq!(refresh_claims["type"], "refresh");
    assert_eq!(refresh_claims["sessionType"], "admin");
    let nonce = refresh_claims["csrfNonce"].as_str().unwrap();
    let expected = oxforge_auth::csrf::csrf_token(server.jwt_secret().as_bytes(), "admin", "local:root", nonce);
    assert_eq!(body["csrfToken"], expected);
    // ...and the refresh token is not an access token.
    let (status, _) = send(http().get(server.at("/api/metadata/api-key")).bearer_auth(refresh)).await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test]
async fn admin_sign_in_failures() {
    let server = TestServer::start_with(|c| c.root_admin_password = Some("right-password".into())).await;
    for body in [
        json!({"username":"admin","password":"wrong"}),
        json!({"username":"other","password":"right-password"}),
    ] {
        let (status, body) = send(sign_in(&server, body)).await;
        assert_envelope(status, &body, 401, "AUTH_UNAUTHORIZED", "Invalid admin credentials");
    }
    let (status, body) = send(sign_in(
        &server,
        json!({"username":"admin","password":"right-password"}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn malformed_and_oversize_bodies_are_4xx_envelopes() {
    let server = TestServer::start_with(|c| c.http.body_limit = 1024).await;
    let url = server.at("/api/auth/admin/sessions");
    for raw in ["{", "not json", "{\"username\": }", "\u{0}"] {
        let (status, body) = send(http().post(&url).header("content-type", "application/json").body(raw)).await;
        assert_eq!(status, 400, "{raw:?}: {body}");
        assert_eq!(body["error"], "INVALID_INPUT");
        assert!(
            body["message"].as_str().unwrap().starts_with("Invalid JSON body"),
            "{body}"
        );
    }
    // Wrong JSON types.
    let (status, body) = send(http().post(&url).json(&json!({"username": 1, "password": null}))).await;
    assert_envelope(
        status,
        &body,
        400,
        "INVALID_INPUT",
        "username: Expected string, password: Required",
    );
    let big = format!("{{\"username\":\"{}\",\"password\":\"x\"}}", "a".repeat(4096));
    let (status, body) = send(http().post(&url).header("content-type", "application/json").body(big)).await;
    assert_envelope(status, &body, 413, "PAYLOAD_TOO_LARGE", "Request body is too large");
    server.stop().await;
}

#[tokio::test]
async fn metadata_keys_and_jwt_secret() {
    let server = TestServer::start().await;
    let get = |path: &str| http().get(server.at(path)).bearer_auth(server.api_key());
    let (status, body) = send(get("/api/metadata/api-key")).await;
    assert_eq!((status.as_u16(), body), (200, json!({"apiKey": server.api_key()})));
    let (status, body) = send(get("/api/metadata/anon-key")).await;
    assert_eq!((status.as_u16(), body), (200, json!({"anonKey": server.anon_key()})));
    let (status, body) = send(get("/api/secrets/JWT_SECRET")).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"key":"JWT_SECRET","value": server.jwt_secret()}))
    );
    assert_eq!(server.jwt_secret().len(), 64);
    let (status, body) = send(get("/api/secrets/NOPE")).await;
    assert_envelope(status, &body, 404, "SECRET_NOT_FOUND", "Secret not found: NOPE");
    // Not readable with the anon key.
    let (status, body) = send(
        http()
            .get(server.at("/api/secrets/JWT_SECRET"))
            .bearer_auth(server.anon_key()),
    )
    .await;
    assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
    server.stop().await;
}
