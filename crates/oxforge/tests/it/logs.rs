//! `/api/logs/*`: InsForge's logs API over oxforge's own request log (a `tracing` layer into the
//! process's log store), admin only, with InsForge's shapes.

use oxforge_testkit::{TestServer, http};
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::support::{assert_envelope, send, send_raw};

/// Installs the layer the binary installs, for the whole test process (once): a scoped
/// subscriber would miss events whose callsites other test threads registered first.
fn hear_oxforge_events() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(oxforge_logs::LogLayer::global());
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in the tests");
    });
}

#[tokio::test]
async fn logs_serve_the_request_log_in_insforge_shapes() {
    hear_oxforge_events();
    let server = TestServer::start().await;
    let key = server.api_key().to_owned();
    let get = |path: &str| http().get(format!("{}{path}", server.url)).header("x-api-key", &key);

    // A request to remember: a path no other test uses.
    let marker = format!("/api/database/records/logs_marker_{}", std::process::id());
    let (status, _) = send(
        http()
            .get(format!("{}{marker}", server.url))
            .bearer_auth(server.anon_key()),
    )
    .await;
    assert_eq!(status, 404);

    let (status, sources) = send(get("/api/logs/sources")).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = sources
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["insforge.logs", "postgres.logs", "postgREST.logs", "function.logs"]
    );
    assert_eq!(sources[0]["token"], "insforge.logs.jsonl");

    let (status, body) = send(get("/api/logs/insforge.logs?limit=1000")).await;
    assert_eq!(status, 200);
    let logs = body["logs"].as_array().unwrap();
    assert_eq!(body["total"], logs.len());
    let line = logs
        .iter()
        .find(|l| l["eventMessage"].as_str().unwrap_or("").contains(&marker))
        .unwrap_or_else(|| panic!("no line for {marker} in {body}"));
    assert!(
        line["eventMessage"]
            .as_str()
            .unwrap()
            .starts_with(&format!("GET {marker} 404 ")),
        "{line}"
    );
    assert_eq!(line["body"]["metadata"]["level"], "info");
    assert_eq!(line["body"]["metadata"]["status"], 404);
    assert_eq!(line["body"]["metadata"]["method"], "GET");
    // Ascending, and requests to the logs API are not logged.
    let times: Vec<&str> = logs.iter().map(|l| l["timestamp"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(
        logs.iter()
            .all(|l| !l["eventMessage"].as_str().unwrap().contains("/logs/"))
    );

    // before_timestamp is exclusive: the marker's own time leaves it out, a moment later keeps it.
    let at = chrono::DateTime::parse_from_rfc3339(line["timestamp"].as_str().unwrap()).unwrap();
    let before = |t: chrono::DateTime<chrono::FixedOffset>| {
        format!(
            "/api/logs/insforge.logs?limit=1000&before_timestamp={}",
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .replace('+', "%2B")
        )
    };
    let has_marker = |body: &Value| body["logs"].as_array().unwrap().iter().any(|l| l["id"] == line["id"]);
    let (_, earlier) = send(get(&before(at))).await;
    assert!(!has_marker(&earlier), "{earlier}");
    assert!(
        earlier["logs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["timestamp"].as_str() < line["timestamp"].as_str())
    );
    let (_, later) = send(get(&before(at + chrono::Duration::milliseconds(1)))).await;
    assert!(has_marker(&later), "{later}");
    // A bad time is a 400; absurd limits are clamped.
    let (status, body) = send(get("/api/logs/insforge.logs?before_timestamp=yesterday")).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = send(get("/api/logs/insforge.logs?limit=100000000")).await;
    assert_eq!(status, 200);
    assert!(body["logs"].as_array().unwrap().len() <= oxforge_logs::MAX_LIMIT);

    // Search: a bare array with Content-Range, newest first; 206 when there is more.
    let raw = send_raw(get(&format!("/api/logs/search?q={}", marker.to_uppercase()))).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    let hits = raw.json();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(hits[0]["source"], "insforge.logs");
    assert_eq!(raw.header("content-range"), Some("0-0/1"));
    assert_eq!(raw.header("preference-applied"), Some("count=exact"));
    send(
        http()
            .get(format!("{}{marker}", server.url))
            .bearer_auth(server.anon_key()),
    )
    .await;
    let raw = send_raw(get(&format!("/api/logs/search?q={marker}&limit=1"))).await;
    assert_eq!(raw.status, 206);
    assert_eq!(raw.header("content-range"), Some("0-0/2"));
    let (status, body) = send(get("/api/logs/search")).await;
    assert_envelope(status, &body, 400, "INVALID_INPUT", "q: Required");

    // The other sources: an external database has no PostgreSQL log here; nothing else exists.
    for source in ["postgres.logs", "postgREST.logs", "function.logs", "nothing.logs"] {
        let (status, body) = send(get(&format!("/api/logs/{source}"))).await;
        assert_eq!(
            (status.as_u16(), body),
            (200, serde_json::json!({"logs": [], "total": 0})),
            "{source}"
        );
    }
    let (status, stats) = send(get("/api/logs/stats")).await;
    assert_eq!(status, 200);
    assert_eq!(stats[0]["source"], "insforge.logs");
    let (status, body) = send(get("/api/logs/functions/build-logs")).await;
    assert_eq!(
        (status.as_u16(), body["error"].clone()),
        (404, Value::from("LOG_NOT_FOUND"))
    );
    let (status, body) = send(get("/api/logs/audits")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.is_array(), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn logs_are_for_admins_only() {
    let server = TestServer::start().await;
    for path in [
        "/api/logs/sources",
        "/api/logs/insforge.logs",
        "/api/logs/search?q=a",
        "/api/logs/stats",
    ] {
        let (status, body) = send(
            http()
                .get(format!("{}{path}", server.url))
                .bearer_auth(server.anon_key()),
        )
        .await;
        assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
        let (status, _) = send(http().get(format!("{}{path}", server.url))).await;
        assert_eq!(status, 401, "{path}");
    }
    // A source name is only ever compared, never used as a path.
    let (status, body) = send(
        http()
            .get(format!("{}/api/logs/..%2f..%2fetc%2fpasswd", server.url))
            .header("x-api-key", server.api_key()),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, serde_json::json!({"logs": [], "total": 0}))
    );
    server.stop().await;
}
