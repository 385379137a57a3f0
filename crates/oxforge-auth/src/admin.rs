//! The root admin's username and password (`ROOT_ADMIN_USERNAME` / `ROOT_ADMIN_PASSWORD`).

use aws_lc_rs::hmac;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Clone)]
pub struct AdminCredentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

fn digest_eq(a: &str, b: &str) -> subtle::Choice {
    Sha256::digest(a.as_bytes()).ct_eq(&Sha256::digest(b.as_bytes()))
}

impl AdminCredentials {
    /// Compares both fields in constant time (hashed first, so lengths leak nothing either).
    pub fn verify(&self, username: &str, password: &str) -> bool {
        bool::from(digest_eq(&self.username, username) & digest_eq(&self.password, password))
    }

    /// The admin's token subject, as InsForge names it.
    pub fn subject(&self) -> String {
        format!("local:{}", self.username)
    }

    /// Names these credentials without revealing them: hex(HMAC-SHA256(`key`, username and
    /// password)). Admin sessions store it, so a change of either ends every session signed in
    /// with the old ones.
    pub fn epoch(&self, key: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        let message = format!(
            "oxforge:admin-epoch:v1:{}:{}:{}",
            self.username.len(),
            self.username,
            self.password
        );
        hex::encode(hmac::sign(&key, message.as_bytes()).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_needs_both() {
        let admin = AdminCredentials {
            username: "admin".into(),
            password: "pw".into(),
        };
        assert!(admin.verify("admin", "pw"));
        assert!(!admin.verify("admin", "pw2"));
        assert!(!admin.verify("root", "pw"));
        assert!(!admin.verify("", ""));
        assert_eq!(admin.subject(), "local:admin");
        assert!(!format!("{admin:?}").contains("pw"));
    }

    #[test]
    fn epoch_changes_with_either_credential_and_the_key() {
        let admin = |username: &str, password: &str| AdminCredentials {
            username: username.into(),
            password: password.into(),
        };
        let epoch = admin("admin", "pw").epoch(b"k");
        assert_eq!(epoch, admin("admin", "pw").epoch(b"k"));
        assert_eq!(epoch.len(), 64);
        assert!(!epoch.contains("pw"));
        for other in [
            admin("admin", "pw2").epoch(b"k"),
            admin("root", "pw").epoch(b"k"),
            admin("admin", "pw").epoch(b"k2"),
            admin("adm", "inpw").epoch(b"k"),
        ] {
            assert_ne!(epoch, other);
        }
    }
}
