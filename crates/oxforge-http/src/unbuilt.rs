//! InsForge modules oxforge does not have yet. Their routes answer `501` with InsForge's envelope
//! naming the module, so an app (or the SDK's realtime socket) learns why instead of seeing a
//! generic 404. A module leaves this table when it lands.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;

use oxforge_edge::ApiError;

/// Path prefixes of the modules not built yet, and the name each answers with.
pub const MODULES: &[(&str, &str)] = &[
    ("/api/realtime", "realtime"),
    ("/socket.io", "realtime"),
    ("/api/functions", "functions"),
    ("/functions", "functions"),
    ("/api/ai", "AI"),
    ("/api/schedules", "schedules"),
];

/// What an unbuilt module answers, whatever the method and the rest of the path.
pub fn not_available(module: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NOT_IMPLEMENTED",
        format!("{module} is not available in this oxforge version yet"),
    )
    .with_next_actions(
        "oxforge has InsForge's auth, database (records, RPC, SQL, migrations, tables), storage, secrets, metadata, logs and agent docs; see the README's \"What works today\"",
    )
}

/// Every prefix, bare, with a trailing slash and with anything below it.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    MODULES.iter().fold(Router::new(), |router, &(prefix, module)| {
        let answer = move || async move { not_available(module) };
        router
            .route(prefix, any(answer))
            .route(&format!("{prefix}/"), any(answer))
            .route(&format!("{prefix}/{{*rest}}"), any(answer))
    })
}
