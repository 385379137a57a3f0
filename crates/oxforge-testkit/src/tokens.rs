//! Signing test tokens the way the integration guides do.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::Value;

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An HS256 token over `claims` with `secret` (jsonwebtoken's default, like the guides' `jwt.sign`).
pub fn hs256(secret: &str, claims: &Value) -> String {
    match encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    ) {
        Ok(token) => token,
        Err(e) => panic!("cannot sign a test token: {e}"),
    }
}
