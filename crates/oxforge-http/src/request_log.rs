//! One log line per request (target `oxforge::request`, level INFO): method, path, status,
//! duration and the kind of credential presented. The query string is left out (filter values
//! may be personal data) and so is every credential itself.
//!
//! It also writes down the internal cause an error answer carries ([`ErrorCause`]): conversions
//! to the envelope never log, this layer does, once per request.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use oxforge_auth::credential::{Presented, classify};
use oxforge_edge::ErrorCause;

fn credential(request: &Request) -> &'static str {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    match classify(header("authorization"), header("x-api-key")) {
        Presented::None => "none",
        Presented::ApiKey(_) => "api-key",
        Presented::AnonKey(_) => "anon-key",
        Presented::Jwt(_) => "jwt",
    }
}

/// A duration as milliseconds with two decimals.
struct Millis(std::time::Duration);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2}", self.0.as_secs_f64() * 1000.0)
    }
}

/// Logs the cause of an error answer: a server failure as an error, an unavailable dependency
/// as a warning.
fn log_cause(response: &Response) {
    let Some(cause) = response.extensions().get::<ErrorCause>() else {
        return;
    };
    let status = response.status().as_u16();
    if cause.failure {
        tracing::error!(status, cause = %cause.detail, "request failed");
    } else {
        tracing::warn!(status, cause = %cause.detail, "request could not be served");
    }
}

pub async fn log(request: Request, next: Next) -> Response {
    if !tracing::enabled!(target: "oxforge::request", tracing::Level::INFO) {
        let response = next.run(request).await;
        log_cause(&response);
        return response;
    }
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let credential = credential(&request);
    let response = next.run(request).await;
    tracing::info!(
        target: "oxforge::request",
        %method,
        path,
        status = response.status().as_u16(),
        ms = %Millis(started.elapsed()),
        credential,
    );
    log_cause(&response);
    response
}
