//! Checks on account input, with InsForge's `"<field>: <message>"` wording.

use crate::AccountsError;
use crate::auth_config::AuthConfig;

/// Trimmed and lowercased, with a plausible shape (`local@domain.tld`, no spaces).
pub fn email(raw: &str) -> Result<String, AccountsError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(AccountsError::InvalidEmail)
    }
}

pub const PASSWORD_MAX: usize = 256;

/// At most [`PASSWORD_MAX`] characters (oxforge's bound), then the configuration's rules.
pub fn password(password: &str, config: &AuthConfig) -> Result<(), AccountsError> {
    if password.chars().count() > PASSWORD_MAX {
        return Err(AccountsError::PasswordTooLong);
    }
    config.check_password(password)
}

/// A canonical uuid (`8-4-4-4-12` hex digits).
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email("  Ann@Example.COM ").unwrap(), "ann@example.com");
        assert_eq!(email("Ünïcode@exämple.org").unwrap(), "ünïcode@exämple.org");
        for bad in ["", "ann", "ann@", "@x.io", "a b@x.io", "a@x", "a@@x.io", "a@.io"] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_and_ids() {
        let config = crate::auth_config::tests::config();
        assert!(password("12345", &config).is_err());
        assert!(password("123456", &config).is_ok());
        assert!(matches!(
            password(&"x".repeat(257), &config),
            Err(AccountsError::PasswordTooLong)
        ));
        assert!(is_uuid("8d0c6e6e-6f4c-4a59-9d7a-2f1f4f0b3a11"));
        assert!(!is_uuid("8d0c6e6e6f4c4a599d7a2f1f4f0b3a11") && !is_uuid("auth0|1"));
    }
}
