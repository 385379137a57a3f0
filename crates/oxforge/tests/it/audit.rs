//! The audit trail: admin actions recorded in `system.audit_logs` (in the background, by the
//! edge's recorder) and read, summarised and pruned through `/api/logs/audits`.

use std::time::{Duration, Instant};

use oxforge_testkit::{TestServer, http};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::support::{assert_envelope, send, send_raw};

fn as_key(server: &TestServer, method: Method, path: &str) -> RequestBuilder {
    http()
        .request(method, server.at(path))
        .header("x-api-key", server.api_key())
}

/// Waits until the trail holds `n` rows (they are written in the background); newest first.
async fn rows(server: &TestServer, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = send(as_key(server, Method::GET, "/api/logs/audits")).await;
        assert_eq!(status, 200, "{body}");
        let rows = body.as_array().cloned().unwrap_or_default();
        if rows.len() >= n || Instant::now() > deadline {
            assert_eq!(rows.len(), n, "{body}");
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn summary(row: &Value) -> (&str, &str, &str) {
    (
        row["actor"].as_str().unwrap_or(""),
        row["action"].as_str().unwrap_or(""),
        row["module"].as_str().unwrap_or(""),
    )
}

async fn admin_token(server: &TestServer) -> String {
    let (status, body) = send(
        http()
            .post(server.at("/api/auth/admin/sessions"))
            .json(&json!({"username": "root", "password": "s3cret-pass-phrase"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn audit_records_admin_actions_filters_pages_summarises_and_prunes() {
    let server = TestServer::start_with(|c| {
        c.root_admin_username = Some("root".into());
        c.root_admin_password = Some("s3cret-pass-phrase".into());
    })
    .await;
    let s = &server;
    let token = admin_token(s).await;

    // The SQL editor, as an admin session: the actor is its `sub`, the query cut at 500 chars.
    let long = format!("SELECT 1 -- {}", "x".repeat(600));
    let (status, body) = send(
        http()
            .post(s.at("/api/database/advance/rawsql"))
            .bearer_auth(&token)
            .json(&json!({ "query": long })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let trail = rows(s, 1).await;
    assert_eq!(summary(&trail[0]), ("local:root", "RAW_SQL", "DATABASE"));
    assert_eq!(trail[0]["details"]["query"].as_str().unwrap().chars().count(), 500);
    assert_eq!(trail[0]["ipAddress"], "127.0.0.1");
    for field in ["id", "createdAt", "updatedAt"] {
        assert!(trail[0][field].is_string(), "{field}: {}", trail[0]);
    }

    // A failed action is not recorded; a table created with the API key is.
    let (status, _) =
        send(as_key(s, Method::POST, "/api/database/advance/rawsql").json(&json!({"query": "SELEC"}))).await;
    assert_eq!(status, 400);
    let (status, body) = send(as_key(s, Method::POST, "/api/database/tables").json(&json!({
        "tableName": "audited", "columns": [{"columnName": "title", "type": "string", "isNullable": true}]
    })))
    .await;
    assert_eq!(status, 201, "{body}");
    let trail = rows(s, 2).await;
    assert_eq!(summary(&trail[0]), ("api-key", "CREATE_TABLE", "DATABASE"));
    assert_eq!(trail[0]["details"]["tableName"], "audited");

    // Secrets and key rotation.
    let (status, body) =
        send(as_key(s, Method::POST, "/api/secrets").json(&json!({"key": "AUDITED_KEY", "value": "v1"}))).await;
    assert_eq!(status, 201, "{body}");
    let trail = rows(s, 3).await;
    assert_eq!(summary(&trail[0]), ("api-key", "CREATE_SECRET", "SECRETS"));
    assert_eq!(trail[0]["details"], json!({"key": "AUDITED_KEY"}));
    let (status, body) =
        send(as_key(s, Method::POST, "/api/secrets/anon-key/rotate").json(&json!({"gracePeriodHours": 1}))).await;
    assert_eq!(status, 200, "{body}");
    let trail = rows(s, 4).await;
    assert_eq!(summary(&trail[0]), ("api-key", "ROTATE_ANON_KEY", "SECRETS"));
    assert!(
        !trail[0]["details"].to_string().contains("anon_"),
        "no key in the trail"
    );

    // Filters, all bound.
    let count = |query: &'static str| async move {
        let (status, body) = send(as_key(s, Method::GET, &format!("/api/logs/audits?{query}"))).await;
        assert_eq!(status, 200, "{query}: {body}");
        body.as_array().map_or(0, Vec::len)
    };
    assert_eq!(count("module=SECRETS").await, 2);
    assert_eq!(count("actor=local:root").await, 1);
    assert_eq!(count("action=CREATE_TABLE").await, 1);
    assert_eq!(count("action=CREATE_TABLE&module=SECRETS").await, 0);
    assert_eq!(count("actor=%27%20OR%201%3D1--").await, 0);
    assert_eq!(count("start_date=2000-01-01&end_date=2999-01-01T00:00:00Z").await, 4);
    assert_eq!(count("end_date=2000-01-01").await, 0);
    let raw = send_raw(as_key(s, Method::GET, "/api/logs/audits?start_date=2999-01-01")).await;
    assert_eq!((raw.status.as_u16(), raw.text.as_str()), (200, "[]"));
    assert_eq!(raw.header("content-range"), Some("0--1/0"));
    let (status, body) = send(as_key(s, Method::GET, "/api/logs/audits?start_date=yesterday")).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("INVALID_INPUT")));

    // Pages: 206 while more remain, absurd limits clamped.
    let raw = send_raw(as_key(s, Method::GET, "/api/logs/audits?limit=2")).await;
    assert_eq!((raw.status.as_u16(), raw.header("content-range")), (206, Some("0-1/4")));
    let page: Vec<Value> = serde_json::from_str(&raw.text).unwrap();
    assert_eq!(summary(&page[0]).1, "ROTATE_ANON_KEY");
    let raw = send_raw(as_key(s, Method::GET, "/api/logs/audits?limit=2&offset=2")).await;
    assert_eq!((raw.status.as_u16(), raw.header("content-range")), (200, Some("2-3/4")));
    let page: Vec<Value> = serde_json::from_str(&raw.text).unwrap();
    assert_eq!(summary(&page[1]).1, "RAW_SQL");
    let raw = send_raw(as_key(s, Method::GET, "/api/logs/audits?limit=99999999999&offset=0")).await;
    assert_eq!((raw.status.as_u16(), raw.header("content-range")), (200, Some("0-3/4")));
    let (status, _) = send(as_key(s, Method::GET, "/api/logs/audits?offset=-1")).await;
    assert_eq!(status, 400);

    // Stats.
    let (status, stats) = send(as_key(s, Method::GET, "/api/logs/audits/stats?days=7")).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["totalLogs"], 4);
    assert_eq!(stats["uniqueActors"], 2);
    assert_eq!(stats["uniqueModules"], 2);
    assert_eq!(stats["actionsByModule"], json!({"DATABASE": 2, "SECRETS": 2}));
    assert_eq!(stats["recentActivity"].as_array().map(Vec::len), Some(4));
    assert_eq!(stats["recentActivity"][0]["action"], "ROTATE_ANON_KEY");
    let (status, _) = send(as_key(s, Method::GET, "/api/logs/audits/stats?days=x")).await;
    assert_eq!(status, 400);

    // Delete: validated, keeps the last days, then everything with 0.
    for bad in ["-1", "abc", "99999999999"] {
        let (status, body) = send(as_key(
            s,
            Method::DELETE,
            &format!("/api/logs/audits?days_to_keep={bad}"),
        ))
        .await;
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{bad}"
        );
    }
    let (status, body) = send(as_key(s, Method::DELETE, "/api/logs/audits?days_to_keep=90")).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"message": "Audit logs cleared successfully", "deleted": 0}))
    );
    let (status, body) = send(as_key(s, Method::DELETE, "/api/logs/audits?days_to_keep=0")).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"message": "Audit logs cleared successfully", "deleted": 4}))
    );
    rows(s, 0).await;
    server.stop().await;
}

