//! [`AccountsSettings`]: what an operator can tune about accounts, with their defaults.
//!
//! The keys are the configuration file's (`oxforge.toml`) and [`ENV`] names the environment
//! variables that set them; both are read by `oxforge-server`. Every setting takes effect at
//! start (a change needs a restart).

use serde::{Deserialize, Serialize};

/// Accounts' settings. Keys and units are those of `oxforge.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountsSettings {
    /// Lifetime of the access tokens oxforge issues (sign-up, sign-in, refresh), in seconds.
    /// Default 900 (15 minutes). `OXFORGE_ACCESS_TOKEN_TTL`.
    pub access_token_ttl: i64,
    /// Lifetime of a refresh token (and its cookie), in seconds; each refresh starts it again,
    /// within `session_max_lifetime`. Default 604800 (7 days). No environment variable.
    pub refresh_token_ttl: i64,
    /// No refresh extends a session beyond this many seconds after its sign-in; must be
    /// positive. Default 2592000 (30 days). `OXFORGE_SESSION_MAX_LIFETIME`.
    pub session_max_lifetime: i64,
    /// Shortest accepted password, in characters (InsForge's default). Default 6.
    /// `OXFORGE_PASSWORD_MIN_LENGTH`.
    pub password_min_length: usize,
    /// User sign-in failures allowed per minute per client address and per (address, email),
    /// and sign-ups per minute per address; 0 turns both limits off. Default 30.
    /// `OXFORGE_AUTH_RATE_LIMIT`.
    pub auth_rate_limit: u32,
    /// Root admin sign-in failures per client address before waits start (4 s, doubling up to
    /// 15 minutes); 0 turns it off. Default 5. `OXFORGE_ADMIN_SIGN_IN_FAILURES`.
    pub admin_sign_in_failures: u32,
    /// Root admin sign-in failures per minute from all addresses together; 0 turns it off.
    /// Default 60. `OXFORGE_ADMIN_SIGN_IN_GLOBAL_FAILURES`.
    pub admin_sign_in_global_failures: u32,
}

impl Default for AccountsSettings {
    fn default() -> Self {
        AccountsSettings {
            access_token_ttl: 15 * 60,
            refresh_token_ttl: 7 * 24 * 3600,
            session_max_lifetime: 30 * 24 * 3600,
            password_min_length: 6,
            auth_rate_limit: 30,
            admin_sign_in_failures: 5,
            admin_sign_in_global_failures: 60,
        }
    }
}

/// Environment variables that set accounts' settings: (variable, key).
pub const ENV: &[(&str, &str)] = &[
    ("OXFORGE_ACCESS_TOKEN_TTL", "access_token_ttl"),
    ("OXFORGE_AUTH_RATE_LIMIT", "auth_rate_limit"),
    ("OXFORGE_ADMIN_SIGN_IN_FAILURES", "admin_sign_in_failures"),
    ("OXFORGE_ADMIN_SIGN_IN_GLOBAL_FAILURES", "admin_sign_in_global_failures"),
    ("OXFORGE_SESSION_MAX_LIFETIME", "session_max_lifetime"),
    ("OXFORGE_PASSWORD_MIN_LENGTH", "password_min_length"),
];

impl AccountsSettings {
    /// Settings that cannot work are refused before anything starts.
    pub fn validate(&self) -> Result<(), String> {
        if self.session_max_lifetime <= 0 {
            return Err(
                "session_max_lifetime (OXFORGE_SESSION_MAX_LIFETIME) must be a positive number of seconds".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_environment_variable_names_a_key() {
        let keys = serde_json::to_value(AccountsSettings::default()).unwrap();
        for (name, key) in ENV {
            assert!(keys.get(key).is_some(), "{name} → {key}");
        }
    }

    #[test]
    fn missing_keys_take_their_default_and_a_session_must_end() {
        let settings: AccountsSettings = serde_json::from_str(r#"{"password_min_length": 10}"#).unwrap();
        assert_eq!(
            settings,
            AccountsSettings {
                password_min_length: 10,
                ..AccountsSettings::default()
            }
        );
        assert!(settings.validate().is_ok());
        let endless = AccountsSettings {
            session_max_lifetime: 0,
            ..AccountsSettings::default()
        };
        assert!(endless.validate().unwrap_err().contains("OXFORGE_SESSION_MAX_LIFETIME"));
    }
}
