//! The project's secrets: configured values win, missing ones are generated once and stored
//! in the database (so restarts, and other oxforge processes on the same database, agree).

use std::collections::HashMap;

use oxforge_auth::keypair::StoredKeyPair;
use oxforge_auth::{ProjectKeyPair, keys};
use oxforge_db::secrets::{
    ANON_KEY, API_KEY, JWT_KEY_ID, JWT_PRIVATE_KEY, JWT_PUBLIC_KEY, JWT_SECRET, ROOT_ADMIN_PASSWORD,
};
use oxforge_db::{DbError, Pool};

use crate::{Config, StartError};

/// The secrets a running server needs, as loaded at start.
#[derive(Debug, Clone)]
pub struct ProjectSecrets {
    pub api_key: String,
    pub anon_key: String,
    pub jwt_secret: String,
    pub key_pair: StoredKeyPair,
    pub admin_username: String,
    pub admin_password: String,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn configured(config: &Config) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(secret) = &config.jwt_secret {
        out.push((JWT_SECRET, secret.clone()));
    }
    if let Some(key) = &config.access_api_key {
        out.push((API_KEY, keys::normalize_api_key(key)));
    }
    if let Some(key) = &config.access_anon_key {
        out.push((ANON_KEY, keys::normalize_anon_key(key)));
    }
    out
}

/// Values for the secrets the database does not have yet.
fn generate_missing(
    stored: &HashMap<String, String>,
    need_admin_password: bool,
) -> Result<Vec<(String, String)>, BoxError> {
    let mut out = Vec::new();
    let mut add_if_missing = |key: &str, make: fn() -> String| {
        if !stored.contains_key(key) {
            out.push((key.to_owned(), make()));
        }
    };
    add_if_missing(API_KEY, keys::generate_api_key);
    add_if_missing(ANON_KEY, keys::generate_anon_key);
    add_if_missing(JWT_SECRET, keys::generate_jwt_secret);
    if need_admin_password {
        add_if_missing(ROOT_ADMIN_PASSWORD, keys::generate_password);
    }
    // The key pair is one unit: regenerate all three if any is missing.
    if ![JWT_PRIVATE_KEY, JWT_PUBLIC_KEY, JWT_KEY_ID]
        .iter()
        .all(|k| stored.contains_key(*k))
    {
        let pair = ProjectKeyPair::generate()?;
        out.push((JWT_PRIVATE_KEY.into(), pair.private_pem));
        out.push((JWT_PUBLIC_KEY.into(), pair.public_pem));
        out.push((JWT_KEY_ID.into(), pair.kid));
    }
    Ok(out)
}

fn take(map: &mut HashMap<String, String>, key: &'static str) -> Result<String, StartError> {
    map.remove(key).ok_or(StartError::MissingSecret(key))
}

impl ProjectSecrets {
    /// Applies the bootstrap schema and loads (or creates) the project's secrets.
    pub async fn bootstrap(
        pool: &Pool,
        cipher: &oxforge_db::SecretCipher,
        config: &Config,
    ) -> Result<Self, StartError> {
        config.validate()?;
        let need_admin_password = config.root_admin_password.is_none();
        let mut map = oxforge_db::bootstrap(pool, cipher, &configured(config), |stored| {
            generate_missing(stored, need_admin_password)
        })
        .await?;
        let admin_password = match &config.root_admin_password {
            Some(password) => password.clone(),
            None => take(&mut map, ROOT_ADMIN_PASSWORD)?,
        };
        Ok(ProjectSecrets {
            api_key: take(&mut map, API_KEY)?,
            anon_key: take(&mut map, ANON_KEY)?,
            jwt_secret: take(&mut map, JWT_SECRET)?,
            key_pair: StoredKeyPair {
                private_pem: take(&mut map, JWT_PRIVATE_KEY)?,
                public_pem: take(&mut map, JWT_PUBLIC_KEY)?,
                kid: take(&mut map, JWT_KEY_ID)?,
            },
            admin_username: config
                .root_admin_username
                .clone()
                .unwrap_or_else(|| crate::config::DEFAULT_ADMIN_USERNAME.into()),
            admin_password,
        })
    }
}

/// Waits for the database to accept connections (an external server may still be starting).
pub(crate) async fn wait_for_database(pool: &Pool) -> Result<(), StartError> {
    const ATTEMPTS: u32 = 20;
    let mut last: Option<DbError> = None;
    for attempt in 1..=ATTEMPTS {
        match pool.get().await {
            Ok(_) => return Ok(()),
            Err(e) => {
                tracing::warn!(attempt, error = %e, "database not reachable yet");
                last = Some(e.into());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    match last {
        Some(last) => Err(StartError::Unreachable {
            attempts: ATTEMPTS,
            last,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_only_what_is_missing() {
        let mut stored = HashMap::new();
        stored.insert(API_KEY.to_owned(), "ik_x".to_owned());
        let generated = generate_missing(&stored, false).unwrap();
        let keys: Vec<&str> = generated.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [ANON_KEY, JWT_SECRET, JWT_PRIVATE_KEY, JWT_PUBLIC_KEY, JWT_KEY_ID]
        );
        let anon = &generated[0].1;
        assert!(anon.starts_with("anon_"));
    }

    #[test]
    fn configured_keys_are_prefixed() {
        let config = Config {
            access_api_key: Some("abc".into()),
            access_anon_key: Some("anon_def".into()),
            ..Config::default()
        };
        let got = configured(&config);
        assert_eq!(
            got,
            vec![(API_KEY, "ik_abc".to_owned()), (ANON_KEY, "anon_def".to_owned())]
        );
    }
}
