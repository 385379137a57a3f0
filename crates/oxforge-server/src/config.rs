//! Configuration: defaults < `oxforge.toml` < environment (InsForge's names) < command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use oxforge_edge::client_ip::TrustedProxies;

use crate::StartError;
use crate::capabilities::Sections;
use oxforge_edge::settings::Section;
use oxforge_http::HttpSettings;

pub const DEFAULT_PORT: u16 = 7130;
pub const DEFAULT_ADMIN_USERNAME: &str = "admin";

/// A configured root admin password shorter than this is refused.
pub const ADMIN_PASSWORD_MIN_LENGTH: usize = 12;

/// Passwords that appear in guides, templates and wordlists (compared ignoring case).
const WELL_KNOWN_PASSWORDS: &[&str] = &[
    "change-this-password",
    "changethispassword",
    "change-me-please",
    "administrator",
    "password1234",
    "password12345",
    "password123456",
    "123456789012",
    "1234567890123",
    "qwertyuiop123",
    "adminadminadmin",
    "insforge-admin",
    "insforge-password",
];

/// Why a configured root admin password is too weak, if it is.
fn weak_admin_password(username: &str, password: &str) -> Option<String> {
    let length = password.chars().count();
    if length < ADMIN_PASSWORD_MIN_LENGTH {
        return Some(format!(
            "it has {length} characters, at least {ADMIN_PASSWORD_MIN_LENGTH} are needed"
        ));
    }
    let lower = password.to_lowercase();
    if WELL_KNOWN_PASSWORDS.contains(&lower.as_str()) {
        return Some("it is a well-known default".into());
    }
    if lower == username.to_lowercase() {
        return Some("it is the username".into());
    }
    if password.chars().all(|c| password.starts_with(c)) {
        return Some("it repeats one character".into());
    }
    None
}

/// The core's settings, and each capability's section ([`Sections`], flattened: every key is a
/// top-level key). Unknown keys are refused by [`Config::load`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
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
    /// How long a client may take to send a request's headers (and an idle keep-alive connection
    /// may wait for its next request), in milliseconds (0: no limit).
    pub header_read_timeout_ms: u64,
    /// How long a client may take to send a request's body once its headers are in, in
    /// milliseconds (0: no limit).
    pub body_read_timeout_ms: u64,
    /// Most client connections open at once; more wait in the listen backlog. Lowered at start
    /// to what the open-file limit allows.
    pub max_connections: usize,
    /// Connections for the data API (as the `authenticator` role).
    pub pool_size: usize,
    /// Connections for accounts, admin routes and secrets (as the owner), apart from the data
    /// API's so a flood of data requests cannot starve sign-in and administration.
    pub admin_pool_size: usize,
    /// Connect the request path with this URL (a role a DBA created, see README) instead of the
    /// `authenticator` role oxforge manages.
    pub authenticator_url: Option<String>,
    /// How long a request waits for a free database connection before a 503, in milliseconds.
    pub pool_timeout_ms: u64,
    /// Proxies (addresses or CIDR blocks) whose `X-Forwarded-For` names the client; none by default.
    pub trusted_proxies: Vec<String>,
    /// Third-party identity providers verified by their published keys (`[[providers]]`).
    pub providers: Vec<oxforge_auth::providers::ProviderConfig>,
    /// Shortest time between two key refetches caused by unknown key ids, in seconds.
    pub provider_key_cooldown: u64,
    /// `false` runs the embedded cluster without fsync (throw-away test clusters only).
    pub embedded_durable: bool,
    /// The HTTP layer's settings (body limits, CORS).
    #[serde(flatten)]
    pub http: HttpSettings,
    /// Each capability's settings (see `capabilities.rs`).
    #[serde(flatten)]
    pub capabilities: Sections,
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
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 60_000,
            max_connections: 4096,
            pool_size: 16,
            admin_pool_size: 6,
            authenticator_url: None,
            pool_timeout_ms: 5_000,
            trusted_proxies: Vec::new(),
            providers: Vec::new(),
            provider_key_cooldown: 30,
            embedded_durable: true,
            http: HttpSettings::default(),
            capabilities: Sections::default(),
        }
    }
}

/// Environment variables of the core's settings, and the setting each one fills (each
/// capability declares its own: [`Sections::env`]).
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
    ("OXFORGE_HEADER_READ_TIMEOUT_MS", "header_read_timeout_ms"),
    ("OXFORGE_BODY_READ_TIMEOUT_MS", "body_read_timeout_ms"),
    ("OXFORGE_MAX_CONNECTIONS", "max_connections"),
    ("OXFORGE_POOL_SIZE", "pool_size"),
    ("OXFORGE_ADMIN_POOL_SIZE", "admin_pool_size"),
    ("OXFORGE_AUTHENTICATOR_URL", "authenticator_url"),
    ("OXFORGE_POOL_TIMEOUT_MS", "pool_timeout_ms"),
];

