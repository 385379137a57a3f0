//! The admin API: SQL editor, migrations, introspection, secrets and key rotation, metadata.

use std::time::{Duration, Instant};

use oxforge_testkit::{TestServer, hs256, http, now};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Data, assert_envelope, send};

fn admin(server: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    http().request(method, server.at(path)).bearer_auth(server.api_key())
}

async fn sql(server: &TestServer, query: &str) -> (reqwest::StatusCode, Value) {
    send(admin(server, Method::POST, "/api/database/advance/rawsql").json(&json!({ "query": query }))).await
}

#[tokio::test]
async fn sql_editor() {
    let server = TestServer::start().await;
    let (status, body) = send(
        admin(&server, Method::POST, "/api/database/advance/rawsql")
            .json(&json!({"query": "SELECT $1::int + 1 AS n, $2::text AS t, NULL::text AS z", "params": [41, "x"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], json!([{"n": 42, "t": "x", "z": null}]));
    assert_eq!(body["rowCount"], 1);
    assert_eq!(
        body["fields"],
        json!([{"name":"n","dataTypeID":23},{"name":"t","dataTypeID":25},{"name":"z","dataTypeID":25}])
    );

    // DDL as project_admin; the data API sees the table at once.
    let (status, body) = sql(&server, "CREATE TABLE public.things (id serial PRIMARY KEY, name text)").await;
    assert_eq!((status.as_u16(), body["rowCount"].clone()), (200, json!(0)));
    let (status, body) = sql(&server, "INSERT INTO public.things (name) VALUES ('a'), ('b')").await;
    assert_eq!((status.as_u16(), body["rowCount"].clone()), (200, json!(2)));
    let (_, body) = sql(
        &server,
        "INSERT INTO public.things (name) VALUES ('c') RETURNING id, name",
    )
    .await;
    assert_eq!(body["rows"], json!([{"id": 3, "name": "c"}]));
    let (_, rows) = send(Data::new(&server, server.anon_key()).get("things?select=name&order=id")).await;
    assert_eq!(rows, json!([{"name":"a"},{"name":"b"},{"name":"c"}]));
    // Scripts and statements that cannot be wrapped still work.
    let (status, body) = sql(&server, "SELECT 1 AS a; SELECT 2 AS b").await;
    assert_eq!((status.as_u16(), body["rows"].clone()), (200, json!([{"b": "2"}])));
    let (status, body) = sql(&server, "SHOW statement_timeout").await;
    assert_eq!(
        (status.as_u16(), body["rows"].clone()),
        (200, json!([{"statement_timeout": "30s"}]))
    );

    // Failures roll back completely and are 4xx with PostgreSQL's message.
    let (status, body) = sql(
        &server,
        "INSERT INTO public.things (name) VALUES ('d'); SELECT * FROM nope",
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("DATABASE_VALIDATION_ERROR")),
        "{body}"
    );
    let (_, body) = sql(&server, "SELECT count(*) AS n FROM public.things").await;
    assert_eq!(
        body["rows"],
        json!([{"n": 3}]),
        "the insert of the failed script was rolled back"
    );
    let (status, body) = sql(&server, "SELEC 1").await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("INVALID_INPUT")));
    let (status, _) = sql(&server, "INSERT INTO public.things (id, name) VALUES (1, 'dup')").await;
    assert_eq!(status, 409);

    // project_admin cannot read the secret store; the owner can.
    let (status, body) = sql(&server, "SELECT count(*) FROM system.secrets").await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (403, Some("FORBIDDEN")));
    let (status, _) = send(
        admin(&server, Method::POST, "/api/database/advance/rawsql/unrestricted")
            .json(&json!({"query": "SELECT count(*) FROM system.secrets"})),
    )
    .await;
    assert_eq!(status, 200);

    // Not for users or the anon key.
    let user = hs256(
        server.jwt_secret(),
        &json!({"sub":"u","role":"authenticated","exp":now()+60}),
    );
    let (status, body) = send(
        http()
            .post(server.at("/api/database/advance/rawsql"))
            .bearer_auth(&user)
            .json(&json!({"query":"SELECT 1"})),
    )
    .await;
    assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
    let (status, _) = send(
        http()
            .post(server.at("/api/database/advance/rawsql"))
            .bearer_auth(server.anon_key())
            .json(&json!({"query":"SELECT 1"})),
    )
    .await;
    assert_eq!(status, 403);
    server.stop().await;
}

