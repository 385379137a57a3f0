//! The routes under `/api/storage`. Exact routes win over `…/objects/{*key}`; `POST` on an
//! object path is dispatched on its suffix (`/confirm-upload`, `/download-strategy`).

mod admin;
mod objects;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::state::StorageState;

/// The largest upload body: the highest cap InsForge allows (200 MB) and room for the
/// multipart framing. The configured cap is enforced while the file streams in.
const UPLOAD_BODY_LIMIT: usize = 200 * 1024 * 1024 + 1024 * 1024;

/// Batch deletes name up to 1,000 keys.
const BATCH_BODY_LIMIT: usize = 1024 * 1024;

pub fn router<S: Clone + Send + Sync + 'static>(state: StorageState) -> Router<S> {
    let objects = || {
        get(objects::list_objects)
            .merge(post(objects::post_objects).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
            .merge(axum::routing::delete(objects::delete_objects).layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT)))
    };
    let object = get(objects::get_object)
        .head(objects::head_object)
        .delete(objects::delete_object)
        .post(objects::post_object)
        .merge(put(objects::put_object).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)));
    Router::new()
        .route("/api/storage/config", get(admin::get_config).put(admin::put_config))
        .route("/api/storage/s3/config", get(admin::s3_config))
        .route(
            "/api/storage/buckets",
            get(admin::list_buckets).post(admin::create_bucket),
        )
        .route(
            "/api/storage/buckets/{bucket}",
            axum::routing::patch(admin::patch_bucket).delete(admin::delete_bucket),
        )
        .route("/api/storage/buckets/{bucket}/objects", objects())
        .route("/api/storage/buckets/{bucket}/objects/", objects())
        .route("/api/storage/buckets/{bucket}/objects/{*key}", object)
        .route(
            "/api/storage/buckets/{bucket}/download-strategy/objects/{*key}",
            get(objects::get_download_strategy),
        )
        .route(
            "/api/storage/buckets/{bucket}/upload-strategy",
            post(objects::upload_strategy),
        )
        .with_state(state)
}
