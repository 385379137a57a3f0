//! What a client can hold at the edge: each route reads no larger body than it needs.

use oxforge_testkit::{TestServer, http};
use serde_json::json;

use crate::support::{Data, assert_envelope, send};

#[tokio::test]
async fn edge_auth_and_secrets_take_small_bodies_the_data_api_large_ones() {
    let server = TestServer::start().await;
    let mib = "x".repeat(1024 * 1024);
    let too_large = |status, body: &serde_json::Value| {
        assert_envelope(status, body, 413, "PAYLOAD_TOO_LARGE", "Request body is too large");
    };
    // Unauthenticated sign-in.
    let body = json!({"email": "a@example.com", "password": mib});
    let (status, reply) = send(http().post(server.at("/api/auth/sessions")).json(&body)).await;
    too_large(status, &reply);
    // Secrets, even with the API key.
    let body = json!({"key": "BIG", "value": mib});
    let (status, reply) = send(
        http()
            .post(server.at("/api/secrets"))
            .bearer_auth(server.api_key())
            .json(&body),
    )
    .await;
    too_large(status, &reply);
    // The SQL editor takes up to 1 MiB: a 256 KiB query runs, a 2 MiB one does not.
    let rawsql = |query: String| {
        http()
            .post(server.at("/api/database/advance/rawsql"))
            .bearer_auth(server.api_key())
            .json(&json!({ "query": query }))
    };
    let (status, reply) = send(rawsql(format!("select 1 as one -- {}", "y".repeat(256 * 1024)))).await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = send(rawsql(format!("select 1 -- {}", "y".repeat(2 * 1024 * 1024)))).await;
    too_large(status, &reply);
    // The data API keeps the 10 MiB limit: a 1 MiB row goes in.
    server
        .sql("CREATE TABLE public.blobs (id int PRIMARY KEY, body text)")
        .await;
    let data = Data::new(&server, server.api_key());
    let (status, reply) = send(
        data.post("blobs?select=id", json!({"id": 1, "body": mib}))
            .header("prefer", "return=representation"),
    )
    .await;
    assert_eq!((status.as_u16(), reply), (201, json!([{"id": 1}])));
    // A large batch is parsed off the async workers and still lands whole.
    let rows: Vec<_> = (2..2002).map(|id| json!({"id": id, "body": "z".repeat(512)})).collect();
    let (status, _) = send(data.post("blobs", json!(rows))).await;
    assert_eq!(status, 201);
    let (_, count) = send(data.get("blobs?select=id&id=gte.2&limit=5000")).await;
    assert_eq!(count.as_array().map(Vec::len), Some(2000));
    server.stop().await;
}
