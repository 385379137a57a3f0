//! `GET /api/database/{tables,schemas,functions,indexes,policies,triggers}` and
//! `GET /api/database/tables/{table}/schema`.

use axum::Json;
use axum::extract::{Path, Query, State};
use oxforge_db::{DbError, catalog};
use serde_json::Value;

use crate::DatabaseState;
use oxforge_edge::Admin;
use oxforge_edge::{ApiError, SchemaQuery};

fn parse(text: &str) -> Result<Json<Value>, ApiError> {
    serde_json::from_str(text).map(Json).map_err(|_| ApiError::internal())
}

macro_rules! listing {
    ($name:ident, $query:path) => {
        pub async fn $name(
            _: Admin,
            State(state): State<DatabaseState>,
            Query(q): Query<SchemaQuery>,
        ) -> Result<Json<Value>, ApiError> {
            let client = state.owner_pool.get().await.map_err(DbError::from)?;
            parse(&$query(&client, q.name()).await?)
        }
    };
}

listing!(tables, catalog::tables);
listing!(functions, catalog::functions);
listing!(indexes, catalog::indexes);
listing!(policies, catalog::policies);
listing!(triggers, catalog::triggers);

pub async fn schemas(_: Admin, State(state): State<DatabaseState>) -> Result<Json<Value>, ApiError> {
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    parse(&catalog::schemas(&client).await?)
}

pub async fn table_schema(
    _: Admin,
    State(state): State<DatabaseState>,
    Path(table): Path<String>,
    Query(q): Query<SchemaQuery>,
) -> Result<Json<Value>, ApiError> {
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    match catalog::table_schema(&client, q.name(), &table).await? {
        Some(text) => parse(&text),
        None => Err(q.table_not_found(&table)),
    }
}
