//! [`AccountsState`]: what accounts' routes share for the life of the process.

use std::sync::Arc;

use axum::extract::FromRef;
use oxforge_auth::Authenticator;
use oxforge_auth::admin::AdminCredentials;
use oxforge_db::Pool;
use oxforge_edge::client_ip::TrustedProxies;

use crate::auth_config::AuthConfig;
use crate::config_cache::ConfigCache;
use crate::password_work::PasswordWork;
use crate::rate_limit::AuthLimits;
use crate::{AccountsError, AccountsSettings, query};

/// The accounts pool, the project's authenticator, the root admin's credentials, the settings,
/// the sign-in limits and the password threads; cheap to clone (all shared).
#[derive(Clone)]
pub struct AccountsState {
    /// The `authenticator`'s connections switched to `oxforge_accounts` (users and sessions only).
    pub(crate) pool: Pool,
    pub(crate) auth: Arc<Authenticator>,
    /// The root admin (`ROOT_ADMIN_USERNAME` / `ROOT_ADMIN_PASSWORD`).
    pub(crate) admin: Arc<AdminCredentials>,
    pub(crate) settings: Arc<AccountsSettings>,
    /// Sign-in and sign-up limits, and how the client's address is found.
    pub(crate) limits: Arc<AuthLimits>,
    /// Bounds concurrent password hashing (CPU and memory).
    pub(crate) password_work: Arc<PasswordWork>,
    /// The auth configuration (`auth.config`) as last read, for a second at most.
    pub(crate) config: Arc<ConfigCache>,
}

impl AccountsState {
    /// `pool` must be the accounts pool (its connections in the `oxforge_accounts` role);
    /// `proxies` are those whose `X-Forwarded-For` names the client for the sign-in limits.
    /// Password work gets one thread per CPU.
    pub fn new(
        pool: Pool,
        auth: Arc<Authenticator>,
        admin: AdminCredentials,
        settings: AccountsSettings,
        proxies: TrustedProxies,
    ) -> AccountsState {
        AccountsState {
            pool,
            auth,
            admin: Arc::new(admin),
            limits: Arc::new(AuthLimits::new(&settings, proxies)),
            settings: Arc::new(settings),
            password_work: Arc::new(PasswordWork::per_cpu()),
            config: Arc::new(ConfigCache::default()),
        }
    }

    /// The auth configuration (also what `/api/metadata` reports): the record read less than a
    /// second ago, or read now (and created on first use, seeded with `password_min_length`).
    pub async fn auth_config(&self) -> Result<Arc<AuthConfig>, AccountsError> {
        match self.config.fresh() {
            Ok(record) => Ok(record),
            Err(generation) => {
                let client = self.pool.get().await.map_err(oxforge_db::DbError::from)?;
                let record = query::auth_config(&client, self.seed_min_length()).await?;
                Ok(self.config.store_read(generation, record))
            }
        }
    }

    /// The `password_min_length` setting, which seeds the record when it is first created
    /// (checked at start to lie within InsForge's bounds).
    pub(crate) fn seed_min_length(&self) -> i32 {
        i32::try_from(self.settings.password_min_length).unwrap_or(crate::auth_config::MIN_LENGTH_BOUNDS.1)
    }

    /// The settings accounts run with (fixed at start; the auth configuration is [`Self::auth_config`]).
    pub fn settings(&self) -> &AccountsSettings {
        &self.settings
    }
}

/// The edge's credential extractors (`Caller`, `SignedIn`, `Admin`) read the authenticator here.
impl FromRef<AccountsState> for Arc<Authenticator> {
    fn from_ref(state: &AccountsState) -> Self {
        Arc::clone(&state.auth)
    }
}
