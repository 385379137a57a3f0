//! The database admin API (the API key or a `project_admin` token): the SQL editor, migrations,
//! table management and the catalog (`/api/database/advance/*`, `/migrations`, `/tables`,
//! `/schemas`, `/functions`, `/indexes`, `/policies`, `/triggers`).
//!
//! Restricted SQL, migrations and table management run as `project_admin` on the `authenticator`'s
//! SQL pool (`DISCARD ALL` between requests); unrestricted SQL and catalog reads on the owner's.
//! The data API's records and RPC are `oxforge-data`.

mod catalog;
mod error;
mod migrations;
mod sql;
mod tables;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{delete, get, post};
use oxforge_auth::Authenticator;
use oxforge_db::Pool;
use oxforge_edge::{Capability, Shared};

oxforge_edge::settings! {
    /// Settings of the database admin API.
    pub struct DatabaseSettings {
        /// Largest body of the SQL editor, migrations and table management, in bytes (default
        /// 1 MiB; never more than `body_limit`).
        pub sql_body_limit: usize = 1024 * 1024, env "OXFORGE_SQL_BODY_LIMIT";
    }
}

/// What the database admin routes reach.
#[derive(Clone)]
pub struct DatabaseState {
    pub auth: Arc<Authenticator>,
    /// The owner's connections: unrestricted SQL, catalog reads.
    pub owner_pool: Pool,
    /// The `authenticator`'s SQL connections: restricted SQL, migrations, table management.
    pub sql_pool: Pool,
}

impl FromRef<DatabaseState> for Arc<Authenticator> {
    fn from_ref(state: &DatabaseState) -> Self {
        Arc::clone(&state.auth)
    }
}

/// The database admin API as a capability.
pub struct Database;

impl Capability for Database {
    const NAME: &'static str = "database";
    type Settings = DatabaseSettings;

    fn router(shared: &mut Shared, settings: &DatabaseSettings) -> Result<Router, String> {
        let state = DatabaseState {
            auth: Arc::clone(&shared.auth),
            owner_pool: shared.owner_pool.clone(),
            sql_pool: shared.sql_pool.clone(),
        };
        Ok(router(state, settings.sql_body_limit.min(shared.body_limit)))
    }
}

/// The routes, with `sql_limit` on those that take SQL.
pub fn router<S: Clone + Send + Sync + 'static>(state: DatabaseState, sql_limit: usize) -> Router<S> {
    let sql_limit = DefaultBodyLimit::max(sql_limit);
    Router::new()
        .route("/api/database/advance/rawsql", post(sql::restricted).layer(sql_limit))
        .route(
            "/api/database/advance/rawsql/unrestricted",
            post(sql::unrestricted).layer(sql_limit),
        )
        .route(
            "/api/database/migrations",
            get(migrations::list).post(migrations::create).layer(sql_limit),
        )
        .route(
            "/api/database/migrations/dry-run",
            post(migrations::dry_run).layer(sql_limit),
        )
        .route(
            "/api/database/tables",
            get(catalog::tables).post(tables::create).layer(sql_limit),
        )
        .route("/api/database/tables/{table}", delete(tables::delete).layer(sql_limit))
        .route(
            "/api/database/tables/{table}/schema",
            get(catalog::table_schema).patch(tables::alter).layer(sql_limit),
        )
        .route("/api/database/schemas", get(catalog::schemas))
        .route("/api/database/functions", get(catalog::functions))
        .route("/api/database/indexes", get(catalog::indexes))
        .route("/api/database/policies", get(catalog::policies))
        .route("/api/database/triggers", get(catalog::triggers))
        .with_state(state)
}
