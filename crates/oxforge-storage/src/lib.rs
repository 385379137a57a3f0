//! Storage: InsForge's `/api/storage/*` (buckets, objects, upload and download strategies), so
//! `@insforge/sdk`'s storage module works unchanged.
//!
//! - **Schema** (this capability's SQL): `storage.buckets`, `storage.objects` (`size` bigint),
//!   `storage.config` (one row: the upload cap), the gateway's tables, the path helpers
//!   `storage.foldername/filename/extension`; RLS on `storage.objects` with owner policies by
//!   default (`uploaded_by = auth.jwt()->>'sub'`), unlike InsForge's fresh installs.
//! - **Access** ([`db`]): admins act as the owner; reads of public buckets need no credential;
//!   everyone else acts in their own database context, so RLS decides (another user's object is
//!   a 404 to read or delete, a 403 to overwrite).
//! - **Objects** ([`local`]): files under `storage_dir`, uploads streamed from the multipart
//!   field `file` into a temporary file (size cap enforced while streaming, MD5 and the first
//!   bytes for the type computed on the way), the row upserted in the caller's transaction, the
//!   file renamed into place, then commit; downloads streamed with `ETag`/304, `Range`/206/416,
//!   `nosniff`, and `attachment` for every type not known to be inert.
//! - **S3** ([`s3`], selected by `S3_BUCKET`): the same through `object_store`, keys
//!   `<APP_KEY>/<bucket>/<key>`, uploads streamed (up to 8 MiB to a temporary key and copied into
//!   place; larger, a multipart upload to the final key, completed) in the row's transaction;
//!   proxy mode, or presigned mode (presigned `GET`s and a 302 on reads, SigV4 POST-policy uploads
//!   then confirm). [`backend`] hides which.
//! - **S3 gateway** ([`gateway`]): InsForge's `/storage/v1/s3` for S3 clients, on either backend.
//! - **Keys** ([`keys`]) are read from the raw path and decoded once (`a%2Fb` ≡ `a/b`).

mod backend;
mod db;
mod download;
mod error;
mod gateway;
mod keys;
mod local;
mod mime;
mod routes;
mod s3;
mod state;
mod upload;

use std::sync::Arc;

use axum::Router;
use oxforge_edge::{Capability, Shared};

pub use error::StorageError;
pub use state::StorageState;

oxforge_edge::settings! {
    /// Settings of storage.
    pub struct StorageSettings {
        /// Where objects are kept (`<bucket>/<key>` below it). Default: `<data dir>/storage`
        /// when oxforge runs its embedded PostgreSQL; required with an external database
        /// (without it the storage routes answer 503).
        pub storage_dir: Option<std::path::PathBuf> = None, env "STORAGE_DIR";
        /// The public base URL of this server (`https://api.example.com`), used in the absolute
        /// URLs storage answers with. Default: from the request's `Host` and
        /// `X-Forwarded-Proto`.
        pub api_base_url: Option<String> = None, env "API_BASE_URL";
        /// The S3 bucket objects are kept in (as `<app_key>/<bucket>/<key>`). Set, it selects
        /// the S3 backend instead of `storage_dir`.
        pub s3_bucket: Option<String> = None, env "S3_BUCKET";
        /// The S3 region (also the region presigned URLs are signed for).
        pub s3_region: String = "us-east-2".to_owned(), env "S3_REGION";
        /// S3 credentials, as a pair; without them, the default AWS chain (`AWS_*`, instance
        /// metadata).
        pub s3_access_key_id: Option<String> = None, env "S3_ACCESS_KEY_ID";
        /// The secret of `s3_access_key_id`.
        pub s3_secret_access_key: Option<String> = None, env "S3_SECRET_ACCESS_KEY";
        /// An S3-compatible endpoint (MinIO, SeaweedFS, R2, …); default AWS.
        pub s3_endpoint_url: Option<String> = None, env "S3_ENDPOINT_URL";
        /// Path-style requests (`<endpoint>/<bucket>/<key>`); false for virtual-hosted style.
        pub s3_force_path_style: bool = true, env "S3_FORCE_PATH_STYLE";
        /// Presigned downloads and uploads straight to S3; false: every byte goes through
        /// oxforge (proxy mode).
        pub s3_use_presigned_urls: bool = true, env "S3_USE_PRESIGNED_URLS";
        /// The prefix of every key in the S3 bucket (one bucket can hold several projects).
        pub app_key: String = "local".to_owned(), env "APP_KEY";
        /// The S3 gateway (`/storage/v1/s3`): on by default, on either backend.
        pub s3_gateway: bool = true, env "S3_GATEWAY";
        /// The largest object (or multipart part) the S3 gateway takes, in bytes (default 5 GiB).
        pub s3_max_object_size_bytes: u64 = 5 * 1024 * 1024 * 1024, env "S3_MAX_OBJECT_SIZE_BYTES";
    }
}

