//! The data API's settings: one default each, the keys and units of `oxforge.toml`, and the
//! environment variables that set them.

use serde::{Deserialize, Serialize};

/// The data API's settings. Read at start; changing one needs a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DataSettings {
    /// Longest a statement of `anon` or `authenticated` may run, in milliseconds (0: no limit);
    /// past it the answer is 504, code `57014`. Default 10000; `OXFORGE_STATEMENT_TIMEOUT_MS`.
    pub statement_timeout_ms: u64,
    /// Longest a statement of an admin (the API key or an admin token) may run, in milliseconds
    /// (0: no limit). Default 30000; `OXFORGE_ADMIN_STATEMENT_TIMEOUT_MS`.
    pub admin_statement_timeout_ms: u64,
    /// Who may end a request with `Prefer: tx=rollback`, which also probes unique keys for free:
    /// `admin` (PostgREST's default) or `all`. Default `admin`; `OXFORGE_TX_ROLLBACK`.
    pub tx_rollback: TxRollback,
    /// Most rows one insert or upsert may carry (0: no limit); more is a 413
    /// `PAYLOAD_TOO_LARGE` with nothing written. Default 10000; `OXFORGE_MAX_BATCH_ROWS`.
    pub max_batch_rows: usize,
    /// Most requests one client address (IPv6: its /64) may have in flight; more wait for a turn
    /// as long as for a database connection, then get 429. `0`: no bound. Default (unset): three
    /// quarters of the data pool, at least 1 ([`DataSettings::per_client_bound`]);
    /// `OXFORGE_CLIENT_CONCURRENCY`.
    pub client_concurrency: Option<usize>,
    /// Largest request body, in bytes (413 `PAYLOAD_TOO_LARGE` beyond); no other route accepts
    /// more either. Default 10485760 (10 MiB); `OXFORGE_BODY_LIMIT`.
    pub body_limit: usize,
}

impl Default for DataSettings {
    fn default() -> Self {
        DataSettings {
            statement_timeout_ms: 10_000,
            admin_statement_timeout_ms: 30_000,
            tx_rollback: TxRollback::Admin,
            max_batch_rows: 10_000,
            client_concurrency: None,
            body_limit: 10 * 1024 * 1024,
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

/// Environment variables that set these settings, and the key each one fills.
pub const ENV: &[(&str, &str)] = &[
    ("OXFORGE_BODY_LIMIT", "body_limit"),
    ("OXFORGE_CLIENT_CONCURRENCY", "client_concurrency"),
    ("OXFORGE_TX_ROLLBACK", "tx_rollback"),
    ("OXFORGE_STATEMENT_TIMEOUT_MS", "statement_timeout_ms"),
    ("OXFORGE_ADMIN_STATEMENT_TIMEOUT_MS", "admin_statement_timeout_ms"),
    ("OXFORGE_MAX_BATCH_ROWS", "max_batch_rows"),
];

impl DataSettings {
    /// The per-client bound on requests in flight for a data pool of `pool_size` connections
    /// (`None`: unbounded).
    pub fn per_client_bound(&self, pool_size: usize) -> Option<usize> {
        match self.client_concurrency {
            Some(0) => None,
            Some(n) => Some(n),
            None => Some((pool_size * 3 / 4).max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_environment_variable_names_a_key() {
        let keys = serde_json::to_value(DataSettings::default()).unwrap();
        for (variable, key) in ENV {
            assert!(
                keys.get(key).is_some(),
                "{variable} fills {key}, which is not a setting"
            );
        }
    }

    #[test]
    fn per_client_bound() {
        let bound = |client_concurrency, pool_size| {
            DataSettings {
                client_concurrency,
                ..DataSettings::default()
            }
            .per_client_bound(pool_size)
        };
        assert_eq!(bound(None, 16), Some(12), "three quarters of the pool");
        assert_eq!(bound(None, 1), Some(1), "at least one");
        assert_eq!(bound(Some(0), 16), None, "0 turns it off");
        assert_eq!(bound(Some(40), 16), Some(40));
    }
}
