//! Health, unknown routes, CORS, path normalisation.

use oxforge_testkit::{TestServer, http};
use reqwest::Method;

use crate::support::{assert_envelope, send};

#[tokio::test]
async fn health_needs_no_credential_and_reports_itself() {
    let server = TestServer::start().await;
    let (status, body) = send(http().get(server.at("/api/health"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "oxforge");
    // `version` is the InsForge API level (clients gate features on it), oxforge's own beside it.
    assert_eq!(body["version"], "2.3.1");
    assert_eq!(body["oxforgeVersion"], env!("CARGO_PKG_VERSION"));
    let ts = body["timestamp"].as_str().unwrap();
    assert!(
        ts.ends_with('Z') && ts.len() == "2025-01-21T03:45:22.194Z".len(),
        "{ts}"
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_routes_get_the_404_envelope() {
    let server = TestServer::start().await;
    let (status, body) = send(http().get(server.at("/api/nope?x=1"))).await;
    assert_envelope(status, &body, 404, "NOT_FOUND", "Endpoint /api/nope?x=1 not found");
    assert!(body["nextActions"].is_string());
    let (status, body) = send(http().delete(server.at("/api/health"))).await;
    assert_eq!(status, 405);
    assert_eq!(body["error"], "NOT_FOUND");
    server.stop().await;
}

#[tokio::test]
async fn unbuilt_modules_answer_501_naming_the_module() {
    let server = TestServer::start().await;
    let cases = [
        (Method::GET, "/api/realtime/channels", "realtime"),
        (Method::GET, "/socket.io/?EIO=4&transport=polling", "realtime"),
        (Method::POST, "/api/functions/hello", "functions"),
        (Method::POST, "/functions/hello", "functions"),
        (Method::POST, "/api/ai/chat/completion", "AI"),
        (Method::GET, "/api/schedules/", "schedules"),
    ];
    for (method, path, module) in cases {
        let (status, body) = send(http().request(method.clone(), server.at(path))).await;
        assert_envelope(
            status,
            &body,
            501,
            "NOT_IMPLEMENTED",
            &format!("{module} is not available in this oxforge version yet"),
        );
        assert!(
            body["nextActions"]
                .as_str()
                .is_some_and(|n| n.contains("What works today")),
            "{method} {path}: {body}"
        );
    }
    // Only those prefixes: a path that merely starts with the same letters is still unknown.
    let (status, body) = send(http().get(server.at("/api/realtimex"))).await;
    assert_envelope(status, &body, 404, "NOT_FOUND", "Endpoint /api/realtimex not found");
    server.stop().await;
}

#[tokio::test]
async fn double_leading_slash_is_routed() {
    let server = TestServer::start().await;
    let (status, body) = send(http().get(format!("{}//api/health", server.url))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    server.stop().await;
}

#[tokio::test]
async fn cors_preflight_reflects_origin_and_headers() {
    let server = TestServer::start().await;
    let response = http()
        .request(Method::OPTIONS, server.at("/api/database/records/todos"))
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "PATCH")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,prefer,accept-profile,x-csrf-token",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let h = response.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:3000");
    assert_eq!(h["access-control-allow-credentials"], "true");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    for m in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    for name in ["authorization", "prefer", "accept-profile", "x-csrf-token"] {
        assert!(headers.contains(name), "{headers}");
    }
    server.stop().await;
}

#[tokio::test]
async fn cors_on_plain_and_error_responses() {
    let server = TestServer::start().await;
    for path in ["/api/health", "/api/metadata/api-key"] {
        let response = http()
            .get(server.at(path))
            .header("Origin", "https://app.example")
            .send()
            .await
            .unwrap();
        let h = response.headers();
        assert_eq!(h["access-control-allow-origin"], "https://app.example", "{path}");
        assert_eq!(h["access-control-allow-credentials"], "true", "{path}");
        let exposed = h["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            exposed.contains("content-range") && exposed.contains("preference-applied"),
            "{exposed}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn cors_origins_can_be_limited() {
    let server = TestServer::start_with(|c| c.http.cors_origins = vec!["https://app.example".into()]).await;
    let origin_allowed = |origin: &'static str| {
        let request = http().get(server.at("/api/health")).header("Origin", origin);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "the request itself is served");
            response
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned())
        }
    };
    assert_eq!(
        origin_allowed("https://app.example").await.as_deref(),
        Some("https://app.example")
    );
    assert_eq!(
        origin_allowed("https://evil.example").await,
        None,
        "other origins get no CORS grant"
    );
    server.stop().await;
    // A value that is not an origin stops the start with the fix.
    let mut bad = oxforge_server::Config::default();
    bad.http.cors_origins = vec!["app.example/".into()];
    let err = bad.validate().unwrap_err().to_string();
    assert!(
        err.contains("OXFORGE_CORS_ORIGINS") && err.contains("scheme://host"),
        "{err}"
    );
}
