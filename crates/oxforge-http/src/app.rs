//! The router and the layers around it.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::HttpSettings;
use oxforge_edge::ApiError;

/// The whole HTTP service: the router behind a path normaliser.
pub type Service = tower::util::MapRequest<Router, fn(Request) -> Request>;

/// `capabilities`: each capability's routes, state applied (`oxforge-server/src/capabilities.rs`).
pub fn service(settings: &HttpSettings, capabilities: Vec<Router>) -> Service {
    tower::ServiceExt::map_request(
        router(settings, capabilities),
        collapse_leading_slashes as fn(Request) -> Request,
    )
}

fn router(settings: &HttpSettings, capabilities: Vec<Router>) -> Router {
    // Bodies are read whole (and JSON parsed whole), so each route reads no more than it needs:
    // a capability sets its own limit on the routes that take more (the data API `body_limit`,
    // the SQL editor `sql_body_limit`); everything else (auth, secrets, metadata)
    // `small_body_limit`; none more than `body_limit`.
    let small_limit = DefaultBodyLimit::max(settings.small_body_limit.min(settings.body_limit));
    capabilities
        .into_iter()
        .fold(crate::unbuilt::routes(), Router::merge)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(small_limit)
        .layer(cors(&settings.cors_origins))
        .layer(TraceLayer::new_for_http().on_failure(log_failure))
        .layer(axum::middleware::from_fn(crate::request_log::log))
}

/// A 501 is an answer (a module not built yet, email without SMTP), not a server failure: it is
/// logged at debug, not as an error. Every other 5xx stays an error.
fn failure_is_expected(class: &ServerErrorsFailureClass) -> bool {
    matches!(class, ServerErrorsFailureClass::StatusCode(code) if *code == StatusCode::NOT_IMPLEMENTED)
}

fn log_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span) {
    let latency_ms = latency.as_millis();
    if failure_is_expected(&class) {
        tracing::debug!(classification = %class, latency_ms, "not implemented");
    } else {
        tracing::error!(classification = %class, latency_ms, "response failed");
    }
}

/// InsForge's CORS: reflect the origin (or allow only the configured ones), allow credentials,
/// expose the PostgREST headers.
fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.is_empty() {
        AllowOrigin::mirror_request()
    } else {
        // Validated at start (scheme://host[:port]); one that is not a header value is skipped.
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("content-range"),
            HeaderName::from_static("preference-applied"),
        ])
        .max_age(Duration::from_secs(24 * 3600))
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found("NOT_FOUND", format!("Endpoint {uri} not found"))
        .with_next_actions("Check the method and path; see /api/health for a live endpoint")
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "NOT_FOUND",
        format!("Endpoint {method} {} not found", uri.path()),
    )
}

/// The SDK concatenates `baseUrl` and the path, so a trailing slash in `baseUrl` yields
/// `//api/...`: route it as `/api/...`.
fn collapse_leading_slashes(mut request: Request) -> Request {
    let path = request.uri().path();
    if !path.starts_with("//") {
        return request;
    }
    let trimmed = format!("/{}", path.trim_start_matches('/'));
    let rebuilt = match request.uri().query() {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed,
    };
    if let Ok(path_and_query) = rebuilt.parse() {
        let mut parts = request.uri().clone().into_parts();
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_501_is_an_expected_failure() {
        let status = |code| ServerErrorsFailureClass::StatusCode(code);
        assert!(failure_is_expected(&status(StatusCode::NOT_IMPLEMENTED)));
        for code in [StatusCode::INTERNAL_SERVER_ERROR, StatusCode::SERVICE_UNAVAILABLE] {
            assert!(!failure_is_expected(&status(code)), "{code}");
        }
        assert!(!failure_is_expected(&ServerErrorsFailureClass::Error("boom".into())));
    }

    #[test]
    fn leading_slashes_collapse_and_keep_the_query() {
        let req = Request::builder()
            .uri("//api/database/records/t?a=eq.1&a=eq.2")
            .body(axum::body::Body::empty())
            .unwrap();
        let req = collapse_leading_slashes(req);
        assert_eq!(req.uri().to_string(), "/api/database/records/t?a=eq.1&a=eq.2");
        let req = Request::builder()
            .uri("/api/health")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(collapse_leading_slashes(req).uri().path(), "/api/health");
    }
}
