//! Loading the project's key material from the secret store — at start, after a rotation here,
//! and when another process announces one (`NOTIFY oxforge_keys`).

use oxforge_auth::keypair::{KeyPairError, StoredKeyPair};
use oxforge_auth::{Authenticator, ProjectCredentials, ProjectKey, ProjectKeyPair};
use oxforge_db::secrets::{self, ANON_KEY, API_KEY, JWT_KEY_ID, JWT_PRIVATE_KEY, JWT_PUBLIC_KEY, JWT_SECRET};
use oxforge_db::{DbError, Pool, SecretCipher};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{0}")]
    KeyPair(#[from] KeyPairError),
    #[error("the secret {0} is missing")]
    Missing(&'static str),
}

/// Reads every key, including rotated-out ones still in their grace period.
pub async fn load(pool: &Pool, cipher: &SecretCipher) -> Result<ProjectCredentials, LoadError> {
    let client = pool.get().await.map_err(DbError::from)?;
    let versions = |rows: Vec<(String, Option<i64>)>| -> Vec<ProjectKey> {
        rows.into_iter()
            .map(|(value, expires_at)| ProjectKey { value, expires_at })
            .collect()
    };
    let api_keys = versions(secrets::key_versions(&client, cipher, API_KEY).await?);
    let anon_keys = versions(secrets::key_versions(&client, cipher, ANON_KEY).await?);
    let map = secrets::active_map(&client, cipher).await?;
    let get = |key: &'static str| map.get(key).cloned().ok_or(LoadError::Missing(key));
    if api_keys.is_empty() {
        return Err(LoadError::Missing(API_KEY));
    }
    if anon_keys.is_empty() {
        return Err(LoadError::Missing(ANON_KEY));
    }
    Ok(ProjectCredentials {
        api_keys,
        anon_keys,
        jwt_secret: get(JWT_SECRET)?,
        keypair: ProjectKeyPair::load(&StoredKeyPair {
            private_pem: get(JWT_PRIVATE_KEY)?,
            public_pem: get(JWT_PUBLIC_KEY)?,
            kid: get(JWT_KEY_ID)?,
        })?,
    })
}

/// Reloads into `auth`, logging (not failing) on error: the old keys stay in force.
pub async fn reload(pool: &Pool, cipher: &SecretCipher, auth: &Authenticator) {
    match load(pool, cipher).await {
        Ok(credentials) => auth.replace(credentials),
        Err(e) => tracing::warn!(error = %e, "could not reload the project's keys; keeping the current ones"),
    }
}
