//! The data API's answers to a newcomer's usual mistakes name the fix (issue 14, item 10).

use oxforge_testkit::{TestServer, hs256, http, now};
use serde_json::json;

use crate::support::{AUTH0_GUIDE_SQL, Data, assert_envelope, assert_pgrst, send, send_raw};

#[tokio::test]
async fn a_misspelt_table_or_order_names_the_right_one() {
    let server = TestServer::start().await;
    server.sql(AUTH0_GUIDE_SQL).await;
    let admin = Data::new(&server, server.api_key());

    let body = assert_pgrst(&send_raw(admin.get("todo")).await, 404, "42P01");
    assert_eq!(body["message"], "relation \"public.todo\" does not exist");
    assert_eq!(body["hint"], "did you mean `todos`?");
    let body = assert_pgrst(&send_raw(admin.get("Todos")).await, 404, "42P01");
    assert_eq!(body["hint"], "did you mean `todos`?");
    let body = assert_pgrst(&send_raw(admin.get("invoices")).await, 404, "42P01");
    assert_eq!(body["hint"], json!(null), "nothing close: no guess");

    let body = assert_pgrst(
        &send_raw(admin.get("todos?order=title.sideways")).await,
        400,
        "PGRST100",
    );
    assert_eq!(body["message"], "\"failed to parse order (title.sideways)\"");
    let details = body["details"].as_str().unwrap_or_default();
    assert!(
        details.starts_with("unexpected \"sideways\" expecting \"asc\", \"desc\", \"nullsfirst\" or \"nullslast\""),
        "{body}"
    );
    let raw = send_raw(admin.get("todos?order=title.desc.nullslast")).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    server.stop().await;
}

#[tokio::test]
async fn beginner_credential_mistakes_name_the_right_form() {
    let server = TestServer::start().await;
    server.sql(AUTH0_GUIDE_SQL).await;
    let url = server.at("/api/database/records/todos");
    let token = hs256(
        server.jwt_secret(),
        &json!({"sub": "auth0|alice", "role": "authenticated", "exp": now() + 600}),
    );

    // A token without the Bearer scheme.
    let (status, body) = send(http().get(&url).header("Authorization", &token)).await;
    assert_envelope(
        status,
        &body,
        401,
        "AUTH_INVALID_CREDENTIALS",
        "No token provided: the Authorization header needs the Bearer scheme: `Authorization: Bearer <token>`",
    );
    // Supabase's apikey header.
    let (status, body) = send(http().get(&url).header("apikey", server.anon_key())).await;
    assert_envelope(
        status,
        &body,
        401,
        "AUTH_INVALID_CREDENTIALS",
        "No token provided: the `apikey` header is not read here (as in InsForge): send the key as `Authorization: Bearer <key>`",
    );
    // The anon key in x-api-key (which takes the admin key).
    let (status, body) = send(http().get(&url).header("x-api-key", server.anon_key())).await;
    assert_envelope(
        status,
        &body,
        401,
        "AUTH_INVALID_API_KEY",
        "Invalid API key: `x-api-key` takes the admin API key (ik_…); send the anon key or a user's token as `Authorization: Bearer <token>`",
    );
    // The same mistakes on an admin route.
    let (status, body) = send(
        http()
            .get(server.at("/api/metadata/api-key"))
            .header("x-api-key", server.anon_key()),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`x-api-key` takes the admin API key"),
        "{body}"
    );
    // Nothing presented at all: the plain message, no guess.
    let (status, body) = send(http().get(&url)).await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_CREDENTIALS", "No token provided");
    // And the right form works.
    let raw = send_raw(http().get(&url).bearer_auth(&token)).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    server.stop().await;
}
