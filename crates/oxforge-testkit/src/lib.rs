//! The test harness.
//!
//! - [`cluster`]: one embedded PostgreSQL per test process, started on first use (as the
//!   `postgres` user when root) in `/tmp/oxforge-test-<pid>`, with a template database that
//!   already has the bootstrap schema. It stops when the process exits (parent-death signal).
//! - [`TestServer`]: an in-process oxforge on a fresh database copied from the template,
//!   listening on a free loopback port, its storage on local disk or ([`StorageBackend`]) on
//!   the process's SeaweedFS ([`seaweedfs`]).
//!
//! Failures to start panic with the reason: a test that cannot get its database must fail,
//! never pass silently.

mod cluster;
mod issuer;
mod seaweed;
mod server;
mod tokens;

pub use cluster::{TestCluster, cluster};
pub use issuer::{KeyKind, TestIssuer};
pub use seaweed::{SeaweedFs, seaweedfs};
pub use server::{StorageBackend, TEST_ENCRYPTION_KEY, TestServer};
pub use tokens::{hs256, now};

/// An HTTP client for tests (no proxy, short timeout).
pub fn http() -> reqwest::Client {
    match reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(30))
        .build()
    {
        Ok(client) => client,
        Err(e) => panic!("cannot build the HTTP client: {e}"),
    }
}
