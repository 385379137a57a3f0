//! Sending the app's files: embedded (or from `dashboard_dir`), with cache validators and the
//! security headers.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// What the browser may load: only this origin, no frames, no plugins. Styles may be inline
/// (the SQL editor injects its own).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Where the files come from.
#[derive(Clone)]
struct Files {
    dir: Option<Arc<PathBuf>>,
}

/// One file's bytes, type and validator.
struct File {
    bytes: Vec<u8>,
    mime: String,
    etag: String,
}

impl Files {
    async fn get(&self, path: &str) -> Option<File> {
        match &self.dir {
            None => Assets::get(path).map(|f| File {
                mime: f.metadata.mimetype().to_owned(),
                etag: hex(&f.metadata.sha256_hash()),
                bytes: f.data.into_owned(),
            }),
            Some(dir) => {
                // Only names the app's build can produce: no `..`, no absolute paths.
                if path.split('/').any(|part| part.is_empty() || part == "..") {
                    return None;
                }
                let bytes = tokio::fs::read(dir.join(path)).await.ok()?;
                Some(File {
                    mime: mime(path).to_owned(),
                    etag: hex(&Sha256::digest(&bytes)),
                    bytes,
                })
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The types a Vite build writes; anything else is sent as bytes.
fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

pub fn router(dir: Option<PathBuf>) -> Router {
    let files = Files { dir: dir.map(Arc::new) };
    let headers = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ];
    let app = Router::new()
        .route("/dashboard", get(|| async { Redirect::to("/dashboard/") }))
        .route("/dashboard/", get(index))
        .route("/dashboard/{*path}", get(file))
        .with_state(files);
    let app = headers.into_iter().fold(app, |app, (name, value)| {
        app.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ))
    });
    Router::new()
        .route("/", get(|| async { Redirect::to(crate::LOGIN_PATH) }))
        .merge(app.layer(CompressionLayer::new()))
}

async fn index(State(files): State<Files>, headers: HeaderMap) -> Response {
    page(&files, &headers).await
}

async fn file(State(files): State<Files>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    match files.get(&path).await {
        Some(found) => send(found, &path, &headers),
        None if path.starts_with("assets/") => (StatusCode::NOT_FOUND, "no such file").into_response(),
        // A page of the app: its router reads the path.
        None => page(&files, &headers).await,
    }
}

async fn page(files: &Files, headers: &HeaderMap) -> Response {
    match files.get("index.html").await {
        Some(index) => send(index, "index.html", headers),
        None => (
            StatusCode::NOT_FOUND,
            "the dashboard is not built: cd dashboard && npm ci && npm run build",
        )
            .into_response(),
    }
}

fn send(file: File, path: &str, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", file.etag);
    // Built assets carry their content's hash in their name: cache them for good. The page itself
    // is checked every time, so a new release is picked up at once.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut out = HeaderMap::new();
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, v);
    }
    let matches = request
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    if let Ok(v) = HeaderValue::from_str(&file.mime) {
        out.insert(CONTENT_TYPE, v);
    }
    (out, Body::from(file.bytes)).into_response()
}