/// Every environment variable read, and the key it fills: the core's, the HTTP layer's, each
/// capability's.
fn env_keys() -> Vec<(&'static str, &'static str)> {
    ENV_KEYS
        .iter()
        .chain(HttpSettings::ENV)
        .copied()
        .chain(Sections::env())
        .collect()
}

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
        let env_keys = env_keys();
        let env = Env::raw().filter_map(move |key| {
            env_keys
                .iter()
                .find(|(name, _)| key == *name)
                .map(|(_, field)| (*field).into())
        });
        let figment = figment.merge(env).merge(Serialized::defaults(overrides));
        refuse_unknown_keys(&figment)?;
        let config: Config = figment.extract().map_err(|e| StartError::Config(e.to_string()))?;
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
        // Trusted proxies and CORS origins from the environment: comma-separated lists.
        let list = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(list) = list("OXFORGE_TRUSTED_PROXIES") {
            config.trusted_proxies = vec![list];
        }
        if let Some(list) = list("OXFORGE_CORS_ORIGINS") {
            config.http.cors_origins = list
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect();
        }
        config.validate()?;
        Ok(config)
    }

    /// Settings that would make a server unsafe or cannot work are refused before anything starts.
    pub fn validate(&self) -> Result<(), StartError> {
        if let Some(password) = &self.root_admin_password {
            let username = self.root_admin_username.as_deref().unwrap_or(DEFAULT_ADMIN_USERNAME);
            if let Some(reason) = weak_admin_password(username, password) {
                return Err(StartError::WeakAdminPassword(reason));
            }
        }
        if let Some(bad) = self
            .http
            .cors_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/'))
        {
            return Err(StartError::Config(format!(
                "cors_origins (OXFORGE_CORS_ORIGINS): {bad:?} is not an origin; write scheme://host[:port] without a path, e.g. https://app.example.com"
            )));
        }
        self.capabilities.validate()?;
        self.trusted_proxies().map(|_| ())
    }

    /// The proxies whose `X-Forwarded-For` names the client.
    pub fn trusted_proxies(&self) -> Result<TrustedProxies, StartError> {
        TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| StartError::Config(format!("trusted_proxies (OXFORGE_TRUSTED_PROXIES): {e}")))
    }

    /// Every setting's key: the core's and each capability's.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(map)) => map.into_iter().map(|(key, _)| key).collect(),
            _ => Vec::new(),
        }
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

/// A key no setting has (a typo, or a setting of another version) is an error, naming it.
fn refuse_unknown_keys(figment: &Figment) -> Result<(), StartError> {
    let given: figment::value::Dict = figment.extract().map_err(|e| StartError::Config(e.to_string()))?;
    let known = Config::keys();
    let unknown: Vec<&str> = given
        .keys()
        .map(String::as_str)
        .filter(|key| !known.iter().any(|k| k == key))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = unknown
        .iter()
        .map(|key| match closest(key, &known) {
            Some(near) => format!("`{key}` (did you mean `{near}`?)"),
            None => format!("`{key}`"),
        })
        .collect();
    Err(StartError::Config(format!(
        "unknown setting{} {}; see the settings in README.md",
        if unknown.len() == 1 { "" } else { "s" },
        named.join(", ")
    )))
}

/// The known key at most two edits away from `key`, if one is.
fn closest<'a>(key: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edits(key, k), k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance (keys are short ASCII).
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
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
            assert_eq!(config.http.small_body_limit, 1000);
            assert_eq!(config.capabilities.database.sql_body_limit, 7000, "env beats the file");
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
    fn data_api_settings_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("OXFORGE_MAX_BATCH_ROWS", "5");
            jail.set_env("OXFORGE_TX_ROLLBACK", "all");
            let config = Config::load(None, &CliOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.capabilities.data.max_batch_rows, 5);
            assert_eq!(config.capabilities.data.tx_rollback, oxforge_data::TxRollback::All);
            Ok(())
        });
    }

    #[test]
    fn weak_admin_passwords_are_refused_with_the_fix() {
        for weak in [
            "admin",
            "password",
            "change-this-password",
            "Change-This-Password",
            "short-pw-11",
            "aaaaaaaaaaaaaaa",
        ] {
            let config = Config {
                root_admin_password: Some(weak.into()),
                ..Config::default()
            };
            let message = config.validate().unwrap_err().to_string();
            assert!(message.contains("ROOT_ADMIN_PASSWORD"), "{weak}: {message}");
            assert!(message.contains("at least 12 characters"), "{weak}: {message}");
        }
        let same_as_user = Config {
            root_admin_username: Some("operator-of-this".into()),
            root_admin_password: Some("Operator-Of-This".into()),
            ..Config::default()
        };
        assert!(same_as_user.validate().is_err());
        for fine in [None, Some("correct-horse-battery")] {
            let config = Config {
                root_admin_password: fine.map(Into::into),
                ..Config::default()
            };
            assert!(config.validate().is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn trusted_proxies_come_from_the_environment_and_are_checked() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("OXFORGE_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8");
            let config = Config::load(None, &CliOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.trusted_proxies, ["127.0.0.1, 10.0.0.0/8"]);
            jail.set_env("OXFORGE_TRUSTED_PROXIES", "10.0.0.0/99");
            let err = Config::load(None, &CliOverrides::default()).unwrap_err().to_string();
            assert!(err.contains("OXFORGE_TRUSTED_PROXIES"), "{err}");
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

    #[test]
    fn unknown_keys_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("oxforge.toml", "prot = 1\nport = 9000\n")?;
            let err = Config::load(None, &CliOverrides::default()).unwrap_err().to_string();
            assert!(err.contains("unknown setting `prot` (did you mean `port`?)"), "{err}");
            jail.create_file("oxforge.toml", "zzzzzz = 1\n")?;
            let err = Config::load(None, &CliOverrides::default()).unwrap_err().to_string();
            assert!(err.contains("unknown setting `zzzzzz`;"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn every_key_and_environment_variable_is_declared_once() {
        let mut keys = Config::keys();
        let count = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), count, "two settings share a key");
        assert!(keys.iter().any(|k| k == "port"));
        let env = env_keys();
        for (name, key) in &env {
            assert!(keys.iter().any(|k| k == key), "{name} fills no setting ({key})");
            assert_eq!(
                env.iter().filter(|(n, _)| n == name).count(),
                1,
                "{name} is declared twice"
            );
        }
    }
}
