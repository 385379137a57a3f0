//! The root admin's username and password (`ROOT_ADMIN_USERNAME` / `ROOT_ADMIN_PASSWORD`).

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
}
