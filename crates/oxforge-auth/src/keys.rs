//! The project's opaque keys and secrets: generation and normalisation.

use crate::credential::{ANON_KEY_PREFIX, API_KEY_PREFIX};

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(buf.as_mut_slice());
    hex::encode(buf)
}

/// A new admin API key: `ik_` + 32 random bytes in hex.
pub fn generate_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", random_hex(32))
}

/// A new anon key: `anon_` + 32 random bytes in hex.
pub fn generate_anon_key() -> String {
    format!("{ANON_KEY_PREFIX}{}", random_hex(32))
}

/// A new HS256 secret: 32 random bytes in hex.
pub fn generate_jwt_secret() -> String {
    random_hex(32)
}

/// A new password for the root admin when none is configured.
pub fn generate_password() -> String {
    random_hex(12)
}

/// Adds `prefix` unless the configured key already has it (`ACCESS_API_KEY=abc` → `ik_abc`).
pub fn with_prefix(prefix: &str, key: &str) -> String {
    let key = key.trim();
    if key.starts_with(prefix) {
        key.to_owned()
    } else {
        format!("{prefix}{key}")
    }
}

pub fn normalize_api_key(key: &str) -> String {
    with_prefix(API_KEY_PREFIX, key)
}

pub fn normalize_anon_key(key: &str) -> String {
    with_prefix(ANON_KEY_PREFIX, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape() {
        let key = generate_api_key();
        assert!(key.starts_with("ik_") && key.len() == 3 + 64, "{key}");
        let anon = generate_anon_key();
        assert!(anon.starts_with("anon_") && anon.len() == 5 + 64, "{anon}");
        assert_ne!(generate_api_key(), key);
    }

    #[test]
    fn configured_keys_get_their_prefix_once() {
        assert_eq!(normalize_api_key("abc"), "ik_abc");
        assert_eq!(normalize_api_key("ik_abc"), "ik_abc");
        assert_eq!(normalize_anon_key(" xyz "), "anon_xyz");
        assert_eq!(normalize_anon_key("anon_xyz"), "anon_xyz");
    }
}
