//! The admin routes (the API key or a `project_admin` token), run as the owner: the upload cap
//! (`/config`) and buckets (list, create, visibility, delete).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use oxforge_edge::{Admin, Audit, JsonBody};
use serde_json::{Value, json};

use crate::error::{Result, StorageError};
use crate::keys::{bucket_and_rest, check_bucket};
use crate::state::StorageState;

/// A timestamp column as InsForge's JSON shows it (ISO 8601, milliseconds, `Z`).
fn iso(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
}

async fn one_json(
    state: &StorageState,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Option<Value>> {
    let client = state.db.owner().await?;
    let row = client.query_opt(sql, params).await?;
    match row {
        Some(row) => {
            let text: String = row.try_get(0)?;
            Ok(Some(serde_json::from_str(&text).map_err(std::io::Error::other)?))
        }
        None => Ok(None),
    }
}

fn config_sql(tail: &str) -> String {
    format!(
        "{tail} json_build_object('id', id, 'maxFileSizeMb', max_file_size_mb, 'createdAt', {}, 'updatedAt', {})::text",
        iso("created_at"),
        iso("updated_at")
    )
}

/// `GET /api/storage/config`.
pub async fn get_config(_: Admin, State(state): State<StorageState>) -> Result<Json<Value>> {
    let sql = format!("{} FROM storage.config LIMIT 1", config_sql("SELECT"));
    let found = one_json(&state, &sql, &[]).await?;
    Ok(Json(found.unwrap_or_else(
        || json!({ "maxFileSizeMb": crate::db::DEFAULT_MAX_MB }),
    )))
}

/// `PUT /api/storage/config {maxFileSizeMb}`: an integer from 1 to 200.
pub async fn put_config(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<StorageState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>> {
    let mb = match body.get("maxFileSizeMb") {
        None | Some(Value::Null) => return Err(StorageError::invalid("maxFileSizeMb: Required")),
        Some(v) => v
            .as_i64()
            .ok_or_else(|| StorageError::invalid("maxFileSizeMb: Expected integer"))?,
    };
    if !(1..=200).contains(&mb) {
        return Err(StorageError::invalid("maxFileSizeMb: Number must be between 1 and 200"));
    }
    let mb = mb as i32;
    let sql = config_sql("UPDATE storage.config SET max_file_size_mb = $1 RETURNING");
    let found = one_json(&state, &sql, &[&mb]).await?;
    let found = match found {
        Some(found) => found,
        None => {
            let sql = config_sql("INSERT INTO storage.config (max_file_size_mb) VALUES ($1) RETURNING");
            one_json(&state, &sql, &[&mb])
                .await?
                .ok_or_else(|| StorageError::Io(std::io::Error::other("no configuration row")))?
        }
    };
    audit.record(
        &admin,
        "UPDATE_STORAGE_CONFIG",
        "STORAGE",
        json!({ "maxFileSizeMb": mb }),
    );
    Ok(Json(found))
}

/// `GET /api/storage/s3/config`: where the S3 gateway is, the region clients sign for, and
/// whether it is on (`S3_GATEWAY`).
pub async fn s3_config(_: Admin, State(state): State<StorageState>, headers: axum::http::HeaderMap) -> Json<Value> {
    Json(json!({
        "endpoint": format!("{}{}", state.base_url(&headers), crate::gateway::PREFIX),
        "region": state.gateway_region.as_deref().unwrap_or("us-east-2"),
        "available": state.gateway_region.is_some() && state.backend.is_some(),
    }))
}

/// `GET /api/storage/buckets`: `[{name, public, createdAt}]` by name.
pub async fn list_buckets(_: Admin, State(state): State<StorageState>) -> Result<Json<Value>> {
    let sql = format!(
        "SELECT coalesce(json_agg(json_build_object('name', name, 'public', public, 'createdAt', {}) ORDER BY name), '[]')::text \
         FROM storage.buckets",
        iso("created_at")
    );
    Ok(Json(one_json(&state, &sql, &[]).await?.unwrap_or_else(|| json!([]))))
}

fn is_public(body: &Value, required: bool) -> Result<Option<bool>> {
    match body.get("isPublic") {
        None | Some(Value::Null) if required => Err(StorageError::invalid("isPublic: Required")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(StorageError::invalid("isPublic: Expected boolean")),
    }
}

/// `POST /api/storage/buckets {bucketName, isPublic = true}`: 201.
pub async fn create_bucket(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<StorageState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<Value>)> {
    let name = match body.get("bucketName") {
        None | Some(Value::Null) => return Err(StorageError::invalid("bucketName: Required")),
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(StorageError::invalid("bucketName: Expected string")),
    };
    check_bucket(&name)?;
    let public = is_public(&body, false)?.unwrap_or(true);
    let backend = state.backend()?;
    let client = state.db.owner().await?;
    let inserted = client
        .execute(
            "INSERT INTO storage.buckets (name, public) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &public],
        )
        .await?;
    if inserted == 0 {
        return Err(StorageError::AlreadyExists(format!("Bucket \"{name}\" already exists")));
    }
    backend.create_bucket(&name).await?;
    audit.record(
        &admin,
        "CREATE_BUCKET",
        "STORAGE",
        json!({ "bucketName": name, "isPublic": public }),
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message": "Bucket created successfully",
            "bucketName": name,
            "isPublic": public,
            "nextActions": format!(
                "Upload files with insforge.storage.from('{name}').upload(path, file); {} buckets' files are readable without a token.",
                if public { "public" } else { "only private, not public," }
            ),
        })),
    ))
}

