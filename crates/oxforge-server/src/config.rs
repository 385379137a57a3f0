//! Configuration: defaults < `oxforge.toml` < environment (InsForge's names) < command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::StartError;

pub const DEFAULT_PORT: u16 = 7130;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub host: String,
    /// `0` lets the operating system choose (the summary prints the real port).
    pub port: u16,
    pub data_dir: PathBuf,
    /// Use this PostgreSQL instead of the embedded one.
    pub database_url: Option<String>,
    /// Let the embedded PostgreSQL also listen on `127.0.0.1:<pg_port>`.
    pub pg_port: Option<u16>,
    pub pg_bin_dir: Option<PathBuf>,
    pub jwt_secret: Option<String>,
    pub root_admin_username: Option<String>,
    pub root_admin_password: Option<String>,
    pub access_api_key: Option<String>,
    pub access_anon_key: Option<String>,
    /// Seals the project's secrets in the database (InsForge's `ENCRYPTION_KEY`); with the
    /// embedded PostgreSQL a key file in the data directory is used when this is not set.
    pub encryption_key: Option<String>,
    /// Largest request body in bytes (the data API; every other limit is capped by it).
    pub body_limit: usize,
    /// Largest body for auth, secrets, metadata and the other small admin routes, in bytes.
    pub small_body_limit: usize,
    /// Largest body for the SQL editor, migrations and table management, in bytes.
    pub sql_body_limit: usize,
    /// How long a client may take to send a request's headers (and an idle keep-alive connection
    /// may wait for its next request), in milliseconds (0: no limit).
    pub header_read_timeout_ms: u64,
    /// How long a client may take to send a request's body once its headers are in, in
    /// milliseconds (0: no limit).
    pub body_read_timeout_ms: u64,
    /// Most client connections open at once; more wait in the listen backlog. Lowered at start
    /// to what the open-file limit allows.
    pub max_connections: usize,
    /// Lifetime of issued access tokens, in seconds.
    pub access_token_ttl: i64,
    /// Connections for the data API (as the `authenticator` role).
    pub pool_size: usize,
    /// Connections for accounts, admin routes and secrets (as the owner), apart from the data
    /// API's so a flood of data requests cannot starve sign-in and administration.
    pub admin_pool_size: usize,
    /// Connect the request path with this URL (a role a DBA created, see README) instead of the
    /// `authenticator` role oxforge manages.
    pub authenticator_url: Option<String>,
    /// Most data-API requests one client address may have in flight (0: no bound; default:
    /// three quarters of `pool_size`). More wait for their turn, up to `pool_timeout_ms`, then 429.
    pub client_concurrency: Option<usize>,
    /// `Prefer: tx=rollback` is honoured for `admin` only (PostgREST's default) or for `all`.
    pub tx_rollback: TxRollback,
    /// How long a request waits for a free database connection before a 503, in milliseconds.
    pub pool_timeout_ms: u64,
    /// Sign-in and sign-up attempts allowed per minute per client address and per email; 0 turns it off.
    pub auth_rate_limit: u32,
    /// Shortest accepted password.
    pub password_min_length: usize,
    /// Longest a data-API statement of `anon` or `authenticated` may run, in milliseconds (0: no limit).
    pub statement_timeout_ms: u64,
    /// Longest an admin's data-API statement or SQL may run, in milliseconds (0: no limit).
    pub admin_statement_timeout_ms: u64,
    /// Most rows one insert/upsert may carry (0: no limit); more is a 413.
    pub max_batch_rows: usize,
    /// Third-party identity providers verified by their published keys (`[[providers]]`).
    pub providers: Vec<oxforge_auth::providers::ProviderConfig>,
    /// Shortest time between two key refetches caused by unknown key ids, in seconds.
    pub provider_key_cooldown: u64,
    /// `false` runs the embedded cluster without fsync (throw-away test clusters only).
    pub embedded_durable: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            data_dir: PathBuf::from(".oxforge"),
            database_url: None,
            pg_port: None,
            pg_bin_dir: None,
            jwt_secret: None,
            root_admin_username: None,
            root_admin_password: None,
            access_api_key: None,
            access_anon_key: None,
            encryption_key: None,
            body_limit: 10 * 1024 * 1024,
            small_body_limit: 64 * 1024,
            sql_body_limit: 1024 * 1024,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 60_000,
            max_connections: 4096,
            access_token_ttl: 15 * 60,
            pool_size: 16,
            admin_pool_size: 6,
            authenticator_url: None,
            client_concurrency: None,
            tx_rollback: TxRollback::Admin,
            pool_timeout_ms: 5_000,
            auth_rate_limit: 30,
            password_min_length: 6,
            statement_timeout_ms: 10_000,
            admin_statement_timeout_ms: 30_000,
            max_batch_rows: 10_000,
            providers: Vec::new(),
            provider_key_cooldown: 30,
            embedded_durable: true,
        }
    }
}

