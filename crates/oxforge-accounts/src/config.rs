//! [`AccountsSettings`]: what an operator can tune about accounts, with their defaults.
//!
//! The keys are the configuration file's (`oxforge.toml`); the `env` clauses name the
//! environment variables that set them; both are read by `oxforge-server`. Every setting takes effect at
//! start (a change needs a restart). What admins change at run time (password rules, sign-up
//! closed, redirect URLs) is the auth configuration in the database (`auth_config`), not here.

oxforge_edge::settings! {
    /// Accounts' settings. Keys and units are those of `oxforge.toml`.
    pub struct AccountsSettings {
        /// Lifetime of the access tokens oxforge issues (sign-up, sign-in, refresh), in seconds.
        /// Default 900 (15 minutes).
        pub access_token_ttl: i64 = 15 * 60, env "OXFORGE_ACCESS_TOKEN_TTL";
        /// Lifetime of a refresh token (and its cookie), in seconds; each refresh starts it
        /// again, within `session_max_lifetime`. Default 604800 (7 days).
        pub refresh_token_ttl: i64 = 7 * 24 * 3600;
        /// No refresh extends a session beyond this many seconds after its sign-in; must be
        /// positive. Default 2592000 (30 days).
        pub session_max_lifetime: i64 = 30 * 24 * 3600, env "OXFORGE_SESSION_MAX_LIFETIME";
        /// Shortest accepted password, in characters, 4 to 128 (InsForge's default 6). Seeds the
        /// auth configuration when its record is first created (a new database, or the first
        /// start after an upgrade); from then on the record decides (`PUT /api/auth/config`).
        pub password_min_length: usize = 6, env "OXFORGE_PASSWORD_MIN_LENGTH";
        /// User sign-in failures allowed per minute per client address and per (address,
        /// email), and sign-ups per minute per address; 0 turns both limits off. Default 30.
        pub auth_rate_limit: u32 = 30, env "OXFORGE_AUTH_RATE_LIMIT";
        /// Root admin sign-in failures per client address before waits start (4 s, doubling up
        /// to 15 minutes); 0 turns it off. Default 5.
        pub admin_sign_in_failures: u32 = 5, env "OXFORGE_ADMIN_SIGN_IN_FAILURES";
        /// Root admin sign-in failures per minute from all addresses together; 0 turns it off.
        /// Default 60.
        pub admin_sign_in_global_failures: u32 = 60, env "OXFORGE_ADMIN_SIGN_IN_GLOBAL_FAILURES";
    }
}

impl AccountsSettings {
    /// Settings that cannot work are refused before anything starts.
    pub fn validate(&self) -> Result<(), String> {
        if self.session_max_lifetime <= 0 {
            return Err(
                "session_max_lifetime (OXFORGE_SESSION_MAX_LIFETIME) must be a positive number of seconds".into(),
            );
        }
        if !(4..=128).contains(&self.password_min_length) {
            return Err("password_min_length (OXFORGE_PASSWORD_MIN_LENGTH) must be between 4 and 128".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for length in [3, 129] {
            let out_of_bounds = AccountsSettings {
                password_min_length: length,
                ..AccountsSettings::default()
            };
            assert!(
                out_of_bounds
                    .validate()
                    .unwrap_err()
                    .contains("OXFORGE_PASSWORD_MIN_LENGTH")
            );
        }
    }
}
