//! InsForge's S3 gateway at `/storage/v1/s3`: S3 clients (the AWS CLI, boto3, rclone) reach the
//! same buckets and objects as the REST API, on either backend, signed with SigV4 (header or
//! presigned query) by access keys kept in `storage.s3_access_keys` ([`access`]).
//!
//! A request is: the backend checked (503 without one), the signature parsed and verified
//! ([`sigv4`]), the body decoded as the signature says (aws-chunked framing stripped and each
//! chunk's signature checked, or the whole body's SHA-256 checked — [`chunked`]), then
//! dispatched on method, path shape (`/`, `/b`, `/b/k`) and query flags to [`buckets`],
//! [`list`], [`objects`] or [`multipart`]. Every key acts with admin rights on every bucket
//! (writes are recorded with `uploaded_via = 's3'` and the key's id); errors are S3's XML.
//! Multipart uploads are kept in the database, so any oxforge process can take the next part.

pub mod access;
mod buckets;
pub mod chunked;
pub mod error;
mod list;
pub(crate) mod multipart;
mod objects;
pub mod sigv4;
pub mod xml;

use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use oxforge_auth::Authenticator;
use oxforge_db::SecretCipher;

use crate::backend::Backend;
use crate::gateway::error::{S3Error, S3Result};
use crate::keys::{check_bucket, check_key, decode};
use crate::state::StorageState;

/// Where the gateway is mounted; signatures cover it.
pub const PREFIX: &str = "/storage/v1/s3";

/// What the gateway reaches.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) storage: StorageState,
    pub(crate) cipher: Arc<SecretCipher>,
    pub(crate) secrets: Arc<access::Secrets>,
    /// The only region signatures may be scoped to (`S3_REGION`).
    pub(crate) region: Arc<str>,
    /// The largest object or part (`S3_MAX_OBJECT_SIZE_BYTES`).
    pub(crate) max_object: u64,
}

impl FromRef<Gateway> for Arc<Authenticator> {
    fn from_ref(gw: &Gateway) -> Self {
        Arc::clone(&gw.storage.auth)
    }
}

impl Gateway {
    fn backend(&self) -> S3Result<&Backend> {
        Ok(self.storage.backend()?)
    }
}

/// The gateway's routes and its access keys' admin routes.
pub fn router<S: Clone + Send + Sync + 'static>(gateway: Gateway) -> Router<S> {
    // The gateway's bodies are streamed (objects up to `max_object`) or read with their own
    // limits; the admin routes keep the edge's small limit.
    let s3 = Router::new()
        .route(PREFIX, any(serve))
        .route(&format!("{PREFIX}/"), any(serve))
        .route(&format!("{PREFIX}/{{*path}}"), any(serve))
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/api/storage/s3/access-keys", get(access::list).post(access::create))
        .route("/api/storage/s3/access-keys/{id}", delete(access::delete))
        .merge(s3)
        .with_state(gateway)
}

/// A request body as the signature allows it to be read: data bytes only, verified.
pub type BodyStream = Pin<Box<dyn Stream<Item = S3Result<Bytes>> + Send>>;

/// What a request names: a bucket and a key, both decoded and checked.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
}

impl Target {
    /// `/storage/v1/s3[/bucket[/key…]]`, each decoded once.
    fn parse(path: &str) -> S3Result<Target> {
        let rest = path.strip_prefix(PREFIX).unwrap_or(path);
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let (raw_bucket, raw_key) = match rest.split_once('/') {
            Some((b, k)) => (b, Some(k).filter(|k| !k.is_empty())),
            None => (rest, None),
        };
        if raw_bucket.is_empty() {
            return Ok(Target::default());
        }
        let bucket = decode(raw_bucket).map_err(|_| S3Error::invalid_bucket_name(raw_bucket))?;
        check_bucket(&bucket).map_err(|_| S3Error::invalid_bucket_name(&bucket))?;
        let key = match raw_key {
            Some(raw) => {
                let key = decode(raw).map_err(|e| S3Error::invalid_argument(e.to_string()))?;
                check_key(&key).map_err(|e| S3Error::invalid_argument(e.to_string()))?;
                Some(key)
            }
            None => None,
        };
        Ok(Target {
            bucket: Some(bucket),
            key,
        })
    }
}

