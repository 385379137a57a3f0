//! Secrets at rest: every value in `system.secrets` is sealed with AES-256-GCM under a key kept
//! outside the database (`ENCRYPTION_KEY`, or the key file of an embedded cluster). A database
//! dump, a replica or a superuser's `SELECT` shows only ciphertext.
//!
//! Stored form: `enc:v1:` + base64(nonce ‖ ciphertext ‖ tag). The secret's name (without a
//! rotation suffix `_OLD_<epoch>`) is authenticated with it, so a sealed value moved to another
//! key does not open. Values without the prefix are legacy plain text: read as they are, and
//! sealed at the next start that has a key.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::DbError;

/// Seals and opens secret values; without a key it passes plain text through.
pub struct SecretCipher {
    key: Option<LessSafeKey>,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretCipher")
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

/// The name a value is bound to: rotation renames `API_KEY` to `API_KEY_OLD_<epoch>`.
fn bound_name(name: &str) -> &str {
    match name.rfind("_OLD_") {
        Some(i) if name[i + 5..].chars().all(|c| c.is_ascii_digit()) && i + 5 < name.len() => &name[..i],
        _ => name,
    }
}

fn secret_error(key: &str, reason: &str) -> DbError {
    DbError::Secret {
        key: key.to_owned(),
        reason: reason.to_owned(),
    }
}

impl SecretCipher {
    /// What every sealed value starts with.
    pub const PREFIX: &str = "enc:v1:";

    /// No encryption: values are stored as they are.
    pub fn plaintext() -> SecretCipher {
        SecretCipher { key: None }
    }

    /// A cipher whose 256-bit key is derived from `material` (any string of 16 bytes or more;
    /// `openssl rand -hex 32` makes a good one).
    pub fn from_material(material: &str) -> Result<SecretCipher, DbError> {
        if material.len() < 16 {
            return Err(secret_error("ENCRYPTION_KEY", "must be at least 16 characters"));
        }
        let digest = Sha256::new()
            .chain_update(b"oxforge secrets v1\0")
            .chain_update(material.as_bytes())
            .finalize();
        let key = UnboundKey::new(&AES_256_GCM, &digest).map_err(|_| secret_error("ENCRYPTION_KEY", "unusable key"))?;
        Ok(SecretCipher {
            key: Some(LessSafeKey::new(key)),
        })
    }

    pub fn is_enabled(&self) -> bool {
        self.key.is_some()
    }

    /// The form to store `value` of secret `name` in.
    pub fn seal(&self, name: &str, value: &str) -> Result<String, DbError> {
        let Some(key) = &self.key else {
            return Ok(value.to_owned());
        };
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| secret_error(name, "no randomness for a nonce"))?;
        let mut sealed = value.as_bytes().to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(bound_name(name).as_bytes()),
            &mut sealed,
        )
        .map_err(|_| secret_error(name, "encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{}{}", Self::PREFIX, STANDARD.encode(out)))
    }

    /// The value of secret `name` from its stored form.
    pub fn open(&self, name: &str, stored: &str) -> Result<String, DbError> {
        let Some(encoded) = stored.strip_prefix(Self::PREFIX) else {
            return Ok(stored.to_owned());
        };
        let Some(key) = &self.key else {
            return Err(secret_error(
                name,
                "it is encrypted and no ENCRYPTION_KEY is configured",
            ));
        };
        let wrong = || {
            secret_error(
                name,
                "it does not decrypt with this ENCRYPTION_KEY (wrong key, or altered)",
            )
        };
        let mut bytes = STANDARD.decode(encoded).map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let mut sealed = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| wrong())?;
        let plain = key
            .open_in_place(nonce, Aad::from(bound_name(name).as_bytes()), &mut sealed)
            .map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec()).map_err(|_| wrong())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_with_a_fresh_nonce_each_time() {
        let cipher = SecretCipher::from_material("0123456789abcdef0123").unwrap();
        let a = cipher.seal("JWT_SECRET", "s3cret").unwrap();
        let b = cipher.seal("JWT_SECRET", "s3cret").unwrap();
        assert!(a.starts_with(SecretCipher::PREFIX) && !a.contains("s3cret"));
        assert_ne!(a, b);
        assert_eq!(cipher.open("JWT_SECRET", &a).unwrap(), "s3cret");
    }

    #[test]
    fn wrong_key_wrong_name_tampering_and_missing_key_are_errors() {
        let cipher = SecretCipher::from_material("0123456789abcdef0123").unwrap();
        let sealed = cipher.seal("API_KEY", "ik_1").unwrap();
        let other = SecretCipher::from_material("another key, 16+ chars").unwrap();
        assert!(matches!(other.open("API_KEY", &sealed), Err(DbError::Secret { .. })));
        assert!(cipher.open("ANON_KEY", &sealed).is_err(), "bound to its name");
        let mut tampered = sealed.clone();
        tampered.replace_range(tampered.len() - 3.., "AAA");
        assert!(cipher.open("API_KEY", &tampered).is_err());
        assert!(cipher.open("API_KEY", "enc:v1:!!").is_err());
        assert!(cipher.open("API_KEY", "enc:v1:").is_err());
        assert!(SecretCipher::plaintext().open("API_KEY", &sealed).is_err());
        assert!(SecretCipher::from_material("short").is_err());
    }

    #[test]
    fn rotated_names_open_and_plain_text_passes_through() {
        let cipher = SecretCipher::from_material("0123456789abcdef0123").unwrap();
        let sealed = cipher.seal("API_KEY", "ik_1").unwrap();
        assert_eq!(cipher.open("API_KEY_OLD_1764300000000", &sealed).unwrap(), "ik_1");
        assert_eq!(bound_name("X_OLD_"), "X_OLD_");
        assert_eq!(bound_name("X_OLD_a1"), "X_OLD_a1");
        assert_eq!(cipher.open("LEGACY", "plain").unwrap(), "plain");
        assert_eq!(SecretCipher::plaintext().seal("K", "v").unwrap(), "v");
    }
}
