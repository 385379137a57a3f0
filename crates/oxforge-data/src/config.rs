//! The data API's settings: one default each, the keys and units of `oxforge.toml`, and the
//! environment variables that set them.

use serde::{Deserialize, Serialize};

oxforge_edge::settings! {
    /// The data API's settings. Read at start; changing one needs a restart. Its body limit is
    /// the server's `body_limit` (no route accepts more).
    pub struct DataSettings {
        /// Longest a statement of `anon` or `authenticated` may run, in milliseconds (0: no
        /// limit); past it the answer is 504, code `57014`. Default 10000.
        pub statement_timeout_ms: u64 = 10_000, env "OXFORGE_STATEMENT_TIMEOUT_MS";
        /// Longest a statement of an admin (the API key or an admin token) may run, in
        /// milliseconds (0: no limit). Default 30000.
        pub admin_statement_timeout_ms: u64 = 30_000, env "OXFORGE_ADMIN_STATEMENT_TIMEOUT_MS";
        /// Who may end a request with `Prefer: tx=rollback`, which also probes unique keys for
        /// free: `admin` (PostgREST's default) or `all`. Default `admin`.
        pub tx_rollback: TxRollback = TxRollback::Admin, env "OXFORGE_TX_ROLLBACK";
        /// Most rows one insert or upsert may carry (0: no limit); more is a 413
        /// `PAYLOAD_TOO_LARGE` with nothing written. Default 10000.
        pub max_batch_rows: usize = 10_000, env "OXFORGE_MAX_BATCH_ROWS";
        /// Most requests one client address (IPv6: its /64) may have in flight; more wait for a
        /// turn as long as for a database connection, then get 429. `0`: no bound. Default
        /// (unset): three quarters of the data pool, at least 1
        /// ([`DataSettings::per_client_bound`]).
        pub client_concurrency: Option<usize> = None, env "OXFORGE_CLIENT_CONCURRENCY";
    }
}

/// Who may end a data-API request with `Prefer: tx=rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxRollback {
    Admin,
    All,
}

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
