//! Small helpers shared by the integration tests.

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// Sends a request and returns its status and JSON body (panics if the body is not JSON).
pub async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response: Response = request.send().await.expect("request failed");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("non-JSON body ({e}): {text:?}"));
    (status, body)
}

/// Asserts InsForge's error envelope, exactly.
pub fn assert_envelope(status: StatusCode, body: &Value, want_status: u16, code: &str, message: &str) {
    assert_eq!(status.as_u16(), want_status, "status; body: {body}");
    assert_eq!(body["error"], code, "error code; body: {body}");
    assert_eq!(body["message"], message, "message; body: {body}");
    assert_eq!(body["statusCode"], want_status, "statusCode; body: {body}");
}
