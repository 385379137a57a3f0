//! Sending the app's files: embedded (or from `dashboard_dir`), with cache validators and the
//! security headers.

use std::borrow::Cow;
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

/// One file's bytes (borrowed from the binary when embedded: no copy per request), type and
/// validator.
struct File {
    bytes: Cow<'static, [u8]>,
    mime: String,
    etag: String,
}

impl Files {
    async fn get(&self, path: &str) -> Option<File> {
        match &self.dir {
            None => Assets::get(path).map(|f| File {
                mime: f.metadata.mimetype().to_owned(),
                etag: hex(&f.metadata.sha256_hash()),
                bytes: f.data,
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
                    bytes: Cow::Owned(bytes),
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(app: &Router, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(path);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request.body(Body::empty()).expect("request");
        app.clone().oneshot(request).await.expect("infallible")
    }

    fn header<'a>(r: &'a Response, name: &str) -> &'a str {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// A folder with a page and one asset, standing in for a build.
    fn build() -> (tempfile::TempDir, Router) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("assets")).expect("mkdir");
        std::fs::write(dir.path().join("index.html"), "<!doctype html><p>app</p>").expect("write");
        std::fs::write(dir.path().join("assets/app-abc.js"), "console.log(1)").expect("write");
        std::fs::write(dir.path().parent().expect("parent").join("outside.txt"), "secret").ok();
        let app = router(Some(dir.path().to_owned()));
        (dir, app)
    }

    #[tokio::test]
    async fn root_leads_to_the_login_page() {
        let (_dir, app) = build();
        let r = get(&app, "/", &[]).await;
        assert!(r.status().is_redirection());
        assert_eq!(header(&r, "location"), "/dashboard/login");
        let r = get(&app, "/dashboard", &[]).await;
        assert_eq!(header(&r, "location"), "/dashboard/");
    }

    #[tokio::test]
    async fn pages_are_the_app_with_strict_headers_and_revalidation() {
        let (_dir, app) = build();
        for path in ["/dashboard/", "/dashboard/login", "/dashboard/tables/deep/path"] {
            let r = get(&app, path, &[]).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
            assert_eq!(header(&r, "content-security-policy"), CONTENT_SECURITY_POLICY);
            assert_eq!(header(&r, "x-content-type-options"), "nosniff");
            assert_eq!(header(&r, "referrer-policy"), "no-referrer");
            assert_eq!(header(&r, "x-frame-options"), "DENY");
            assert_eq!(header(&r, "cache-control"), "no-cache");
            let etag = header(&r, "etag").to_owned();
            assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
            let again = get(&app, path, &[("if-none-match", &etag)]).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        }
    }

    #[tokio::test]
    async fn assets_are_cached_for_good_and_missing_ones_are_404() {
        let (_dir, app) = build();
        let r = get(&app, "/dashboard/assets/app-abc.js", &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "content-type"), "text/javascript; charset=utf-8");
        assert_eq!(header(&r, "cache-control"), "public, max-age=31536000, immutable");
        let r = get(&app, "/dashboard/assets/missing.js", &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    }

    #[tokio::test]
    async fn nothing_outside_the_folder_is_reachable() {
        let (_dir, app) = build();
        for path in [
            "/dashboard/../outside.txt",
            "/dashboard/assets/../../outside.txt",
            "/dashboard/assets/%2e%2e/%2e%2e/outside.txt",
            "/dashboard/assets//etc/passwd",
        ] {
            let r = get(&app, path, &[]).await;
            let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.expect("body");
            assert!(!body.starts_with(b"secret"), "{path} reached a file outside the build");
        }
    }

    #[tokio::test]
    async fn the_embedded_build_is_complete() {
        // The committed build: its page names assets that are embedded.
        let app = router(None);
        let r = get(&app, "/dashboard/", &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.expect("body");
        let html = String::from_utf8_lossy(&body);
        let named: Vec<&str> = html
            .split('"')
            .filter(|s| s.starts_with("/dashboard/assets/"))
            .collect();
        assert!(!named.is_empty(), "index.html names no asset: {html}");
        for path in named {
            assert_eq!(get(&app, path, &[]).await.status(), StatusCode::OK, "{path}");
        }
    }

    #[tokio::test]
    async fn compressed_when_the_browser_accepts_it() {
        let app = router(None);
        let r = get(&app, "/dashboard/", &[]).await;
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.expect("body");
        let html = String::from_utf8_lossy(&body).into_owned();
        let script = html
            .split('"')
            .find(|s| s.starts_with("/dashboard/assets/") && s.ends_with(".js"))
            .expect("a script");
        let r = get(&app, script, &[("accept-encoding", "gzip")]).await;
        assert_eq!(header(&r, "content-encoding"), "gzip");
    }
}