/// Who may end a data-API request with `Prefer: tx=rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxRollback {
    Admin,
    All,
}

impl Config {
    /// The per-address bound on in-flight data-API requests (`None`: unbounded).
    pub fn client_concurrency(&self) -> Option<usize> {
        match self.client_concurrency {
            Some(0) => None,
            Some(n) => Some(n),
            None => Some((self.pool_size * 3 / 4).max(1)),
        }
    }
}

/// Environment variables read, and the setting each one fills.
const ENV_KEYS: &[(&str, &str)] = &[
    ("PORT", "port"),
    ("OXFORGE_HOST", "host"),
    ("OXFORGE_DATA_DIR", "data_dir"),
    ("DATABASE_URL", "database_url"),
    ("OXFORGE_PG_PORT", "pg_port"),
    ("OXFORGE_PG_BIN_DIR", "pg_bin_dir"),
    ("JWT_SECRET", "jwt_secret"),
    ("ROOT_ADMIN_USERNAME", "root_admin_username"),
    ("ROOT_ADMIN_PASSWORD", "root_admin_password"),
    ("ACCESS_API_KEY", "access_api_key"),
    ("ACCESS_ANON_KEY", "access_anon_key"),
    ("ENCRYPTION_KEY", "encryption_key"),
    ("OXFORGE_BODY_LIMIT", "body_limit"),
    ("OXFORGE_SMALL_BODY_LIMIT", "small_body_limit"),
    ("OXFORGE_SQL_BODY_LIMIT", "sql_body_limit"),
    ("OXFORGE_HEADER_READ_TIMEOUT_MS", "header_read_timeout_ms"),
    ("OXFORGE_BODY_READ_TIMEOUT_MS", "body_read_timeout_ms"),
    ("OXFORGE_MAX_CONNECTIONS", "max_connections"),
    ("OXFORGE_ACCESS_TOKEN_TTL", "access_token_ttl"),
    ("OXFORGE_POOL_SIZE", "pool_size"),
    ("OXFORGE_ADMIN_POOL_SIZE", "admin_pool_size"),
    ("OXFORGE_AUTHENTICATOR_URL", "authenticator_url"),
    ("OXFORGE_CLIENT_CONCURRENCY", "client_concurrency"),
    ("OXFORGE_TX_ROLLBACK", "tx_rollback"),
    ("OXFORGE_POOL_TIMEOUT_MS", "pool_timeout_ms"),
    ("OXFORGE_AUTH_RATE_LIMIT", "auth_rate_limit"),
    ("OXFORGE_PASSWORD_MIN_LENGTH", "password_min_length"),
    ("OXFORGE_STATEMENT_TIMEOUT_MS", "statement_timeout_ms"),
    ("OXFORGE_ADMIN_STATEMENT_TIMEOUT_MS", "admin_statement_timeout_ms"),
    ("OXFORGE_MAX_BATCH_ROWS", "max_batch_rows"),
];

