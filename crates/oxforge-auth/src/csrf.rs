//! CSRF values bound to a refresh token's nonce, as InsForge computes them.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// A fresh nonce for a refresh token: 32 random bytes, base64url.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// hex(HMAC-SHA256(JWT_SECRET, "insforge:csrf:v1:<sessionType>:<sub>:<nonce>")).
pub fn csrf_token(jwt_secret: &[u8], session_type: &str, sub: &str, nonce: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, jwt_secret);
    let message = format!("insforge:csrf:v1:{session_type}:{sub}:{nonce}");
    hex::encode(hmac::sign(&key, message.as_bytes()).as_ref())
}

pub fn verify_csrf(jwt_secret: &[u8], session_type: &str, sub: &str, nonce: &str, presented: &str) -> bool {
    let expected = csrf_token(jwt_secret, session_type, sub, nonce);
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value() {
        // Computed independently: printf 'insforge:csrf:v1:user:u1:n1' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            csrf_token(b"secret", "user", "u1", "n1"),
            "fd3949f58411c748dc86cf72ae18ddb5fa90bc2044b4a0aefe545f5f09294bcc"
        );
    }

    #[test]
    fn verify_is_bound_to_every_part() {
        let t = csrf_token(b"s", "admin", "local:admin", "n");
        assert!(verify_csrf(b"s", "admin", "local:admin", "n", &t));
        assert!(!verify_csrf(b"s", "user", "local:admin", "n", &t));
        assert!(!verify_csrf(b"s", "admin", "local:admin", "m", &t));
        assert_eq!(new_nonce().len(), 43);
    }
}
