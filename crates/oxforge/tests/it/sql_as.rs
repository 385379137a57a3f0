//! `POST /api/oxforge/sql/as`: the SQL editor's "view as". The query runs as `anon` or
//! `authenticated` with the claims a real token of that subject produces, under RLS, rolled back
//! unless `commit: true`; only admin credentials may ask, and only those two roles exist.

use std::time::{Duration, Instant};

use oxforge_testkit::{TestServer, hs256, http, now};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::support::{AUTH0_GUIDE_SQL, send};

fn as_key(server: &TestServer, method: Method, path: &str) -> RequestBuilder {
    http()
        .request(method, server.at(path))
        .header("x-api-key", server.api_key())
}

async fn view_as(server: &TestServer, body: Value) -> (u16, Value) {
    let (status, body) = send(as_key(server, Method::POST, "/api/oxforge/sql/as").json(&body)).await;
    (status.as_u16(), body)
}

/// The rows of an admin query (the SQL editor, as `project_admin`: RLS bypassed).
async fn admin_rows(server: &TestServer, query: &str) -> Value {
    let (status, body) =
        send(as_key(server, Method::POST, "/api/database/advance/rawsql").json(&json!({ "query": query }))).await;
    assert_eq!(status, 200, "{body}");
    body["rows"].clone()
}

async fn count(server: &TestServer) -> i64 {
    admin_rows(server, "select count(*)::int as n from todos").await[0]["n"]
        .as_i64()
        .unwrap()
}

