//! The router and the layers around it.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::routing::{any, get, post};
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::routes::admin::{catalog, migrations, sql, tables};
use crate::routes::{auth_diagnostics, health, jwks, metadata, records, rpc, secrets, whoami};
use oxforge_edge::ApiError;

/// The whole HTTP service: the router behind a path normaliser.
pub type Service = tower::util::MapRequest<Router, fn(Request) -> Request>;

pub fn service(state: AppState) -> Service {
    tower::ServiceExt::map_request(router(state), collapse_leading_slashes as fn(Request) -> Request)
}

fn router(state: AppState) -> Router {
    // Bodies are read whole (and JSON parsed whole), so each route reads no more than it needs:
    // the data API `body_limit`, the SQL editor, migrations and table management `sql_body_limit`,
    // everything else (auth, secrets, metadata) `small_body_limit`; none more than `body_limit`.
    let settings = &state.settings;
    let cors_origins = settings.cors_origins.clone();
    let data_limit = DefaultBodyLimit::max(settings.body_limit);
    let sql_limit = DefaultBodyLimit::max(settings.sql_body_limit.min(settings.body_limit));
    let small_limit = DefaultBodyLimit::max(settings.small_body_limit.min(settings.body_limit));
    Router::new()
        .route("/api/health", get(health::health))
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .route("/api/.well-known/jwks.json", get(jwks::jwks))
        .route("/api/metadata", get(metadata::metadata))
        .route("/api/metadata/auth", get(metadata::auth_slice))
        .route("/api/metadata/database", get(metadata::database_slice))
        .route("/api/metadata/api-key", get(metadata::api_key))
        .route("/api/metadata/anon-key", get(metadata::anon_key))
        .route("/api/metadata/project-id", get(metadata::project_id))
        .route("/api/auth/tokens/anon", post(metadata::anon_token))
        .route("/api/usage/mcp", post(metadata::usage))
        .route("/api/secrets", get(secrets::list).post(secrets::create))
        .route("/api/secrets/api-key/rotate", post(secrets::rotate_api_key))
        .route("/api/secrets/anon-key/rotate", post(secrets::rotate_anon_key))
        .route(
            "/api/secrets/{key}",
            get(secrets::get_secret).put(secrets::update).delete(secrets::delete),
        )
        .route("/api/database/advance/rawsql", post(sql::restricted).layer(sql_limit))
        .route(
            "/api/database/advance/rawsql/unrestricted",
            post(sql::unrestricted).layer(sql_limit),
        )
        .route(
            "/api/database/migrations",
            get(migrations::list).post(migrations::create).layer(sql_limit),
        )
        .route(
            "/api/database/migrations/dry-run",
            post(migrations::dry_run).layer(sql_limit),
        )
        .route(
            "/api/database/tables",
            get(catalog::tables).post(tables::create).layer(sql_limit),
        )
        .route(
            "/api/database/tables/{table}",
            axum::routing::delete(tables::delete).layer(sql_limit),
        )
        .route(
            "/api/database/tables/{table}/schema",
            get(catalog::table_schema).patch(tables::alter).layer(sql_limit),
        )
        .route("/api/database/schemas", get(catalog::schemas))
        .route("/api/database/functions", get(catalog::functions))
        .route("/api/database/indexes", get(catalog::indexes))
        .route("/api/database/policies", get(catalog::policies))
        .route("/api/database/triggers", get(catalog::triggers))
        .route("/api/oxforge/whoami", get(whoami::whoami))
        .route("/api/oxforge/auth/providers", get(auth_diagnostics::providers))
        .route("/api/oxforge/auth/check", post(auth_diagnostics::check))
        .merge(oxforge_accounts::router(state.accounts.clone()))
        .merge(data_routes(state.clone(), data_limit))
        .merge(crate::unbuilt::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(small_limit)
        .layer(cors(&cors_origins))
        .layer(TraceLayer::new_for_http().on_failure(log_failure))
        .layer(axum::middleware::from_fn(crate::request_log::log))
        .with_state(state)
}

/// The data API, with the per-client bound on requests in flight.
fn data_routes(state: AppState, body_limit: DefaultBodyLimit) -> Router<AppState> {
    Router::new()
        .route("/api/database/records/{table}", any(records::records).layer(body_limit))
        .route("/api/database/rpc/{function}", any(rpc::rpc).layer(body_limit))
        .route_layer(axum::middleware::from_fn_with_state(state, crate::client_limit::limit))
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
