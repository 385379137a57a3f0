//! The gateway's errors: S3's XML `<Error>` with its code and status, never the JSON envelope.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::StorageError;
use crate::gateway::xml::{DECLARATION, escape};

/// An S3 error: status, S3's code, a message for people, the resource it is about.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct S3Error {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub resource: String,
}

pub type S3Result<T> = std::result::Result<T, S3Error>;

impl S3Error {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> S3Error {
        S3Error {
            status,
            code,
            message: message.into(),
            resource: String::new(),
        }
    }

    /// The same error about `resource` (`/bucket/key`).
    pub fn about(mut self, resource: impl Into<String>) -> S3Error {
        if self.resource.is_empty() {
            self.resource = resource.into();
        }
        self
    }

    pub fn signature_mismatch() -> S3Error {
        S3Error::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
    }

    pub fn access_denied(message: impl Into<String>) -> S3Error {
        S3Error::new(StatusCode::FORBIDDEN, "AccessDenied", message)
    }

    pub fn invalid_access_key() -> S3Error {
        S3Error::new(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The access key ID you provided does not exist in our records. Create one under Storage → S3 access keys (POST /api/storage/s3/access-keys).",
        )
    }

    pub fn malformed_authorization(message: impl Into<String>) -> S3Error {
        S3Error::new(StatusCode::BAD_REQUEST, "AuthorizationHeaderMalformed", message)
    }

    pub fn time_skewed() -> S3Error {
        S3Error::new(
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large (more than 15 minutes).",
        )
    }

    pub fn expired() -> S3Error {
        S3Error::new(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired")
    }

    pub fn invalid_argument(message: impl Into<String>) -> S3Error {
        S3Error::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }

    pub fn invalid_request(message: impl Into<String>) -> S3Error {
        S3Error::new(StatusCode::BAD_REQUEST, "InvalidRequest", message)
    }

    pub fn malformed_xml() -> S3Error {
        S3Error::new(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema.",
        )
    }

    pub fn bad_digest(message: impl Into<String>) -> S3Error {
        S3Error::new(StatusCode::BAD_REQUEST, "BadDigest", message)
    }

    pub fn sha256_mismatch() -> S3Error {
        S3Error::new(
            StatusCode::BAD_REQUEST,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    }

    pub fn incomplete_body() -> S3Error {
        S3Error::new(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        )
    }

    pub fn too_large(max: u64) -> S3Error {
        S3Error::new(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            format!("Your proposed upload exceeds the maximum allowed object size ({max} bytes)."),
        )
    }

    pub fn invalid_bucket_name(name: &str) -> S3Error {
        S3Error::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            format!("The specified bucket is not valid: {name:?} (letters, digits, '-' and '_' only)."),
        )
    }

    pub fn no_such_bucket(name: &str) -> S3Error {
        S3Error::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
        )
        .about(name)
    }

    pub fn no_such_key() -> S3Error {
        S3Error::new(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.")
    }

    pub fn no_such_upload() -> S3Error {
        S3Error::new(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
    }

    pub fn not_implemented(what: &str) -> S3Error {
        S3Error::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!("{what} is not implemented by oxforge's S3 gateway."),
        )
    }

    pub fn method_not_allowed() -> S3Error {
        S3Error::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
    }

    pub fn internal() -> S3Error {
        S3Error::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> S3Error {
        S3Error::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", message)
    }
}

impl From<StorageError> for S3Error {
    fn from(e: StorageError) -> S3Error {
        match e {
            StorageError::Invalid(m) => S3Error::invalid_argument(m),
            StorageError::TooLarge(m) => S3Error::new(StatusCode::BAD_REQUEST, "EntityTooLarge", m),
            StorageError::NotFound(_) => S3Error::no_such_key(),
            // Client errors, never 5xx (S3 clients retry those, re-sending the body).
            StorageError::AlreadyExists(m) => S3Error::new(StatusCode::CONFLICT, "KeyConflict", m),
            StorageError::Constraint(m) => S3Error::new(StatusCode::NOT_FOUND, "NoSuchBucket", m),
            StorageError::WriteDenied { .. } | StorageError::Forbidden(_) => S3Error::access_denied(e.to_string()),
            StorageError::NotConfigured => S3Error::unavailable(StorageError::NotConfigured.to_string()),
            StorageError::Db(ref db) if db.is_unavailable() => S3Error::unavailable("The database is unreachable."),
            other => {
                tracing::error!(error = %other, "S3 gateway request failed");
                S3Error::internal()
            }
        }
    }
}

impl From<oxforge_db::DbError> for S3Error {
    fn from(e: oxforge_db::DbError) -> S3Error {
        S3Error::from(StorageError::Db(e))
    }
}

impl From<tokio_postgres::Error> for S3Error {
    fn from(e: tokio_postgres::Error) -> S3Error {
        S3Error::from(StorageError::from(e))
    }
}

impl S3Error {
    /// The `<Error>` document (with a new request id).
    pub fn document(&self) -> String {
        self.document_with(&new_request_id())
    }

    fn document_with(&self, request_id: &str) -> String {
        format!(
            "{DECLARATION}<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>{request_id}</RequestId></Error>",
            self.code,
            escape(&self.message),
            escape(&self.resource),
        )
    }
}

fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 8]>()).to_uppercase()
}

impl IntoResponse for S3Error {
    fn into_response(self) -> Response {
        let request_id = new_request_id();
        let body = self.document_with(&request_id);
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amz-request-id", id);
        }
        response
    }
}
