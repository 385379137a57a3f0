//! Credentials. The first byte of the input chooses how the rest is used:
//!
//! - 0: `<Authorization value>\n<x-api-key value>` (second line optional): `classify`, then
//!   `Authenticator::route` and `authenticate_local` (API key, anon key or JWT verification),
//!   and the bearer token as a refresh token;
//! - 1: JWT claims (any bytes, usually JSON) under the header `{"alg":"HS256","typ":"JWT"}`,
//!   signed with the right secret, so claims validation (`exp`, `nbf`, `sub`, `role`, `type`) runs;
//! - 2: `<header bytes>\n<claims bytes>`, HS256-signed with the right secret (header parsing:
//!   `alg`, `kid`, `typ`, unknown fields);
//! - 3: claims under `{"alg":"RS256","typ":"JWT","kid":<project kid>}`, signed with the project key.
//!
//! Every token goes through `classify("Bearer <token>")`, `route`, `authenticate_local` and
//! `verify_refresh_token`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxforge_auth::credential::classify;
use oxforge_auth::jwt::verify_refresh_token;
use oxforge_auth::now_seconds;
use oxforge_fuzz::{JWT_SECRET, KID, authenticator, sign_hs256, sign_rs256, split_line, text};

fn check(authorization: &str, x_api_key: Option<&str>) {
    let auth = authenticator();
    let presented = classify(Some(authorization), x_api_key);
    let _ = auth.route(presented);
    if let Ok(principal) = auth.authenticate_local(presented) {
        let _ = principal.database_claims(now_seconds());
    }
}

fn check_token(token: &str) {
    check(&format!("Bearer {token}"), None);
    let _ = verify_refresh_token(JWT_SECRET.as_bytes(), token);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            let (authorization, key) = split_line(rest);
            let authorization = text(authorization);
            let key = (!key.is_empty()).then(|| text(key));
            check(&authorization, key.as_deref());
            if let Some(token) = authorization.trim().split_once(' ').map(|(_, t)| t.trim()) {
                let _ = verify_refresh_token(JWT_SECRET.as_bytes(), token);
            }
        }
        1 => check_token(&sign_hs256(br#"{"alg":"HS256","typ":"JWT"}"#, rest)),
        2 => {
            let (header, claims) = split_line(rest);
            check_token(&sign_hs256(header, claims));
        }
        _ => {
            let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{KID}"}}"#);
            check_token(&sign_rs256(header.as_bytes(), rest));
        }
    }
});
