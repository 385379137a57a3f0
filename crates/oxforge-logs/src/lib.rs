//! Logs: InsForge's `/api/logs/*` over oxforge's own logs. `insforge.logs` is this process's
//! request and event log ([`LogLayer`], a `tracing` layer the binary installs, into the process's
//! [`LogStore`]: a bounded ring per source, appended to `<data dir>/logs/*.jsonl` and read back at
//! start when oxforge runs its embedded PostgreSQL; in memory only with an external database); `postgres.logs` the embedded PostgreSQL's log file; `function.logs` stays empty until
//! functions exist, `postgREST.logs` too (the data API runs in-process). Each process shows its
//! own logs. `/api/logs/audits` reads the audit trail, `system.audit_logs` (this capability's
//! SQL), which any capability writes through `oxforge_edge::Audit`.

mod audits;
mod layer;
mod postgres;
mod routes;
mod store;

use axum::Router;
use axum::routing::get;
use oxforge_edge::{Capability, Shared};

pub use layer::LogLayer;
pub use routes::{LogsState, MAX_LIMIT};
pub use store::{Entry, LogStore, Source};

oxforge_edge::settings! {
    /// The logs API has no settings of its own yet.
    pub struct LogsSettings {}
}

/// The logs API as a capability (its SQL: the audit trail's table).
pub struct Logs;

impl Capability for Logs {
    const NAME: &'static str = "logs";
    type Settings = LogsSettings;
    const SQL: &'static [oxforge_db::Step] = &[oxforge_db::Step {
        version: 1,
        name: "audit_logs",
        sql: include_str!("../sql/0001_audit_logs.sql"),
        formerly: None,
    }];

    fn router(shared: &mut Shared, _: &LogsSettings) -> Result<Router, String> {
        let store = LogStore::global();
        // With an external database there is no data directory of oxforge's to write into.
        if let Some(dir) = &shared.data_dir
            && let Err(e) = store.persist_to(&dir.join("logs"))
        {
            tracing::warn!(error = %e, "the request log is kept in memory only");
        }
        Ok(router(LogsState {
            store,
            auth: std::sync::Arc::clone(&shared.auth),
            postgres_log: shared.postgres_log.clone(),
            owner_pool: shared.owner_pool.clone(),
        }))
    }
}

pub fn router<S: Clone + Send + Sync + 'static>(state: LogsState) -> Router<S> {
    Router::new()
        .route("/api/logs/sources", get(routes::sources))
        .route("/api/logs/stats", get(routes::stats))
        .route("/api/logs/search", get(routes::search))
        .route("/api/logs/functions/build-logs", get(routes::build_logs))
        .route("/api/logs/audits", get(audits::list).delete(audits::clear))
        .route("/api/logs/audits/stats", get(audits::stats))
        .route("/api/logs/{source}", get(routes::source))
        .with_state(state)
}
