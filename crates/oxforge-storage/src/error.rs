//! Storage's errors, mapped once to InsForge's envelope (codes `STORAGE_*`, `FORBIDDEN`,
//! `DATABASE_CONSTRAINT_VIOLATION`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oxforge_db::DbError;
use oxforge_edge::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// 400 `STORAGE_INVALID_PARAMETER`: a bucket name, a key, a body field.
    #[error("{0}")]
    Invalid(String),
    /// 413 `STORAGE_INVALID_PARAMETER`: over the configured upload size.
    #[error("{0}")]
    TooLarge(String),
    /// 404 `STORAGE_NOT_FOUND`.
    #[error("{0}")]
    NotFound(String),
    /// 409 `STORAGE_ALREADY_EXISTS`.
    #[error("{0}")]
    AlreadyExists(String),
    /// 403 `STORAGE_PERMISSION_DENIED`: a write row-level security (or a grant) refused.
    #[error("You do not have permission to write \"{key}\" in bucket \"{bucket}\"")]
    WriteDenied { bucket: String, key: String },
    /// 403 `FORBIDDEN`: a read, list or delete the database refused (the anon key).
    #[error("{0}")]
    Forbidden(String),
    /// 400 `DATABASE_CONSTRAINT_VIOLATION` (an upload to a bucket that does not exist).
    #[error("{0}")]
    Constraint(String),
    /// 503 `STORAGE_NOT_CONFIGURED`: no directory to keep objects in.
    #[error("Storage needs a directory: set STORAGE_DIR (storage_dir) when oxforge runs with an external database")]
    NotConfigured,
    /// A database failure (the edge's mapping: 503 when unreachable, else 500).
    #[error(transparent)]
    Db(#[from] DbError),
    /// A file system failure: 500, the cause logged.
    #[error("storage file system: {0}")]
    Io(#[from] std::io::Error),
    /// An error already in the envelope's terms (credentials, bodies).
    #[error("{}", .0.message)]
    Api(ApiError),
}

impl From<ApiError> for StorageError {
    fn from(e: ApiError) -> Self {
        StorageError::Api(e)
    }
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(e: tokio_postgres::Error) -> Self {
        StorageError::Db(DbError::from(e))
    }
}

impl StorageError {
    pub fn invalid(message: impl Into<String>) -> Self {
        StorageError::Invalid(message.into())
    }

    /// A database failure of a read, list or delete: a refused privilege is `403 FORBIDDEN`.
    pub fn on_read(e: impl Into<DbError>) -> Self {
        let e = e.into();
        match e.sqlstate() {
            Some("42501") => {
                let message = e
                    .as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_owned());
                StorageError::Forbidden(message)
            }
            _ => StorageError::Db(e),
        }
    }

    /// A database failure of a write of `key` in `bucket`: a refused privilege or policy is
    /// `403 STORAGE_PERMISSION_DENIED`, a missing bucket `400 DATABASE_CONSTRAINT_VIOLATION`.
    pub fn on_write(e: impl Into<DbError>, bucket: &str, key: &str) -> Self {
        let e = e.into();
        match e.sqlstate() {
            Some("42501") => StorageError::WriteDenied {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            },
            Some("23503") => StorageError::Constraint(missing_bucket(bucket)),
            _ => StorageError::Db(e),
        }
    }
}

/// What an upload into a bucket that does not exist answers (InsForge: the foreign key's error).
pub fn missing_bucket(bucket: &str) -> String {
    format!("Bucket \"{bucket}\" does not exist: create it first (POST /api/storage/buckets)")
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        let (status, code) = match &e {
            StorageError::Invalid(_) => (StatusCode::BAD_REQUEST, "STORAGE_INVALID_PARAMETER"),
            StorageError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "STORAGE_INVALID_PARAMETER"),
            StorageError::NotFound(_) => (StatusCode::NOT_FOUND, "STORAGE_NOT_FOUND"),
            StorageError::AlreadyExists(_) => (StatusCode::CONFLICT, "STORAGE_ALREADY_EXISTS"),
            StorageError::WriteDenied { .. } => (StatusCode::FORBIDDEN, "STORAGE_PERMISSION_DENIED"),
            StorageError::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            StorageError::Constraint(_) => (StatusCode::BAD_REQUEST, "DATABASE_CONSTRAINT_VIOLATION"),
            StorageError::NotConfigured => (StatusCode::SERVICE_UNAVAILABLE, "STORAGE_NOT_CONFIGURED"),
            StorageError::Db(_) | StorageError::Io(_) | StorageError::Api(_) => {
                return match e {
                    StorageError::Db(db) => ApiError::from(db),
                    StorageError::Api(api) => api,
                    other => ApiError::internal_because(other),
                };
            }
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl IntoResponse for StorageError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_insforge_codes() {
        let cases = [
            (StorageError::invalid("bad"), 400, "STORAGE_INVALID_PARAMETER"),
            (StorageError::TooLarge("big".into()), 413, "STORAGE_INVALID_PARAMETER"),
            (
                StorageError::NotFound("Object not found".into()),
                404,
                "STORAGE_NOT_FOUND",
            ),
            (StorageError::AlreadyExists("x".into()), 409, "STORAGE_ALREADY_EXISTS"),
            (
                StorageError::WriteDenied {
                    bucket: "b".into(),
                    key: "k".into(),
                },
                403,
                "STORAGE_PERMISSION_DENIED",
            ),
            (StorageError::Forbidden("no".into()), 403, "FORBIDDEN"),
            (
                StorageError::Constraint("fk".into()),
                400,
                "DATABASE_CONSTRAINT_VIOLATION",
            ),
            (StorageError::NotConfigured, 503, "STORAGE_NOT_CONFIGURED"),
            (StorageError::Io(std::io::Error::other("disk")), 500, "INTERNAL_ERROR"),
        ];
        for (error, status, code) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status.as_u16(), api.code), (status, code));
        }
        let denied = ApiError::from(StorageError::WriteDenied {
            bucket: "b".into(),
            key: "k".into(),
        });
        assert_eq!(
            denied.message,
            "You do not have permission to write \"k\" in bucket \"b\""
        );
    }
}