/// Storage as a capability.
pub struct Storage;

impl Capability for Storage {
    const NAME: &'static str = "storage";
    type Settings = StorageSettings;
    const SQL: &'static [oxforge_db::Step] = &[
        oxforge_db::Step {
            version: 1,
            name: "storage_schema",
            sql: include_str!("../sql/0001_storage.sql"),
            formerly: None,
        },
        oxforge_db::Step {
            version: 2,
            name: "storage_s3_gateway",
            sql: include_str!("../sql/0002_s3_gateway.sql"),
            formerly: None,
        },
    ];

    fn validate(settings: &StorageSettings) -> Result<(), String> {
        if let Some(url) = &settings.api_base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!(
                "api_base_url (API_BASE_URL) must start with http:// or https://, got {url:?}"
            ));
        }
        Ok(())
    }

    fn router(shared: &mut Shared, settings: &StorageSettings) -> Result<Router, String> {
        let backend = match settings.s3_bucket.as_deref().filter(|b| !b.trim().is_empty()) {
            Some(bucket) => Some(backend::Backend::S3(s3::S3::new(&s3::S3Config {
                bucket: bucket.trim().to_owned(),
                region: settings.s3_region.clone(),
                access_key_id: settings.s3_access_key_id.clone().filter(|k| !k.is_empty()),
                secret_access_key: settings.s3_secret_access_key.clone().filter(|k| !k.is_empty()),
                endpoint: settings.s3_endpoint_url.clone().filter(|e| !e.is_empty()),
                force_path_style: settings.s3_force_path_style,
                app_key: settings.app_key.clone(),
                presigned: settings.s3_use_presigned_urls,
            })?)),
            None => {
                let dir = settings
                    .storage_dir
                    .clone()
                    .or_else(|| shared.data_dir.as_ref().map(|d| d.join("storage")));
                match &dir {
                    Some(dir) => std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot create storage_dir {} (STORAGE_DIR): {e}", dir.display()))?,
                    None => tracing::warn!(
                        "storage is off: set STORAGE_DIR (storage_dir) to keep objects when oxforge runs with an external database"
                    ),
                }
                dir.map(|d| backend::Backend::Local(local::Local::new(d)))
            }
        };
        let state = StorageState {
            auth: Arc::clone(&shared.auth),
            db: db::Db {
                owner: shared.owner_pool.clone(),
                users: shared.data_pool.clone(),
            },
            backend: backend.map(Arc::new),
            api_base_url: settings
                .api_base_url
                .as_deref()
                .map(|u| Arc::from(u.trim_end_matches('/'))),
            gateway_region: settings.s3_gateway.then(|| Arc::from(settings.s3_region.as_str())),
        };
        let mut router = routes::router(state.clone());
        if settings.s3_gateway {
            router = router.merge(gateway::router(gateway::Gateway {
                storage: state,
                cipher: Arc::clone(&shared.cipher),
                secrets: Arc::default(),
                region: Arc::from(settings.s3_region.as_str()),
                max_object: settings.s3_max_object_size_bytes,
            }));
        }
        Ok(router)
    }
}