/// Settings given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CliOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pg_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    /// Loads the layers. `file` must exist when given; otherwise `./oxforge.toml` is read if present.
    pub fn load(file: Option<&Path>, overrides: &CliOverrides) -> Result<Config, StartError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.is_file() => {
                return Err(StartError::Config(format!("config file {} not found", path.display())));
            }
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("oxforge.toml")),
        }
        let env = Env::raw().filter_map(|key| {
            ENV_KEYS
                .iter()
                .find(|(name, _)| key == *name)
                .map(|(_, field)| (*field).into())
        });
        let config: Config = figment
            .merge(env)
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| StartError::Config(e.to_string()))?;
        let mut config = config.without_empty_values();
        // Providers from the environment: a JSON array of `[[providers]]` tables.
        if let Some(json) = std::env::var("OXFORGE_AUTH_PROVIDERS")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            let extra: Vec<oxforge_auth::providers::ProviderConfig> = serde_json::from_str(&json).map_err(|e| {
                StartError::Config(format!("OXFORGE_AUTH_PROVIDERS is not a JSON array of providers: {e}"))
            })?;
            config.providers.extend(extra);
        }
        Ok(config)
    }

    /// `JWT_SECRET=` in a shell means "not set", not "the empty secret".
    fn without_empty_values(mut self) -> Self {
        for field in [
            &mut self.database_url,
            &mut self.authenticator_url,
            &mut self.jwt_secret,
            &mut self.root_admin_username,
            &mut self.root_admin_password,
            &mut self.access_api_key,
            &mut self.access_anon_key,
            &mut self.encryption_key,
        ] {
            if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *field = None;
            }
        }
        self
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;

    #[test]
    fn layers_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "oxforge.toml",
                "port = 9000\nhost = \"0.0.0.0\"\njwt_secret = \"from-file\"\n",
            )?;
            jail.set_env("JWT_SECRET", "from-env");
            jail.set_env("ACCESS_ANON_KEY", "");
            let overrides = CliOverrides {
                port: Some(9100),
                ..Default::default()
            };
            let config = Config::load(None, &overrides).map_err(|e| e.to_string())?;
            assert_eq!(config.port, 9100, "flags win");
            assert_eq!(config.host, "0.0.0.0", "the file beats defaults");
            assert_eq!(config.jwt_secret.as_deref(), Some("from-env"), "env beats the file");
            assert_eq!(config.access_anon_key, None, "empty env is unset");
            assert_eq!(config.data_dir, PathBuf::from(".oxforge"));
            Ok(())
        });
    }

    #[test]
    fn body_limits_come_from_the_file_and_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("oxforge.toml", "small_body_limit = 1000\nsql_body_limit = 5000\n")?;
            jail.set_env("OXFORGE_SQL_BODY_LIMIT", "7000");
            let config = Config::load(None, &CliOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.small_body_limit, 1000);
            assert_eq!(config.sql_body_limit, 7000, "env beats the file");
            Ok(())
        });
    }

    #[test]
    fn connection_limits_come_from_the_file_and_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("oxforge.toml", "max_connections = 64\nbody_read_timeout_ms = 0\n")?;
            jail.set_env("OXFORGE_HEADER_READ_TIMEOUT_MS", "250");
            jail.set_env("OXFORGE_MAX_CONNECTIONS", "32");
            let config = Config::load(None, &CliOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.header_read_timeout_ms, 250);
            assert_eq!(config.max_connections, 32, "env beats the file");
            assert_eq!(config.body_read_timeout_ms, 0);
            Ok(())
        });
    }

    #[test]
    fn explicit_missing_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/oxforge.toml")), &CliOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("not found"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("oxforge.toml", "prot = 1\n")?;
            assert!(Config::load(None, &CliOverrides::default()).is_err());
            Ok(())
        });
    }
}