#[tokio::test]
async fn audit_records_secret_changes_user_deletes_and_auth_config() {
    let server = TestServer::start().await;
    let s = &server;
    let key = |m: Method, p: &str| as_key(s, m, p);
    assert_eq!(
        send(key(Method::POST, "/api/secrets").json(&json!({"key": "K1", "value": "a"})))
            .await
            .0,
        201
    );
    rows(s, 1).await;
    assert_eq!(
        send(key(Method::PUT, "/api/secrets/K1").json(&json!({"value": "b"})))
            .await
            .0,
        200
    );
    assert_eq!(summary(&rows(s, 2).await[0]).1, "UPDATE_SECRET");
    assert_eq!(send(key(Method::DELETE, "/api/secrets/K1")).await.0, 200);
    assert_eq!(summary(&rows(s, 3).await[0]).1, "DELETE_SECRET");
    let (status, body) = send(key(Method::PUT, "/api/auth/config").json(&json!({"passwordMinLength": 8}))).await;
    assert_eq!(status, 200, "{body}");
    let trail = rows(s, 4).await;
    assert_eq!(summary(&trail[0]), ("api-key", "UPDATE_AUTH_CONFIG", "AUTH"));
    assert_eq!(trail[0]["details"], json!({"changed": ["passwordMinLength"]}));
    let (status, user) = send(
        http()
            .post(s.at("/api/auth/users"))
            .json(&json!({"email": "gone@x.io", "password": "secret123", "name": "Ann"})),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    let id = user["user"]["id"].clone();
    let (status, body) = send(key(Method::DELETE, "/api/auth/users").json(&json!({ "userIds": [id] }))).await;
    assert_eq!(status, 200, "{body}");
    let trail = rows(s, 5).await;
    assert_eq!(summary(&trail[0]), ("api-key", "DELETE_USERS", "AUTH"));
    assert_eq!(trail[0]["details"], json!({"userIds": [id], "deletedCount": 1}));
    server.stop().await;
}

#[tokio::test]
async fn audit_logs_are_for_admins_only() {
    let server = TestServer::start().await;
    for (method, path) in [
        (Method::GET, "/api/logs/audits"),
        (Method::GET, "/api/logs/audits/stats"),
        (Method::DELETE, "/api/logs/audits?days_to_keep=0"),
    ] {
        let (status, body) = send(
            http()
                .request(method.clone(), server.at(path))
                .bearer_auth(server.anon_key()),
        )
        .await;
        assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
        let (status, _) = send(http().request(method, server.at(path))).await;
        assert_eq!(status, 401, "{path}");
    }
    // The request roles have no right on the table.
    let (status, body) = send(
        as_key(&server, Method::POST, "/api/database/advance/rawsql")
            .json(&json!({"query": "SELECT count(*) FROM system.audit_logs"})),
    )
    .await;
    assert_eq!(status.as_u16(), 403, "{body}");
    server.stop().await;
}
