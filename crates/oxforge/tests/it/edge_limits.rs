//! What a client can hold at the edge: half-sent headers and bodies are cut after their
//! deadline, the connection cap holds (and the server recovers), and each route reads no larger
//! body than it needs. Raw TCP where the client must misbehave.

use std::time::{Duration, Instant};

use oxforge_testkit::{TestServer, http};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::support::{Data, assert_envelope, send};

/// Longest any single wait in these tests may take.
const BOUND: Duration = Duration::from_secs(5);

async fn connect(server: &TestServer) -> TcpStream {
    let addr = server.url.trim_start_matches("http://");
    timeout(BOUND, TcpStream::connect(addr))
        .await
        .expect("connect timed out")
        .expect("connect")
}

/// A connection that has sent half of its headers and then nothing.
async fn half_open(server: &TestServer) -> TcpStream {
    let mut stream = connect(server).await;
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: oxforge\r\nX-Slow: ")
        .await
        .expect("write");
    stream
}

/// Reads until the server closes the connection (EOF or reset), within `BOUND`.
async fn wait_closed(stream: &mut TcpStream) {
    let mut sink = Vec::new();
    timeout(BOUND, stream.read_to_end(&mut sink))
        .await
        .expect("the server kept the connection open")
        .ok();
}

/// Reads one HTTP/1.1 response with a `Content-Length`: its status and body.
async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().expect("content-length"));
            if buffer.len() >= end + 4 + length {
                let status = head[9..12].parse().expect("status");
                let body = String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned();
                return (status, body);
            }
        }
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(
            n > 0,
            "connection closed mid-response: {:?}",
            String::from_utf8_lossy(&buffer)
        );
        buffer.extend_from_slice(&chunk[..n]);
    }
}

const HEALTH: &[u8] = b"GET /api/health HTTP/1.1\r\nHost: oxforge\r\n\r\n";

#[tokio::test]
async fn edge_half_sent_headers_are_cut_after_the_header_read_timeout() {
    let server = TestServer::start_with(|c| c.header_read_timeout_ms = 500).await;
    let started = Instant::now();
    let mut silent = connect(&server).await;
    let mut half = half_open(&server).await;
    wait_closed(&mut half).await;
    wait_closed(&mut silent).await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(450), "cut too early: {waited:?}");
    // A complete request on a fresh connection is served as usual.
    let mut whole = connect(&server).await;
    whole.write_all(HEALTH).await.unwrap();
    let (status, body) = timeout(BOUND, read_response(&mut whole)).await.unwrap();
    assert_eq!(status, 200, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn edge_a_slow_body_is_cut_after_the_body_read_timeout() {
    let server = TestServer::start_with(|c| c.body_read_timeout_ms = 500).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(
            b"POST /api/auth/sessions HTTP/1.1\r\nHost: oxforge\r\ncontent-type: application/json\r\n\
              content-length: 100\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let (status, body) = timeout(BOUND, read_response(&mut stream)).await.expect("no answer");
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    assert_envelope(
        reqwest::StatusCode::from_u16(status).unwrap(),
        &serde_json::from_str(&body).unwrap(),
        408,
        "REQUEST_TIMEOUT",
        "The request body was not received in time",
    );
    wait_closed(&mut stream).await;
    server.stop().await;
}

#[tokio::test]
async fn edge_the_connection_cap_holds_and_the_server_recovers() {
    const CAP: usize = 8;
    let read_timeout = Duration::from_millis(1500);
    let server = TestServer::start_with(|c| {
        c.max_connections = CAP;
        c.header_read_timeout_ms = 1500;
    })
    .await;
    let started = Instant::now();
    // One well-behaved keep-alive client, then enough half-open connections to reach the cap.
    let mut keeper = connect(&server).await;
    keeper.write_all(HEALTH).await.unwrap();
    assert_eq!(timeout(BOUND, read_response(&mut keeper)).await.unwrap().0, 200);
    let mut held = Vec::new();
    for _ in 1..CAP {
        held.push(half_open(&server).await);
    }
    // The next client waits in the backlog: it is not served while the cap is reached.
    let mut waiting = connect(&server).await;
    waiting.write_all(HEALTH).await.unwrap();
    let waiter = tokio::spawn(async move {
        let response = timeout(BOUND, read_response(&mut waiting)).await;
        (response, started.elapsed())
    });
    // The client already in keeps being served at the cap.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let asked = Instant::now();
    keeper.write_all(HEALTH).await.unwrap();
    assert_eq!(timeout(BOUND, read_response(&mut keeper)).await.unwrap().0, 200);
    assert!(asked.elapsed() < Duration::from_millis(500), "{:?}", asked.elapsed());
    assert!(!waiter.is_finished(), "served beyond the cap");
    // The half-open connections are cut at their deadline, and the waiting client gets in.
    let (response, at) = waiter.await.unwrap();
    let (status, body) = response.expect("the waiting client was never served");
    assert_eq!(status, 200, "{body}");
    assert!(
        at >= read_timeout - Duration::from_millis(50),
        "served before a slot was free: {at:?}"
    );
    for stream in &mut held {
        wait_closed(stream).await;
    }
    // And the server serves normally afterwards.
    let (status, _) = send(http().get(server.at("/api/health"))).await;
    assert_eq!(status, 200);
    server.stop().await;
}

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

/// `(soft, hard)` "Max open files" of this process, from `/proc/self/limits`.
fn open_file_limits() -> (String, String) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    (fields[3].to_owned(), fields[4].to_owned())
}

#[tokio::test]
async fn edge_the_open_file_limit_is_raised_to_the_hard_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    // The server runs in this process: lower the soft limit, as many systems default it to 1024.
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, 512.min(hard), hard).unwrap();
    let server = TestServer::start().await;
    let (soft, hard) = open_file_limits();
    assert_eq!(soft, hard, "the soft open-file limit was not raised");
    server.stop().await;
}
