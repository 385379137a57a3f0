//! The database admin API (the API key or a `project_admin` token): the SQL editor, migrations,
//! table management and the catalog (`/api/database/advance/*`, `/migrations`, `/tables`,
//! `/schemas`, `/functions`, `/indexes`, `/policies`, `/triggers`) and the dashboard's table grid
//! (`/api/database/admin/tables/{t}/records`).
//!
//! Restricted SQL, migrations and table management run as `project_admin` on the `authenticator`'s
//! SQL pool (`DISCARD ALL` between requests); unrestricted SQL and catalog reads on the owner's.
//! The data API's records and RPC are `oxforge-data`.

mod bulk;
mod catalog;
mod error;
mod export;
mod grid;
mod migrations;
mod sql;
mod sql_as;
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
        /// Largest body of a bulk import (`/api/database/advance/bulk-upsert`), in bytes
        /// (default 100 MiB). Not capped by `body_limit`: that bounds bodies read whole into
        /// memory, while an import is streamed (parsed as it arrives, rows copied to PostgreSQL
        /// as they are parsed, at most one record held), so this bounds the time and disk an
        /// import takes, not memory.
        pub bulk_body_limit: usize = 100 * 1024 * 1024, env "OXFORGE_BULK_BODY_LIMIT";
        /// Most rows a table export (`GET /api/database/tables/{t}/export`) sends (default
        /// 1,000,000; a smaller `limit` may be asked for).
        pub export_row_limit: u64 = 1_000_000, env "OXFORGE_EXPORT_ROW_LIMIT";
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
    /// Most rows a table export sends.
    pub export_row_limit: u64,
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
            export_row_limit: settings.export_row_limit,
        };
        let limits = Limits {
            sql: settings.sql_body_limit.min(shared.body_limit),
            bulk: settings.bulk_body_limit,
        };
        Ok(router(state, limits))
    }
}

/// The body limits of the routes that take more than the server's small limit.
#[derive(Clone, Copy)]
pub struct Limits {
    /// Routes that take SQL (read whole).
    pub sql: usize,
    /// The bulk import (streamed).
    pub bulk: usize,
}

/// The routes, with `limits.sql` on those that take SQL and `limits.bulk` on the bulk import.
pub fn router<S: Clone + Send + Sync + 'static>(state: DatabaseState, limits: Limits) -> Router<S> {
    let sql_limit = DefaultBodyLimit::max(limits.sql);
    Router::new()
        .route(
            "/api/database/advance/bulk-upsert",
            post(bulk::upsert).layer(DefaultBodyLimit::max(limits.bulk)),
        )
        .route("/api/database/tables/{table}/export", get(export::table))
        .route(
            "/api/database/admin/tables/{table}/records",
            get(grid::list)
                .post(grid::insert)
                .patch(grid::update)
                .delete(grid::delete),
        )
        .route("/api/database/admin/tables/{table}/records/lookup", get(grid::lookup))
        .route("/api/database/advance/rawsql", post(sql::restricted).layer(sql_limit))
        .route("/api/oxforge/sql/as", post(sql_as::run).layer(sql_limit))
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