async fn migrate(server: &TestServer, version: &str, name: &str, sql: &str) -> (reqwest::StatusCode, Value) {
    send(
        admin(server, Method::POST, "/api/database/migrations")
            .json(&json!({"version": version, "name": name, "sql": sql})),
    )
    .await
}

#[tokio::test]
async fn migrations() {
    let server = TestServer::start().await;
    let (status, body) = migrate(
        &server,
        "20260101000000",
        "create-notes",
        "create table notes (id int primary key); insert into notes values (1);",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["statements"],
        json!([
            "create table notes (id int primary key)",
            "insert into notes values (1)"
        ])
    );
    let (status, body) = migrate(&server, "20260101000000", "again", "select 1").await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (409, Some("DATABASE_MIGRATION_ALREADY_EXISTS"))
    );
    let (status, _) = migrate(&server, "2025", "older", "select 1").await;
    assert_eq!(status, 409);
    let (status, body) = migrate(
        &server,
        "20260102000000",
        "tx",
        "begin; create table x (a int); commit;",
    )
    .await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (403, Some("FORBIDDEN")));
    let (status, _) = migrate(&server, "20260102000000", "Bad_Name", "select 1").await;
    assert_eq!(status, 400);
    // A failing migration leaves nothing behind.
    let (status, body) = migrate(
        &server,
        "20260103000000",
        "half",
        "create table half (a int); select * from nope;",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with("Statement 2 failed"),
        "{body}"
    );
    let (_, body) = sql(&server, "SELECT to_regclass('public.half') IS NULL AS gone").await;
    assert_eq!(body["rows"], json!([{"gone": true}]));

    // Two concurrent migrations with one version: exactly one is applied.
    let (a, b) = tokio::join!(
        migrate(&server, "20260104000000", "one", "create table race_a (a int)"),
        migrate(&server, "20260104000000", "two", "create table race_b (a int)")
    );
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);

    let (status, body) = send(admin(&server, Method::GET, "/api/database/migrations")).await;
    assert_eq!(status, 200);
    let versions: Vec<&str> = body["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["20260104000000", "20260101000000"], "newest first");

    let (status, body) = send(
        admin(&server, Method::POST, "/api/database/migrations/dry-run")
            .json(&json!({"sql": "drop table notes; create table y (a int)"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["valid"].clone(),
            body["riskLevel"].clone(),
            body["statementCount"].clone()
        ),
        (json!(true), json!("DANGER"), json!(2))
    );
    let (_, body) = sql(&server, "SELECT count(*) AS n FROM notes").await;
    assert_eq!(body["rows"], json!([{"n": 1}]), "a dry run changes nothing");
    let (_, body) = send(
        admin(&server, Method::POST, "/api/database/migrations/dry-run")
            .json(&json!({"sql": "create table z (a nosuchtype)"})),
    )
    .await;
    assert_eq!(
        (body["valid"].clone(), body["riskLevel"].clone()),
        (json!(false), json!("SAFE"))
    );
    assert!(body["error"].as_str().unwrap().contains("nosuchtype"));
    server.stop().await;
}

#[tokio::test]
async fn introspection() {
    let server = TestServer::start().await;
    server
        .sql("CREATE TABLE public.todos (id int PRIMARY KEY, user_id text NOT NULL DEFAULT 'x', title text UNIQUE);
              ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;
              CREATE POLICY own ON public.todos FOR ALL TO authenticated USING (user_id = 'x') WITH CHECK (user_id = 'x');
              CREATE INDEX todos_user ON public.todos (user_id);
              CREATE FUNCTION public.hello() RETURNS text LANGUAGE sql AS 'SELECT ''hi''';")
        .await;
    let get = |path: &str| send(admin(&server, Method::GET, path));
    assert_eq!(get("/api/database/tables").await.1, json!(["todos"]));
    let (_, body) = get("/api/database/policies").await;
    let policy = &body["policies"][0];
    assert_eq!(
        (
            policy["tablename"].as_str(),
            policy["policyname"].as_str(),
            policy["cmd"].as_str()
        ),
        (Some("todos"), Some("own"), Some("ALL"))
    );
    assert_eq!(policy["roles"], json!(["authenticated"]));
    let (_, body) = get("/api/database/indexes").await;
    assert!(
        body["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["indexName"] == "todos_user")
    );
    let (_, body) = get("/api/database/functions").await;
    assert_eq!(body["functions"][0]["name"], "hello");
    let (_, body) = get("/api/database/schemas").await;
    assert!(
        body["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "public" && s["isProtected"] == false)
    );
    let (status, body) = get("/api/database/tables/todos/schema").await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["tableName"].as_str(), body["rlsEnabled"].clone()),
        (Some("todos"), json!(true))
    );
    let id = &body["columns"][0];
    assert_eq!(
        (
            id["columnName"].as_str(),
            id["isPrimaryKey"].clone(),
            id["isNullable"].clone()
        ),
        (Some("id"), json!(true), json!(false))
    );
    assert_eq!(body["columns"][2]["isUnique"], true);
    let (status, body) = get("/api/database/tables/nope/schema").await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (404, Some("TABLE_NOT_FOUND"))
    );
    server.stop().await;
}

#[tokio::test]
async fn secrets_and_key_rotation_across_processes() {
    let first = TestServer::start().await;
    let second = TestServer::start_on(&first.database.clone(), |_| {}).await;
    let s = &first;
    let (status, body) =
        send(admin(s, Method::POST, "/api/secrets").json(&json!({"key":"STRIPE_KEY","value":"sk_1"}))).await;
    assert_eq!((status.as_u16(), body["success"].clone()), (201, json!(true)));
    let (status, body) =
        send(admin(s, Method::POST, "/api/secrets").json(&json!({"key":"STRIPE_KEY","value":"sk_2"}))).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (409, Some("SECRET_ALREADY_EXISTS"))
    );
    let (status, _) = send(admin(s, Method::POST, "/api/secrets").json(&json!({"key":"bad-key","value":"x"}))).await;
    assert_eq!(status, 400);
    let (status, _) = send(admin(s, Method::PUT, "/api/secrets/STRIPE_KEY").json(&json!({"value":"sk_3"}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        send(admin(s, Method::GET, "/api/secrets/STRIPE_KEY")).await.1,
        json!({"key":"STRIPE_KEY","value":"sk_3"})
    );
    let (_, body) = send(admin(s, Method::GET, "/api/secrets")).await;
    let stripe = body["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "STRIPE_KEY")
        .unwrap()
        .clone();
    assert_eq!(
        (stripe["isActive"].clone(), stripe["isReserved"].clone()),
        (json!(true), json!(false))
    );
    assert!(stripe.get("value").is_none(), "lists never show values");
    let (status, _) = send(admin(s, Method::DELETE, "/api/secrets/STRIPE_KEY")).await;
    assert_eq!(status, 200);
    let (status, _) = send(admin(s, Method::GET, "/api/secrets/STRIPE_KEY")).await;
    assert_eq!(status, 404);
    let (status, body) = send(admin(s, Method::DELETE, "/api/secrets/JWT_SECRET")).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (403, Some("FORBIDDEN")));

    // Rotate the anon key with a grace period: both keys work, on both processes.
    let old_anon = s.anon_key().to_owned();
    let (status, body) =
        send(admin(s, Method::POST, "/api/secrets/anon-key/rotate").json(&json!({"gracePeriodHours": 1}))).await;
    assert_eq!(status, 200, "{body}");
    let new_anon = body["anonKey"].as_str().unwrap().to_owned();
    assert!(new_anon.starts_with("anon_") && new_anon != old_anon);
    assert!(body["oldKeyExpiresAt"].is_string());
    let whoami =
        |server: &TestServer, key: &str| send(http().get(server.at("/api/oxforge/whoami")).bearer_auth(key.to_owned()));
    assert_eq!(whoami(s, &old_anon).await.0, 200);
    assert_eq!(whoami(s, &new_anon).await.0, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while whoami(&second, &new_anon).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "the other process never learned the new anon key"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        send(admin(&second, Method::GET, "/api/metadata/anon-key")).await.1,
        json!({"anonKey": new_anon})
    );

    // Rotate the API key with no grace: the old one stops at once, everywhere.
    let old_api = s.api_key().to_owned();
    let (status, body) =
        send(admin(s, Method::POST, "/api/secrets/api-key/rotate").json(&json!({"gracePeriodHours": 0}))).await;
    assert_eq!(status, 200, "{body}");
    let new_api = body["apiKey"].as_str().unwrap().to_owned();
    let (status, body) = send(http().get(s.at("/api/metadata/api-key")).bearer_auth(&old_api)).await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_API_KEY", "Invalid API key");
    let deadline = Instant::now() + Duration::from_secs(10);
    while send(http().get(second.at("/api/metadata/api-key")).bearer_auth(&old_api))
        .await
        .0
        != 401
    {
        assert!(Instant::now() < deadline, "the other process kept the revoked key");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, body) = send(http().get(second.at("/api/metadata/api-key")).bearer_auth(&new_api)).await;
    assert_eq!((status.as_u16(), body), (200, json!({"apiKey": new_api})));
    let (status, _) = send(
        http()
            .post(s.at("/api/secrets/api-key/rotate"))
            .bearer_auth(&new_api)
            .json(&json!({"gracePeriodHours": 500})),
    )
    .await;
    assert_eq!(status, 400, "grace beyond 168 h is refused");
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn metadata_and_cli_conveniences() {
    let server = TestServer::start().await;
    server.sql("CREATE TABLE public.todos (id int)").await;
    let (status, body) = send(admin(&server, Method::GET, "/api/metadata")).await;
    assert_eq!(status, 200);
    assert_eq!(body["database"]["tables"][0]["tableName"], "todos");
    assert_eq!(body["auth"]["passwordMinLength"], 6);
    assert!(
        body.get("deployments").is_none() && body.get("compute").is_none(),
        "no cloud capabilities advertised"
    );
    let raw = crate::support::send_raw(admin(&server, Method::GET, "/api/metadata?format=markdown")).await;
    assert!(raw.header("content-type").unwrap().starts_with("text/markdown"));
    assert!(raw.text.contains("| todos |"), "{}", raw.text);
    assert_eq!(
        send(admin(&server, Method::GET, "/api/metadata/project-id")).await.1,
        json!({"projectId": null})
    );
    let (_, body) = send(admin(&server, Method::POST, "/api/auth/tokens/anon")).await;
    assert_eq!(body["accessToken"], server.anon_key());
    assert_eq!(
        send(admin(&server, Method::POST, "/api/usage/mcp").json(&json!({"tool":"x"})))
            .await
            .0,
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn tables_api() {
    let server = TestServer::start().await;
    let create = |body: Value| send(admin(&server, Method::POST, "/api/database/tables").json(&body));
    let (status, body) = create(
        json!({"tableName": "authors", "columns": [{"columnName": "name", "type": "string", "isNullable": false}]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = create(json!({
        "tableName": "posts",
        "columns": [
            {"columnName": "title", "type": "string", "isNullable": false},
            {"columnName": "views", "type": "integer", "defaultValue": "0"},
            {"columnName": "price", "type": "numeric(10,2)"},
            {"columnName": "author_id", "type": "uuid"}
        ],
        "foreignKeys": [{"referenceTable": "authors", "referenceColumns": [{"sourceColumn": "author_id", "referenceColumn": "id"}], "onDelete": "CASCADE"}],
        "rlsEnabled": true
    }))
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["message"].as_str(), body["autoFields"].clone()),
        (
            Some("table created successfully"),
            json!(["id", "created_at", "updated_at"])
        )
    );
    assert_eq!(body["columns"][2]["sqlType"], "numeric(10,2)");
    let (status, body) = create(json!({"tableName": "posts", "columns": []})).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("DATABASE_DUPLICATE"))
    );
    for bad in [
        json!({"tableName": "x", "columns": [{"columnName": "a", "type": "text; drop table posts"}]}),
        json!({"tableName": "x", "columns": [{"columnName": "id", "type": "string"}]}),
        json!({"columns": []}),
    ] {
        assert_eq!(create(bad).await.0, 400);
    }

    // The table works through the data API: auto id, defaults, the FK embed, the updated_at trigger.
    let data = Data::new(&server, server.api_key());
    let (_, author) = send(
        data.post("authors?select=id", json!({"name": "Ann"}))
            .header("Prefer", "return=representation"),
    )
    .await;
    let author_id = author[0]["id"].as_str().unwrap().to_owned();
    let (status, post) = send(
        data.post(
            "posts?select=id,views,created_at,updated_at,authors(name)",
            json!({"title": "t", "author_id": author_id}),
        )
        .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(status, 201, "{post}");
    assert_eq!(
        (post[0]["views"].clone(), post[0]["authors"]["name"].clone()),
        (json!(0), json!("Ann"))
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (_, updated) = send(
        data.patch("posts?select=created_at,updated_at", json!({"views": 5}))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_ne!(
        updated[0]["updated_at"], updated[0]["created_at"],
        "the trigger moved updated_at"
    );
    assert_eq!(
        send(Data::new(&server, server.anon_key()).get("posts")).await.1,
        json!([]),
        "RLS on, no policy"
    );

    let alter = |body: Value| send(admin(&server, Method::PATCH, "/api/database/tables/posts/schema").json(&body));
    let (status, body) = alter(json!({"addColumns": [{"columnName": "body", "type": "string"}], "updateColumns": [{"columnName": "views", "defaultValue": "10", "newColumnName": "hits"}]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["operations"].as_array().unwrap().len(), 3);
    let (_, schema) = send(admin(&server, Method::GET, "/api/database/tables/posts/schema")).await;
    let names: Vec<&str> = schema["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["columnName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "title",
            "hits",
            "price",
            "author_id",
            "created_at",
            "updated_at",
            "body"
        ]
    );
    let (status, body) = alter(json!({"renameTable": {"newTableName": "articles"}})).await;
    assert_eq!((status.as_u16(), body["tableName"].as_str()), (200, Some("articles")));
    assert_eq!(alter(json!({})).await.0, 400);

    let (status, body) = send(admin(&server, Method::DELETE, "/api/database/tables/articles")).await;
    assert_eq!(
        (status.as_u16(), body["message"].as_str()),
        (200, Some("table deleted successfully"))
    );
    let (status, body) = send(admin(&server, Method::DELETE, "/api/database/tables/articles")).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (404, Some("TABLE_NOT_FOUND"))
    );
    server.stop().await;
}

#[tokio::test]
async fn nul_bytes_in_admin_sql_and_migrations_are_400() {
    let server = TestServer::start_with(|c| c.pool_size = 1).await;
    let (status, body) = sql(&server, "SELECT 1\u{0}; SELECT 2").await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("INVALID_INPUT")),
        "{body}"
    );
    let (status, body) = migrate(&server, "20260101000000", "nul", "create table nul (id int)\u{0};").await;
    assert_eq!(status, 400, "{body}");
    // The one pooled connection is still in step with PostgreSQL.
    let (status, body) = sql(&server, "SELECT to_regclass('public.nul') IS NULL AS absent").await;
    assert_eq!(
        (status.as_u16(), &body["rows"]),
        (200, &json!([{"absent": true}])),
        "{body}"
    );
    server.stop().await;
}

/// The SQL editor runs with the admin's `request.jwt.claims`, so claim-reading defaults (the Auth0
/// guide's `requesting_user_id()`) work for admin inserts, on fresh and reused connections alike.
#[tokio::test]
async fn sql_editor_runs_with_the_admins_claims() {
    let server = TestServer::start_with(|c| c.root_admin_password = Some("claims-pass-phrase".into())).await;
    let (status, body) = sql(&server, crate::support::AUTH0_GUIDE_SQL).await;
    assert_eq!(status, 200, "{body}");
    let probe = "select current_setting('request.jwt.claims', true) as c, requesting_user_id() as u";
    // More runs than the SQL pool has connections: every one is reused at least once.
    for _ in 0..6 {
        let (status, body) = sql(&server, probe).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rows"], json!([{"c": "{\"role\":\"project_admin\"}", "u": null}]));
    }
    let (status, body) = send(
        admin(&server, Method::POST, "/api/database/advance/rawsql/unrestricted").json(&json!({ "query": probe })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0]["c"], "{\"role\":\"project_admin\"}");

    // An admin session has a subject, which the guide's default picks up.
    let (status, session) = send(
        http()
            .post(server.at("/api/auth/admin/sessions"))
            .json(&json!({"username": "admin", "password": "claims-pass-phrase"})),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let token = session["accessToken"].as_str().unwrap();
    let (status, body) = send(
        http()
            .post(server.at("/api/database/advance/rawsql"))
            .bearer_auth(token)
            .json(&json!({ "query": "insert into todos (title) values ('from the editor') returning user_id" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sub = body["rows"][0]["user_id"].as_str().unwrap_or_default().to_owned();
    assert!(!sub.is_empty(), "{body}");
    let (_, body) = send(
        http()
            .post(server.at("/api/database/advance/rawsql"))
            .bearer_auth(token)
            .json(&json!({ "query": "select current_setting('request.jwt.claims', true)::json as c" })),
    )
    .await;
    assert_eq!(body["rows"][0]["c"], json!({"role": "project_admin", "sub": sub}));
    server.stop().await;
}
