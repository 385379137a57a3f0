//! The data API: PostgREST's table and function endpoints, `/api/database/records/{table}` and
//! `/api/database/rpc/{function}`, answered in-process as the caller. One stage per crate, one
//! step per module here, in the order of PostgREST's `App.hs`:
//!
//! ```text
//! request   the DataCall extractor: credentials, name, schema, media type, Prefer,
//!           query length, body                                 (request)
//! → parse   query string and JSON body (oxforge-api-request)    (records, rpc)
//! → plan    against the schema cache, reloaded once on a miss
//!           (oxforge-plan)                                      (records, rpc)
//! → query   one statement, values bound (oxforge-sql)           (records, rpc)
//! → execute as the caller, in one round trip (oxforge-db::exec);
//!           database errors as PostgREST's                      (execute)
//! → respond status, shaped body, Content-Range,
//!           Preference-Applied                                  (response)
//! ```
//!
//! Failures leave as [`oxforge_edge::Reject`]: PostgREST's body for what PostgREST would say,
//! InsForge's envelope for the gateway's own refusals. [`router`] is the whole surface; the
//! per-client bound on requests in flight ([`ClientLimiter`]) sits in front of both routes.

mod client_limit;
mod config;
mod execute;
mod records;
mod request;
mod response;
mod rpc;
mod state;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::any;
use oxforge_edge::{Capability, Shared};

pub use client_limit::ClientLimiter;
pub use config::{DataSettings, TxRollback};
pub use state::DataState;

/// The data API as a capability (no SQL of its own: it runs the project's).
pub struct Data;

impl Capability for Data {
    const NAME: &'static str = "data";
    type Settings = DataSettings;

    fn router(shared: &mut Shared, settings: &DataSettings) -> Result<Router, String> {
        let client_limiter = settings
            .per_client_bound(shared.data_pool.status().max_size)
            .map(|n| ClientLimiter::new(n, shared.pool_timeout, shared.proxies.clone()));
        let state = DataState::new(
            shared.data_pool.clone(),
            Arc::clone(&shared.auth),
            Arc::clone(&shared.schema),
            settings.clone(),
            client_limiter,
        );
        Ok(router(state, shared.body_limit))
    }
}

/// The data API's routes, with `body_limit` and the per-client bound; merged by the HTTP layer
/// (`Router<S>`: the state is applied here).
pub fn router<S: Clone + Send + Sync + 'static>(state: DataState, body_limit: usize) -> Router<S> {
    let body_limit = DefaultBodyLimit::max(body_limit);
    Router::new()
        .route("/api/database/records/{table}", any(records::records).layer(body_limit))
        .route("/api/database/rpc/{function}", any(rpc::rpc).layer(body_limit))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), client_limit::limit))
        .with_state(state)
}
