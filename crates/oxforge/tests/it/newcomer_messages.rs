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

/// An RLS refusal's hint speaks of `return=representation` only when it was asked for.
#[tokio::test]
async fn the_rls_hint_fits_the_request() {
    let server = TestServer::start().await;
    server.sql(AUTH0_GUIDE_SQL).await;
    let alice = hs256(
        server.jwt_secret(),
        &json!({"sub": "auth0|alice", "role": "authenticated", "exp": now() + 600}),
    );
    let todos = Data::new(&server, &alice);
    let spoofed = json!({"title": "x", "user_id": "auth0|bob"});
    let body = assert_pgrst(&send_raw(todos.post("todos", spoofed.clone())).await, 403, "42501");
    assert_eq!(
        body["hint"],
        "The row must pass the WITH CHECK expression of a policy for this role and command."
    );
    let body = assert_pgrst(
        &send_raw(todos.post("todos", spoofed).header("Prefer", "return=representation")).await,
        403,
        "42501",
    );
    assert_eq!(
        body["hint"],
        "With return=representation the new row must also pass a SELECT policy for this role."
    );
    server.stop().await;
}

/// PUT without the whole primary key, a body that is JSON but not rows, `schema.table` in the
/// path and an RPC with the wrong arguments: each answer says what to do instead.
#[tokio::test]
async fn wrong_shapes_are_explained() {
    let server = TestServer::start().await;
    server
        .sql(
            "CREATE TABLE public.items (id int PRIMARY KEY, name text);
             CREATE FUNCTION public.add(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql AS 'SELECT a + b'",
        )
        .await;
    let admin = Data::new(&server, server.api_key());
    let put = |query: &str| {
        admin
            .records(reqwest::Method::PUT, &format!("items{query}"))
            .json(&json!({"id": 1, "name": "x"}))
    };
    for query in ["", "?name=eq.x", "?id=gt.1", "?id=eq.1&name=eq.x", "?or=(id.eq.1)"] {
        let body = assert_pgrst(&send_raw(put(query)).await, 405, "PGRST105");
        assert_eq!(body["hint"], "e.g. PUT /items?id=eq.<value>", "{query}");
    }
    assert_eq!(send_raw(put("?id=eq.1")).await.status, 200);
    assert_eq!(send(admin.get("items")).await.1, json!([{"id": 1, "name": "x"}]));

    let body = assert_pgrst(&send_raw(admin.post("items", json!(42))).await, 400, "PGRST102");
    assert_eq!(
        body["details"],
        "The body must be a JSON object or an array of objects; it is a number"
    );
    let body = assert_pgrst(
        &send_raw(admin.patch("items?id=eq.1", json!([{"name": "y"}]))).await,
        400,
        "PGRST102",
    );
    assert!(body["details"].as_str().unwrap().ends_with("it is an array"), "{body}");

    let body = assert_pgrst(&send_raw(admin.get("public.items")).await, 404, "42P01");
    assert!(body["hint"].as_str().unwrap().contains("/records/items"), "{body}");

    let body = assert_pgrst(
        &send_raw(admin.rpc(reqwest::Method::POST, "add").json(&json!({"x": 1}))).await,
        404,
        "PGRST202",
    );
    assert_eq!(
        body["hint"],
        "Perhaps you meant to call public.add(a integer, b integer (optional)) (arguments are passed by name)"
    );
    server.stop().await;
}

/// A refused JWT keeps InsForge's message ("Invalid token") and says why in `nextActions`.
#[tokio::test]
async fn a_refused_token_says_why() {
    let server = TestServer::start().await;
    let whoami = |token: String| http().get(server.at("/api/oxforge/whoami")).bearer_auth(token);
    let expired = hs256(
        server.jwt_secret(),
        &json!({"sub": "auth0|alice", "role": "authenticated", "exp": now() - 120}),
    );
    let (status, body) = send(whoami(expired)).await;
    assert_envelope(status, &body, 401, "AUTH_UNAUTHORIZED", "Invalid token");
    let why = body["nextActions"].as_str().unwrap_or_default();
    assert!(why.starts_with("The token was refused: expired at "), "{body}");
    let foreign = hs256("another-tenant's-secret", &json!({"sub": "x", "exp": now() + 60}));
    let (_, body) = send(whoami(foreign)).await;
    assert!(
        body["nextActions"]
            .as_str()
            .unwrap_or_default()
            .contains("bad signature"),
        "{body}"
    );
    let (_, body) = send(whoami("not-a-jwt".into())).await;
    assert!(
        body["nextActions"].as_str().unwrap_or_default().contains("not a JWT"),
        "{body}"
    );
    server.stop().await;
}
