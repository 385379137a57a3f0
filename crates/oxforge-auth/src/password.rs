//! Password hashes: argon2id for new ones; bcrypt (`$2a$`/`$2b$`/`$2y$`, as InsForge's
//! `bcryptjs` writes them) still verifies, so users imported from InsForge keep their passwords.
//! These functions are CPU-heavy: call them off the async runtime (`spawn_blocking`).

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// A new argon2id hash in PHC format.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches `stored` (argon2 PHC or bcrypt). Unknown formats never match.
pub fn verify(password: &str, stored: &str) -> bool {
    if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
        return bcrypt::verify(password, stored).unwrap_or(false);
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends about the time of a real verification, so that a sign-in for an unknown email takes
/// as long as one with a wrong password.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("oxforge-dummy-password").unwrap_or_default());
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let h = hash("hunter22").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("hunter22", &h));
        assert!(!verify("hunter23", &h));
        assert_ne!(hash("hunter22").unwrap(), h, "salted");
    }

    #[test]
    fn bcrypt_from_another_implementation() {
        // Made by bcryptjs 2.4.3 (the library InsForge uses), cost 10:
        // node -e 'console.log(require("bcryptjs").hashSync("correct horse", 10))'
        let bcryptjs = "$2a$10$s/36h8T6VUq9./fsBgcQIOSyNxeXxBv9MPOv.fTlAAOblxtJJhHWi";
        assert!(verify("correct horse", bcryptjs));
        assert!(!verify("correct horsE", bcryptjs));
        // OpenBSD's published test vector.
        assert!(verify(
            "U*U",
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        ));
    }

    #[test]
    fn garbage_never_matches() {
        assert!(!verify("x", ""));
        assert!(!verify("x", "plaintext"));
        assert!(!verify("x", "$2b$10$short"));
    }
}