fn owners(rows: &Value) -> Vec<String> {
    let mut v: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

async fn guide(server: &TestServer) {
    server.sql(AUTH0_GUIDE_SQL).await;
    server
        .sql("insert into todos (user_id, title) values ('auth0|alice', 'a1'), ('auth0|alice', 'a2'), ('auth0|bob', 'b1')")
        .await;
}

#[tokio::test]
async fn each_subject_sees_only_what_rls_lets_it_see() {
    let server = TestServer::start().await;
    guide(&server).await;

    let (status, body) = view_as(
        &server,
        json!({"query": "select user_id, title from todos order by title", "role": "authenticated", "sub": "auth0|alice"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(owners(&body["rows"]), ["auth0|alice", "auth0|alice"]);
    assert_eq!(body["rowCount"], 2);
    assert_eq!(body["fields"][0]["name"], "user_id");

    let (status, body) = view_as(
        &server,
        json!({"query": "select user_id from todos where title like $1", "params": ["b%"], "role": "authenticated", "sub": "auth0|bob"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(owners(&body["rows"]), ["auth0|bob"]);

    let (status, body) = view_as(&server, json!({"query": "select * from todos", "role": "anon"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], json!([]));

    // The session really is the request role, with the data API's exact claims.
    let (status, body) = view_as(
        &server,
        json!({"query": "select current_user as u, session_user as s, current_setting('request.jwt.claims') as c", "role": "authenticated", "sub": "auth0|alice"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0]["u"], "authenticated");
    assert_ne!(body["rows"][0]["s"], "postgres");
    let claims: Value = serde_json::from_str(body["rows"][0]["c"].as_str().unwrap()).unwrap();
    let keys: Vec<&str> = claims.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["sub", "role", "iat", "exp"], "{claims}");
    assert_eq!(claims["sub"], "auth0|alice");
    assert_eq!(claims["role"], "authenticated");
    let (_, body) = view_as(
        &server,
        json!({"query": "select current_user as u, current_setting('request.jwt.claims') as c", "role": "anon"}),
    )
    .await;
    assert_eq!(body["rows"][0], json!({"u": "anon", "c": "{\"role\":\"anon\"}"}));
    // The request roles cannot become anyone else.
    let (status, body) = view_as(
        &server,
        json!({"query": "select count(*) from system.audit_logs", "role": "authenticated", "sub": "x"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn writes_are_rolled_back_unless_committed_and_rls_still_decides() {
    let server = TestServer::start().await;
    guide(&server).await;
    assert_eq!(count(&server).await, 3);

    let alice_insert = json!({"query": "insert into todos (title) values ('a3') returning user_id, title", "role": "authenticated", "sub": "auth0|alice"});
    let (status, body) = view_as(&server, alice_insert.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], json!([{"user_id": "auth0|alice", "title": "a3"}]));
    assert_eq!(count(&server).await, 3, "rolled back by default");

    let (status, body) = view_as(
        &server,
        json!({"query": "delete from todos", "role": "authenticated", "sub": "auth0|alice"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rowCount"], 2, "only her rows are visible to delete");
    assert_eq!(count(&server).await, 3, "rolled back by default");

    let mut committed = alice_insert.clone();
    committed["commit"] = json!(true);
    let (status, body) = view_as(&server, committed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(count(&server).await, 4, "kept with commit: true");

    // RLS refuses a row for someone else, commit or not; nothing changes.
    let (status, body) = view_as(
        &server,
        json!({"query": "insert into todos (user_id, title) values ('auth0|bob', 'spoof')", "role": "authenticated", "sub": "auth0|alice", "commit": true}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("row-level security"),
        "{body}"
    );
    let (status, body) = view_as(
        &server,
        json!({"query": "delete from todos", "role": "anon", "commit": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rowCount"], 0);
    assert_eq!(count(&server).await, 4);
    server.stop().await;
}

#[tokio::test]
async fn only_admins_may_ask_and_only_for_the_two_request_roles() {
    let server = TestServer::start().await;
    guide(&server).await;
    let body = json!({"query": "select * from todos", "role": "anon"});
    let user = hs256(
        server.jwt_secret(),
        &json!({"sub": "auth0|alice", "role": "authenticated", "iat": now(), "exp": now() + 600}),
    );
    for (token, want) in [
        (server.anon_key().to_owned(), 403),
        (user, 403),
        ("nonsense".to_owned(), 401),
    ] {
        let (status, answer) = send(
            http()
                .post(server.at("/api/oxforge/sql/as"))
                .bearer_auth(&token)
                .json(&body),
        )
        .await;
        assert_eq!(status.as_u16(), want, "{answer}");
        assert!(answer["error"].is_string() && answer["message"].is_string(), "{answer}");
        assert_eq!(answer["statusCode"], want);
    }
    let (status, _) = send(http().post(server.at("/api/oxforge/sql/as")).json(&body)).await;
    assert_eq!(status, 401);

    for role in [
        json!("postgres"),
        json!("project_admin"),
        json!("anon; drop table todos"),
        json!("authenticator"),
        json!("ANON"),
        json!(""),
        json!(1),
        Value::Null,
    ] {
        let (status, answer) = view_as(&server, json!({"query": "select current_user", "role": role})).await;
        assert_eq!(status, 400, "role {role}: {answer}");
        assert_eq!(answer["error"], "INVALID_INPUT");
    }
    assert_eq!(count(&server).await, 3, "the table is still there");

    // Bad input is a 400, never a 500.
    for (body, needle) in [
        (json!({"query": "select 1", "role": "authenticated"}), "sub"),
        (
            json!({"query": "select 1", "role": "anon", "sub": "auth0|alice"}),
            "sub",
        ),
        (json!({"query": "select 1", "role": "authenticated", "sub": 5}), "sub"),
        (json!({"query": "select 1", "role": "anon", "commit": "yes"}), "commit"),
        (json!({"query": "select 1", "role": "anon", "params": "x"}), "params"),
        (json!({"query": "", "role": "anon"}), "query"),
        (json!({"role": "anon"}), "query"),
        (json!({"query": "select 1 frm x", "role": "anon"}), "syntax error"),
        (json!({"query": "select * from nope", "role": "anon"}), "nope"),
        (
            json!({"query": "select 1", "role": "authenticated", "email": "nobody@x.io"}),
            "email",
        ),
        (
            json!({"query": "commit; insert into todos (user_id, title) values ('x', 'y')", "role": "anon"}),
            "transaction control",
        ),
        (
            json!({"query": "select 1; -- x\n ROLLBACK", "role": "anon"}),
            "transaction control",
        ),
        (
            json!({"query": "reset role; select current_user", "role": "anon"}),
            "RESET",
        ),
        (
            json!({"query": "set role project_admin", "role": "authenticated", "sub": "a"}),
            "role",
        ),
        (
            json!({"query": "SET LOCAL ROLE postgres; select 1", "role": "anon"}),
            "role",
        ),
    ] {
        let (status, answer) = view_as(&server, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(needle), "{body}: {answer}");
        assert_eq!(answer["statusCode"], 400);
    }
    server.stop().await;
}

#[tokio::test]
async fn the_subject_is_only_ever_a_value() {
    let server = TestServer::start().await;
    guide(&server).await;
    for sub in [
        "' or 1=1 --",
        "auth0|alice' or '1'='1",
        "\"}, \"role\": \"project_admin",
    ] {
        let (status, body) = view_as(
            &server,
            json!({"query": "select user_id, current_user as u, requesting_user_id() as me from todos union all select null, current_user, requesting_user_id()", "role": "authenticated", "sub": sub}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "no todo matches {sub:?}: {body}");
        assert_eq!(rows[0]["u"], "authenticated");
        assert_eq!(rows[0]["me"], sub);
    }
    assert_eq!(count(&server).await, 3);
    server.stop().await;
}

#[tokio::test]
async fn a_signed_up_user_by_email_carries_their_id_and_email_and_is_audited() {
    let server = TestServer::start().await;
    let (status, body) = send(
        http()
            .post(server.at("/api/auth/users"))
            .bearer_auth(server.anon_key())
            .json(&json!({"email": "ann@example.com", "password": "secret123", "name": "Ann"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["user"]["id"].as_str().unwrap().to_owned();
    let claims_query = "select auth.uid()::text as uid, current_setting('request.jwt.claims')::json as c";

    for asked in [
        json!({"query": claims_query, "role": "authenticated", "email": "Ann@Example.com"}),
        json!({"query": claims_query, "role": "authenticated", "sub": id}),
        json!({"query": claims_query, "role": "authenticated", "userId": id}),
    ] {
        let (status, body) = view_as(&server, asked).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rows"][0]["uid"], id.as_str());
        assert_eq!(body["rows"][0]["c"]["sub"], id.as_str());
        assert_eq!(body["rows"][0]["c"]["email"], "ann@example.com");
    }

    // The trail names the role and the subject; a failed run is not recorded.
    let _ = view_as(&server, json!({"query": "selec", "role": "anon"})).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let trail = loop {
        let (status, body) = send(as_key(&server, Method::GET, "/api/logs/audits")).await;
        assert_eq!(status, 200, "{body}");
        let rows: Vec<Value> = body
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "RAW_SQL_AS")
            .cloned()
            .collect();
        if rows.len() >= 3 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(trail.len(), 3, "three runs, the failed one not recorded: {trail:?}");
    assert_eq!(trail[0]["module"], "DATABASE");
    assert_eq!(trail[0]["details"]["role"], "authenticated");
    assert_eq!(trail[0]["details"]["sub"], id.as_str());
    assert_eq!(trail[0]["details"]["query"], claims_query);
    assert_eq!(trail[0]["details"]["commit"], false);
    server.stop().await;
}

#[tokio::test]
async fn errors_point_at_their_place_in_the_query_as_sent() {
    let server = TestServer::start().await;
    let query = "\n  select 1 frm x";
    let at = query.find('x').unwrap() + 1;
    let (status, body) = view_as(&server, json!({"query": query, "role": "anon"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "syntax error at or near \"x\"");
    assert_eq!(body["position"], at, "{body}");
    let (status, body) =
        send(as_key(&server, Method::POST, "/api/database/advance/rawsql").json(&json!({ "query": query }))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["position"], at, "the SQL editor's own route too: {body}");
    // An error with no place in the text has no position.
    let (_, body) =
        send(as_key(&server, Method::POST, "/api/database/advance/rawsql").json(&json!({ "query": "select 1/0" })))
            .await;
    assert!(body.get("position").is_none(), "{body}");
    assert_eq!(body["message"], "division by zero");
    // A script: the place in the whole script.
    let script = "select 1;\nselect nope from pg_class;";
    let (_, body) =
        send(as_key(&server, Method::POST, "/api/database/advance/rawsql").json(&json!({ "query": script }))).await;
    assert_eq!(body["position"], script.find("nope").unwrap() + 1, "{body}");
    server.stop().await;
}
