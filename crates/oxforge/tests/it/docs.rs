//! The agent docs `@insforge/mcp` reads: `/api/docs/{docType}` and `/api/docs/{feature}/{language}`
//! answer `{type, content}` with no credential; unknown names, traversal included, are 404s.

use oxforge_testkit::{TestServer, http};

use crate::support::{assert_envelope, send};

const PLACEHOLDER: &str = "http://localhost:7130";

/// What `@insforge/mcp@1.2.11`'s `fetch-docs` tool may ask for (its `docTypeSchema`).
const MCP_DOC_TYPES: &[&str] = &[
    "instructions",
    "db-sdk",
    "auth-sdk",
    "storage-sdk",
    "functions-sdk",
    "ai-integration-sdk",
    "real-time",
    "deployment",
];

fn assert_doc(status: reqwest::StatusCode, body: &serde_json::Value, doc_type: &str) -> String {
    assert_eq!(status, 200, "{doc_type}: {body}");
    assert_eq!(body["type"], doc_type);
    let content = body["content"].as_str().unwrap_or_default().to_owned();
    assert!(content.starts_with("# "), "{doc_type} is markdown with a title");
    if content.contains("```") {
        assert!(content.contains(PLACEHOLDER), "{doc_type}'s code uses {PLACEHOLDER}");
    }
    content
}

#[tokio::test]
async fn every_doc_type_of_the_mcp_server_answers_without_a_credential() {
    let server = TestServer::start().await;
    for doc_type in MCP_DOC_TYPES {
        let (status, body) = send(http().get(server.at(&format!("/api/docs/{doc_type}")))).await;
        assert_doc(status, &body, doc_type);
    }
    let (status, body) = send(http().get(server.at("/api/docs/db-sdk"))).await;
    let db = assert_doc(status, &body, "db-sdk");
    assert!(db.contains("createClient") && db.contains(".from('todos')"), "{db}");
    let (status, body) = send(http().get(server.at("/api/docs/storage-sdk"))).await;
    let storage = assert_doc(status, &body, "storage-sdk");
    assert!(
        storage.contains(".storage.from(") && storage.contains("storage.foldername"),
        "{storage}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_credential_changes_nothing() {
    let server = TestServer::start().await;
    let url = server.at("/api/docs/instructions");
    for request in [
        http().get(&url).bearer_auth(server.api_key()),
        http().get(&url).header("x-api-key", server.api_key()),
        http().get(&url).bearer_auth("not-a-valid-token"),
    ] {
        let (status, body) = send(request).await;
        assert_doc(status, &body, "instructions");
    }
    server.stop().await;
}

#[tokio::test]
async fn feature_and_language_answer_insforge_s_doc_type() {
    let server = TestServer::start().await;
    let cases = [
        ("db", "typescript", "db-sdk-typescript"),
        ("auth", "typescript", "auth-sdk-typescript"),
        ("db", "rest-api", "db-rest-api"),
        ("auth", "rest-api", "auth-rest-api"),
        ("realtime", "typescript", "realtime-sdk-typescript"),
        ("storage", "rest-api", "storage-rest-api"),
        ("ai", "typescript", "ai-sdk-typescript"),
        ("functions", "rest-api", "functions-rest-api"),
    ];
    for (feature, language, doc_type) in cases {
        let (status, body) = send(http().get(server.at(&format!("/api/docs/{feature}/{language}")))).await;
        assert_doc(status, &body, doc_type);
    }
    server.stop().await;
}

#[tokio::test]
async fn the_list_names_every_doc() {
    let server = TestServer::start().await;
    let (status, body) = send(http().get(server.at("/api/docs"))).await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|doc| doc["type"].as_str())
        .collect();
    for doc_type in MCP_DOC_TYPES {
        assert!(listed.contains(doc_type), "{doc_type} in {listed:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn unknown_docs_and_traversal_are_404s_listing_the_known_ones() {
    let server = TestServer::start().await;
    for path in [
        "/api/docs/nope",
        "/api/docs/..%2f..%2fetc",
        "/api/docs/..%2f..%2fetc%2fpasswd",
        "/api/docs/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/api/docs/instructions.md",
        "/api/docs/db/swift",
        "/api/docs/..%2f..%2f/typescript",
        "/api/docs/db/..%2f..%2fetc",
    ] {
        let (status, body) = send(http().get(server.at(path))).await;
        assert_envelope(status, &body, 404, "NOT_FOUND", "Documentation not found");
        let next = body["nextActions"].as_str().unwrap_or_default();
        assert!(
            next.contains("instructions") && next.contains("db-sdk"),
            "{path}: {next}"
        );
        assert!(!body.to_string().contains("root:"), "{path} read a file");
    }
    // Dot segments are resolved before routing: never a docs lookup.
    let (status, body) = send(http().get(server.at("/api/docs/../../etc/passwd"))).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.to_string().contains("root:"));
    server.stop().await;
}