/// The bucket of `/api/storage/buckets/{b}` (not validated, as InsForge).
fn bucket_of(uri: &Uri) -> Result<String> {
    match bucket_and_rest(uri.path()) {
        Ok((bucket, _)) => Ok(bucket),
        Err(_) => {
            let raw = uri.path().trim_start_matches("/api/storage/buckets/");
            crate::keys::decode(raw)
        }
    }
}

/// `PATCH /api/storage/buckets/{b} {isPublic}`.
pub async fn patch_bucket(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<StorageState>,
    uri: Uri,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>> {
    let bucket = bucket_of(&uri)?;
    let public = is_public(&body, true)?.unwrap_or(true);
    let client = state.db.owner().await?;
    let updated = client
        .execute(
            "UPDATE storage.buckets SET public = $2, updated_at = now() WHERE name = $1",
            &[&bucket, &public],
        )
        .await?;
    if updated == 0 {
        return Err(StorageError::NotFound(format!("Bucket \"{bucket}\" does not exist")));
    }
    audit.record(
        &admin,
        "UPDATE_BUCKET",
        "STORAGE",
        json!({ "bucketName": bucket, "isPublic": public }),
    );
    Ok(Json(json!({
        "message": "Bucket visibility updated",
        "bucket": bucket,
        "isPublic": public,
        "nextActions": if public {
            "The bucket's files are now readable without a token."
        } else {
            "The bucket's files now need a token: signed-in users read what row-level security lets them."
        },
    })))
}

/// `DELETE /api/storage/buckets/{b}`: the row (objects cascade), then the files.
pub async fn delete_bucket(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<StorageState>,
    uri: Uri,
) -> Result<Json<Value>> {
    let bucket = bucket_of(&uri)?;
    let backend = state.backend()?;
    // Unfinished S3 multipart uploads into the bucket go with it, their parts too.
    let uploads = crate::gateway::multipart::uploads_in_bucket(&state, &bucket).await?;
    let client = state.db.owner().await?;
    let deleted = client
        .execute("DELETE FROM storage.buckets WHERE name = $1", &[&bucket])
        .await?;
    if deleted == 0 {
        return Err(StorageError::NotFound("Bucket not found or already empty".into()));
    }
    if check_bucket(&bucket).is_ok() {
        backend.remove_bucket(&bucket).await?;
    }
    crate::gateway::multipart::remove_uploads(&state, uploads).await;
    audit.record(&admin, "DELETE_BUCKET", "STORAGE", json!({ "bucketName": bucket }));
    Ok(Json(json!({
        "message": "Bucket deleted successfully",
        "nextActions": "The bucket, its objects and their files are gone.",
    })))
}