/// The query string, decoded (`+` stays `+`).
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> S3Result<Query> {
        let mut pairs = Vec::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let bad = |_| S3Error::invalid_argument("The query string has a malformed percent-encoding.");
            pairs.push((decode(k).map_err(bad)?, decode(v).map_err(bad)?));
        }
        Ok(Query(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// A verified request, ready for its operation.
pub struct S3Request {
    pub parts: Parts,
    pub target: Target,
    pub query: Query,
    pub body: BodyStream,
    /// The access key that signed it.
    pub access_key: String,
    /// Where admin actions are recorded (bucket creations and deletions, as over REST).
    pub audit: oxforge_edge::Audit,
}

impl S3Request {
    /// Records `action` in the audit log, by `s3:<access key>`.
    pub fn record(&self, action: &'static str, details: serde_json::Value) {
        let who = oxforge_auth::Principal::Admin {
            sub: Some(format!("s3:{}", self.access_key)),
        };
        self.audit.record(&who, action, "STORAGE", details);
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body whole, when it is a small document (at most `limit` bytes).
    pub async fn small_body(&mut self, limit: usize) -> S3Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = self.body.next().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > limit {
                return Err(S3Error::invalid_request(format!(
                    "The request body is larger than {limit} bytes."
                )));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// The bytes the client says it sends (`x-amz-decoded-content-length` for aws-chunked).
    pub fn declared_length(&self) -> Option<u64> {
        self.header("x-amz-decoded-content-length")
            .or_else(|| self.header("content-length"))
            .and_then(|v| v.trim().parse().ok())
    }
}

async fn serve(State(gw): State<Gateway>, request: Request) -> Response {
    let resource = request
        .uri()
        .path()
        .strip_prefix(PREFIX)
        .filter(|r| !r.is_empty())
        .unwrap_or("/")
        .to_owned();
    let head = request.method() == Method::HEAD;
    match handle(&gw, request).await {
        Ok(response) => response,
        Err(e) => {
            let mut response = e.about(resource).into_response();
            if head {
                *response.body_mut() = Body::empty();
            }
            response
        }
    }
}

async fn handle(gw: &Gateway, request: Request) -> S3Result<Response> {
    gw.backend()?;
    let (mut parts, body) = request.into_parts();
    let Ok(audit) = oxforge_edge::Audit::from_request_parts(&mut parts, gw).await;
    let pending = sigv4::parse(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &gw.region,
        chrono::Utc::now(),
    )?;
    let secret = access::secret(&gw.storage.db, &gw.cipher, &gw.secrets, &pending.access_key_id)
        .await?
        .ok_or_else(S3Error::invalid_access_key)?;
    let verified = sigv4::verify(&pending, &secret)?;
    access::touch(&gw.storage.db, &gw.secrets, &verified.access_key_id);
    let target = Target::parse(parts.uri.path())?;
    let query = Query::parse(parts.uri.query())?;
    let data = body.into_data_stream();
    // Fused: a body read to its end (or its error) may be polled again (see `drain`).
    let body: BodyStream = match &verified.payload {
        sigv4::Payload::Streaming { .. } => Box::pin(chunked::decode(data, &verified).fuse()),
        sigv4::Payload::Sha256(hex) => Box::pin(chunked::verify_sha256(data, hex.clone()).fuse()),
        sigv4::Payload::Unsigned => Box::pin(data.map(|r| r.map_err(|_| S3Error::incomplete_body())).fuse()),
    };
    let mut request = S3Request {
        parts,
        target,
        query,
        body,
        access_key: verified.access_key_id.clone(),
        audit,
    };
    let result = dispatch(gw, &mut request).await;
    if result.is_err() {
        drain(&mut request.body).await;
    }
    result
}

/// What is left of a refused request's body, read and dropped (up to a bound), so the client
/// gets the error instead of a connection reset mid-send.
async fn drain(body: &mut BodyStream) {
    const MAX: usize = 8 * 1024 * 1024;
    let mut read = 0;
    let reading = async {
        while let Some(Ok(chunk)) = body.next().await {
            read += chunk.len();
            if read > MAX {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), reading).await;
}

async fn dispatch(gw: &Gateway, request: &mut S3Request) -> S3Result<Response> {
    let method = request.parts.method.clone();
    let q = &request.query;
    let Some(bucket) = request.target.bucket.clone() else {
        return match method {
            Method::GET | Method::HEAD => buckets::list(gw).await,
            _ => Err(S3Error::method_not_allowed()),
        };
    };
    let Some(key) = request.target.key.clone() else {
        return match method {
            Method::GET if q.has("location") => buckets::location(gw, &bucket).await,
            Method::GET if q.has("versioning") => buckets::versioning(gw, &bucket).await,
            Method::GET if q.has("uploads") => multipart::list_uploads(gw, &bucket, request).await,
            Method::GET if bucket_subresource(q).is_some() => Err(unsupported(q)),
            Method::GET => list::objects(gw, &bucket, q).await,
            Method::HEAD => buckets::head(gw, &bucket).await,
            Method::PUT if bucket_subresource(q).is_some() => Err(unsupported(q)),
            Method::PUT => buckets::create(gw, &bucket, request).await,
            Method::DELETE if bucket_subresource(q).is_some() => Err(unsupported(q)),
            Method::DELETE => buckets::delete(gw, &bucket, request).await,
            Method::POST if q.has("delete") => objects::delete_many(gw, &bucket, request).await,
            _ => Err(S3Error::method_not_allowed()),
        };
    };
    if OBJECT_SUBRESOURCES.iter().any(|name| q.has(name)) {
        return Err(unsupported(q));
    }
    match method {
        Method::PUT if q.has("uploadId") => multipart::upload_part(gw, &bucket, &key, request).await,
        Method::PUT if request.header("x-amz-copy-source").is_some() => objects::copy(gw, &bucket, &key, request).await,
        Method::PUT => objects::put(gw, &bucket, &key, request).await,
        Method::GET if q.has("uploadId") => multipart::list_parts(gw, &bucket, &key, request).await,
        Method::GET => objects::get(gw, &bucket, &key, request, false).await,
        Method::HEAD => objects::get(gw, &bucket, &key, request, true).await,
        Method::DELETE if q.has("uploadId") => multipart::abort(gw, &bucket, &key, request).await,
        Method::DELETE => objects::delete(gw, &bucket, &key).await,
        Method::POST if q.has("uploads") => multipart::create(gw, &bucket, &key, request).await,
        Method::POST if q.has("uploadId") => multipart::complete(gw, &bucket, &key, request).await,
        _ => Err(S3Error::method_not_allowed()),
    }
}

/// Bucket sub-resources the gateway does not keep.
const BUCKET_SUBRESOURCES: &[&str] = &[
    "acl",
    "cors",
    "policy",
    "lifecycle",
    "tagging",
    "website",
    "encryption",
    "replication",
    "notification",
    "logging",
    "object-lock",
    "ownershipControls",
    "publicAccessBlock",
    "requestPayment",
    "accelerate",
    "inventory",
    "analytics",
    "metrics",
    "intelligent-tiering",
    "versioning",
];

/// Object sub-resources the gateway does not keep.
const OBJECT_SUBRESOURCES: &[&str] = &["tagging", "acl", "retention", "legal-hold", "torrent"];

fn bucket_subresource(q: &Query) -> Option<&'static str> {
    BUCKET_SUBRESOURCES.iter().copied().find(|name| q.has(name))
}

fn unsupported(q: &Query) -> S3Error {
    let what = bucket_subresource(q)
        .or_else(|| OBJECT_SUBRESOURCES.iter().copied().find(|n| q.has(n)))
        .unwrap_or("This operation");
    S3Error::not_implemented(&format!("?{what}"))
}

/// A `200` with an XML document.
pub fn xml_response(status: StatusCode, document: String) -> Response {
    let mut response = (status, document).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}

/// An ISO 8601 time as S3 writes it (`2026-12-06T01:02:03.000Z`), from SQL.
pub const S3_TIME: &str = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

/// [`S3_TIME`] of `column`.
pub fn s3_time(column: &str) -> String {
    S3_TIME.replace("{}", column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("/storage/v1/s3").unwrap();
        assert!(t.bucket.is_none() && t.key.is_none());
        let t = Target::parse("/storage/v1/s3/").unwrap();
        assert!(t.bucket.is_none());
        let t = Target::parse("/storage/v1/s3/b1").unwrap();
        assert_eq!((t.bucket.as_deref(), t.key.as_deref()), (Some("b1"), None));
        let t = Target::parse("/storage/v1/s3/b1/").unwrap();
        assert_eq!((t.bucket.as_deref(), t.key.as_deref()), (Some("b1"), None));
        let t = Target::parse("/storage/v1/s3/b1/a%20b/c+d%2Fe").unwrap();
        assert_eq!(t.key.as_deref(), Some("a b/c+d/e"));
        assert_eq!(
            Target::parse("/storage/v1/s3/b.c").unwrap_err().code,
            "InvalidBucketName"
        );
        assert_eq!(
            Target::parse("/storage/v1/s3/b/..%2Fx").unwrap_err().code,
            "InvalidArgument"
        );
        assert_eq!(
            Target::parse("/storage/v1/s3/b/%zz").unwrap_err().code,
            "InvalidArgument"
        );
    }

    #[test]
    fn queries() {
        let q = Query::parse(Some("uploads&prefix=a%2Fb+c&max-keys=5")).unwrap();
        assert!(q.has("uploads"));
        assert_eq!(q.get("prefix"), Some("a/b+c"));
        assert_eq!(q.get("max-keys"), Some("5"));
        assert!(Query::parse(Some("prefix=%E2")).is_err());
    }
}
