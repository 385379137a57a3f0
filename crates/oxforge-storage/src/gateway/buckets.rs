//! Bucket operations: ListBuckets, CreateBucket (private, as InsForge's gateway makes them),
//! HeadBucket, DeleteBucket (only when empty), GetBucketLocation, GetBucketVersioning.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::gateway::error::{S3Error, S3Result};
use crate::gateway::multipart::{remove_uploads, uploads_in_bucket};
use crate::gateway::xml::Doc;
use crate::gateway::{Gateway, S3Request, s3_time, xml_response};

/// The owner every bucket lists.
const OWNER: &str = "insforge";

/// `GET /`: every bucket, by name.
pub async fn list(gw: &Gateway) -> S3Result<Response> {
    let client = gw.storage.db.owner().await?;
    let sql = format!(
        "SELECT name, {} FROM storage.buckets ORDER BY name COLLATE \"C\"",
        s3_time("coalesce(created_at, now())")
    );
    let rows = client.query(&sql, &[]).await?;
    let mut doc = Doc::new("ListAllMyBucketsResult");
    doc.open("Owner")
        .text("ID", OWNER)
        .text("DisplayName", OWNER)
        .close()
        .open("Buckets");
    for row in rows {
        let name: String = row.try_get(0)?;
        let created: String = row.try_get(1)?;
        doc.open("Bucket")
            .text("Name", name)
            .text("CreationDate", created)
            .close();
    }
    Ok(xml_response(StatusCode::OK, doc.finish()))
}

/// Whether `bucket` exists.
pub async fn exists(gw: &Gateway, bucket: &str) -> S3Result<bool> {
    let client = gw.storage.db.owner().await?;
    let statement = client
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM storage.buckets WHERE name = $1)")
        .await?;
    Ok(client.query_one(&statement, &[&bucket]).await?.try_get(0)?)
}

/// `NoSuchBucket` unless `bucket` exists.
pub async fn require(gw: &Gateway, bucket: &str) -> S3Result<()> {
    if exists(gw, bucket).await? {
        Ok(())
    } else {
        Err(S3Error::no_such_bucket(bucket))
    }
}

fn with_region(gw: &Gateway, mut response: Response) -> Response {
    if let Ok(region) = HeaderValue::from_str(&gw.region) {
        response.headers_mut().insert("x-amz-bucket-region", region);
    }
    response
}

/// `HEAD /b`.
pub async fn head(gw: &Gateway, bucket: &str) -> S3Result<Response> {
    require(gw, bucket).await?;
    Ok(with_region(gw, StatusCode::OK.into_response()))
}

/// `PUT /b`: a private bucket; 409 `BucketAlreadyOwnedByYou` when it exists.
pub async fn create(gw: &Gateway, bucket: &str, request: &mut S3Request) -> S3Result<Response> {
    let backend = gw.backend()?;
    let client = gw.storage.db.owner().await?;
    let inserted = client
        .execute(
            "INSERT INTO storage.buckets (name, public) VALUES ($1, false) ON CONFLICT (name) DO NOTHING",
            &[&bucket],
        )
        .await?;
    if inserted == 0 {
        return Err(S3Error::new(
            StatusCode::CONFLICT,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
        ));
    }
    backend.create_bucket(bucket).await?;
    request.record("CREATE_BUCKET", json!({ "bucketName": bucket, "isPublic": false }));
    let mut response = StatusCode::OK.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/{bucket}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `DELETE /b`: 204 when it was empty; 409 `BucketNotEmpty` when objects remain.
pub async fn delete(gw: &Gateway, bucket: &str, request: &mut S3Request) -> S3Result<Response> {
    let backend = gw.backend()?;
    let uploads = uploads_in_bucket(&gw.storage, bucket).await?;
    let client = gw.storage.db.owner().await?;
    let deleted = client
        .execute(
            "DELETE FROM storage.buckets WHERE name = $1 \
             AND NOT EXISTS (SELECT 1 FROM storage.objects WHERE bucket = $1)",
            &[&bucket],
        )
        .await?;
    if deleted == 0 {
        require(gw, bucket).await?;
        return Err(S3Error::new(
            StatusCode::CONFLICT,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty.",
        ));
    }
    backend.remove_bucket(bucket).await?;
    remove_uploads(&gw.storage, uploads).await;
    request.record("DELETE_BUCKET", json!({ "bucketName": bucket }));
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /b?location`: the configured region.
pub async fn location(gw: &Gateway, bucket: &str) -> S3Result<Response> {
    require(gw, bucket).await?;
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{}\">{}</LocationConstraint>",
        crate::gateway::xml::NS,
        crate::gateway::xml::escape(&gw.region)
    );
    Ok(xml_response(StatusCode::OK, document))
}

/// `GET /b?versioning`: never enabled (the status InsForge stores has no effect).
pub async fn versioning(gw: &Gateway, bucket: &str) -> S3Result<Response> {
    require(gw, bucket).await?;
    Ok(xml_response(
        StatusCode::OK,
        Doc::new("VersioningConfiguration").finish(),
    ))
}
