//! `GET /api/metadata` (JSON or markdown) and its slices; the keys; InsForge CLI conveniences.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use oxforge_auth::ProjectKey;
use oxforge_db::{DbError, catalog};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::ProjectState;
use oxforge_edge::Admin;
use oxforge_edge::{ApiError, SchemaQuery};

fn current(keys: &[ProjectKey]) -> Result<&str, ApiError> {
    keys.first().map(|k| k.value.as_str()).ok_or_else(ApiError::internal)
}

pub async fn api_key(_: Admin, State(state): State<ProjectState>) -> Result<Json<Value>, ApiError> {
    let creds = state.auth.credentials();
    Ok(Json(json!({ "apiKey": current(&creds.api_keys)? })))
}

pub async fn anon_key(_: Admin, State(state): State<ProjectState>) -> Result<Json<Value>, ApiError> {
    let creds = state.auth.credentials();
    Ok(Json(json!({ "anonKey": current(&creds.anon_keys)? })))
}

/// The deprecated `POST /api/auth/tokens/anon` the InsForge CLI still calls.
pub async fn anon_token(_: Admin, State(state): State<ProjectState>) -> Result<Json<Value>, ApiError> {
    let creds = state.auth.credentials();
    Ok(Json(
        json!({ "accessToken": current(&creds.anon_keys)?, "message": "Use GET /api/metadata/anon-key" }),
    ))
}

/// oxforge has no cloud project id.
pub async fn project_id(_: Admin) -> Json<Value> {
    Json(json!({ "projectId": null }))
}

#[derive(Deserialize)]
pub struct Format {
    format: Option<String>,
}

async fn metadata_value(state: &ProjectState) -> Result<Value, ApiError> {
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    let database: Value =
        serde_json::from_str(&catalog::database_summary(&client, "public").await?).map_err(|_| ApiError::internal())?;
    let storage = storage_summary(&client).await?;
    let config = state.accounts.auth_config().await?;
    let mut auth = oxforge_accounts::public_config_value(&config);
    if let Some(auth) = auth.as_object_mut() {
        auth.insert(
            "smtpConfig".into(),
            json!({"enabled": false, "host": null, "port": null, "username": null, "hasPassword": false,
                   "senderEmail": null, "senderName": null, "minIntervalSeconds": null}),
        );
        auth.insert("allowedRedirectUrls".into(), json!(config.allowed_redirect_urls));
    }
    Ok(json!({
        "auth": auth,
        "database": database,
        "storage": storage,
        "functions": [],
        "version": crate::INSFORGE_API_VERSION,
        "oxforgeVersion": crate::OXFORGE_VERSION,
    }))
}

/// `{buckets: [{name, public, createdAt}], totalSizeInGB}` from the storage capability's tables
/// (none when this build has no storage).
async fn storage_summary(client: &oxforge_db::deadpool_postgres::Object) -> Result<Value, ApiError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('storage.objects') IS NOT NULL", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(DbError::from)?;
    if !exists {
        return Ok(json!({ "buckets": [], "totalSizeInGB": 0 }));
    }
    let text: String = client
        .query_one(
            "SELECT json_build_object('buckets', coalesce((SELECT json_agg(json_build_object('name', name, \
               'public', public, 'createdAt', to_char(created_at AT TIME ZONE 'UTC', \
               'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) ORDER BY name) FROM storage.buckets), '[]'::json), \
               'totalSizeInGB', round(coalesce((SELECT sum(size) FROM storage.objects), 0) / 1073741824.0, 6)::float8)::text",
            &[],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(DbError::from)?;
    serde_json::from_str(&text).map_err(|_| ApiError::internal())
}

fn markdown(meta: &Value) -> String {
    let mut out = String::from("# Project metadata\n\n");
    out.push_str(&format!(
        "Server: oxforge {} (InsForge API {})\n\n## Database\n\n",
        crate::OXFORGE_VERSION,
        crate::INSFORGE_API_VERSION
    ));
    let tables = meta["database"]["tables"].as_array().cloned().unwrap_or_default();
    if tables.is_empty() {
        out.push_str("No tables in `public`.\n");
    } else {
        out.push_str("| Table | Records (estimate) |\n|---|---|\n");
        for t in tables {
            out.push_str(&format!(
                "| {} | {} |\n",
                t["tableName"].as_str().unwrap_or(""),
                t["recordCount"]
            ));
        }
    }
    out.push_str(&format!(
        "\n## Auth\n\n- Password minimum length: {}\n- Email verification required: {}\n- OAuth providers: none\n",
        meta["auth"]["passwordMinLength"], meta["auth"]["requireEmailVerification"]
    ));
    out
}

pub async fn metadata(
    _: Admin,
    State(state): State<ProjectState>,
    Query(format): Query<Format>,
) -> Result<Response, ApiError> {
    let meta = metadata_value(&state).await?;
    match format.format.as_deref() {
        Some("markdown") => Ok(([(CONTENT_TYPE, "text/markdown; charset=utf-8")], markdown(&meta)).into_response()),
        None | Some("json") => Ok(Json(meta).into_response()),
        Some(other) => Err(ApiError::invalid_input(format!(
            "format: Expected json or markdown, got {other}"
        ))),
    }
}

/// `GET /api/metadata/<key>`: one key of the metadata.
macro_rules! slice {
    ($name:ident, $key:literal) => {
        pub async fn $name(_: Admin, State(state): State<ProjectState>) -> Result<Json<Value>, ApiError> {
            Ok(Json(metadata_value(&state).await?[$key].clone()))
        }
    };
}

slice!(auth_slice, "auth");
slice!(database_slice, "database");
slice!(storage_slice, "storage");
slice!(functions_slice, "functions");

/// `GET /api/metadata/{table}`: `{"<table>": {schema, indexes, foreignKeys, rlsEnabled, policies,
/// triggers, rows, primaryKey, uniqueConstraints}}` as InsForge's JSON export of one table (the
/// last two are oxforge's); an unknown table is a 404 where InsForge answers empty lists.
pub async fn table(
    _: Admin,
    State(state): State<ProjectState>,
    Path(table): Path<String>,
    Query(q): Query<SchemaQuery>,
) -> Result<Json<Value>, ApiError> {
    // No relation name is longer than 63 bytes or holds a NUL: no query for those.
    let impossible = |name: &str| name.is_empty() || name.len() > 63 || name.contains('\0');
    if impossible(&table) || impossible(q.name()) {
        return Err(q.table_not_found(&table));
    }
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    let Some(text) = catalog::table_metadata(&client, q.name(), &table).await? else {
        return Err(q.table_not_found(&table));
    };
    let meta: Value = serde_json::from_str(&text).map_err(|_| ApiError::internal())?;
    let mut answer = Map::new();
    answer.insert(table.clone(), meta);
    Ok(Json(Value::Object(answer)))
}
