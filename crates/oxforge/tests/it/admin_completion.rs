//! Issue 16, the admin API completed: the InsForge API level in health and metadata, `explain`
//! in the SQL editor, automatic columns declared at table creation, one table's metadata, the
//! MCP usage reports — and every new route refused to anon keys and user tokens.

use oxforge_testkit::{TestServer, hs256, http, now};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{assert_envelope, send};

fn admin(server: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    http().request(method, server.at(path)).bearer_auth(server.api_key())
}

async fn rawsql(server: &TestServer, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    send(admin(server, Method::POST, path).json(&body)).await
}

async fn todo_count(server: &TestServer) -> Value {
    let (status, body) = rawsql(
        server,
        "/api/database/advance/rawsql",
        json!({"query": "SELECT count(*)::int AS n FROM public.todos"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["rows"][0]["n"].clone()
}

#[tokio::test]
async fn metadata_reports_the_insforge_api_level_and_answers_mcp_true() {
    let server = TestServer::start().await;
    let (status, body) = send(admin(&server, Method::GET, "/api/metadata")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "2.3.1");
    assert_eq!(body["oxforgeVersion"], env!("CARGO_PKG_VERSION"));
    // InsForge's MCP server asks with `?mcp=true`; InsForge ignores the flag, and so does oxforge.
    let (status, mcp) = send(admin(&server, Method::GET, "/api/metadata?mcp=true")).await;
    assert_eq!((status.as_u16(), &mcp["version"]), (200, &json!("2.3.1")));
    // The size moves with the cluster's own activity; the tables do not.
    assert_eq!(mcp["database"]["tables"], body["database"]["tables"]);
    let (_, storage) = send(admin(&server, Method::GET, "/api/metadata/storage")).await;
    assert_eq!(storage, json!({"buckets": [], "totalSizeInGB": 0}));
    let (_, functions) = send(admin(&server, Method::GET, "/api/metadata/functions")).await;
    assert_eq!(functions, json!([]));
    server.stop().await;
}

#[tokio::test]
async fn explain_plans_one_read_only_query_and_never_runs_anything_else() {
    let server = TestServer::start().await;
    server
        .sql("CREATE TABLE public.todos (id int PRIMARY KEY, title text); INSERT INTO public.todos VALUES (1, 'a');")
        .await;
    for path in [
        "/api/database/advance/rawsql",
        "/api/database/advance/rawsql/unrestricted",
    ] {
        let (status, body) = rawsql(
            &server,
            path,
            json!({"query": "SELECT * FROM public.todos WHERE id = $1", "params": [1], "explain": true}),
        )
        .await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["rowCount"], 1);
        assert_eq!(body["fields"], json!([{"name": "QUERY PLAN", "dataTypeID": 114}]));
        assert!(
            body["rows"][0]["QUERY PLAN"][0]["Plan"]["Node Type"].is_string(),
            "{path}: {body}"
        );

        let refused = [
            (
                "INSERT INTO public.todos VALUES (2, 'b')",
                "(SELECT, WITH … SELECT, VALUES or TABLE)",
            ),
            ("DELETE FROM public.todos", "(SELECT, WITH … SELECT, VALUES or TABLE)"),
            (
                "WITH x AS (DELETE FROM public.todos RETURNING *) SELECT * FROM x",
                "this one changes data",
            ),
            ("SELECT * INTO public.copy FROM public.todos", "this one changes data"),
            ("SELECT 1; DELETE FROM public.todos", "send one statement"),
            ("SELECT 1; SELECT 2", "send one statement"),
        ];
        for (query, why) in refused {
            let (status, body) = rawsql(&server, path, json!({"query": query, "explain": true})).await;
            assert_eq!(
                (status.as_u16(), body["error"].as_str()),
                (400, Some("INVALID_INPUT")),
                "{query}: {body}"
            );
            let message = body["message"].as_str().unwrap_or_default();
            assert!(
                message.starts_with("explain: only a single read-only query"),
                "{message}"
            );
            assert!(message.contains(why), "{query}: {message}");
            assert_eq!(todo_count(&server).await, 1, "{query} ran");
        }
        let (status, body) = rawsql(&server, path, json!({"query": "SELECT 1", "explain": "yes"})).await;
        assert_envelope(status, &body, 400, "INVALID_INPUT", "explain: Expected boolean");
    }
    let no_copy = rawsql(
        &server,
        "/api/database/advance/rawsql",
        json!({"query": "SELECT to_regclass('public.copy') IS NULL AS absent"}),
    )
    .await;
    assert_eq!(no_copy.1["rows"], json!([{"absent": true}]));
    // `explain: false` (and null) run the statement as before.
    for explain in [json!(false), Value::Null] {
        let (status, body) = rawsql(
            &server,
            "/api/database/advance/rawsql",
            json!({"query": "SELECT title FROM public.todos", "explain": explain}),
        )
        .await;
        assert_eq!((status.as_u16(), body["rows"].clone()), (200, json!([{"title": "a"}])));
    }
    server.stop().await;
}

#[tokio::test]
async fn automatic_columns_declared_at_creation_fold_in_unless_their_type_differs() {
    let server = TestServer::start().await;
    let create = |body: Value| send(admin(&server, Method::POST, "/api/database/tables").json(&body));
    let (status, body) = create(json!({
        "tableName": "notes",
        "columns": [
            {"columnName": "id", "type": "uuid", "isPrimaryKey": true, "isNullable": false, "defaultValue": "gen_random_uuid()"},
            {"columnName": "body", "type": "string", "isNullable": false},
            {"columnName": "created_at", "type": "datetime", "isNullable": false},
            {"columnName": "updated_at", "type": "timestamptz", "isNullable": false}
        ]
    }))
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["columns"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["columns"][0]["columnName"], "body");
    let (_, schema) = send(admin(&server, Method::GET, "/api/database/tables/notes/schema")).await;
    let names: Vec<&str> = schema["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["columnName"].as_str())
        .collect();
    assert_eq!(names, ["id", "body", "created_at", "updated_at"]);
    assert_eq!(schema["columns"][0]["isPrimaryKey"], true);
    assert_eq!(schema["columns"][2]["type"], "timestamp with time zone");

    let refused = [
        ("id", "string", "uuid"),
        ("id", "integer", "uuid"),
        ("created_at", "date", "datetime"),
        ("updated_at", "text", "datetime"),
    ];
    for (column, kind, expected) in refused {
        let (status, body) = create(json!({
            "tableName": "refused",
            "columns": [{"columnName": column, "type": kind}]
        }))
        .await;
        assert_envelope(
            status,
            &body,
            400,
            "INVALID_INPUT",
            &format!(
                "columns: {column} is created automatically with type {expected}; it cannot be declared as {kind:?}"
            ),
        );
    }
    let (_, tables) = send(admin(&server, Method::GET, "/api/database/tables")).await;
    assert_eq!(tables, json!(["notes"]));
    server.stop().await;
}

#[tokio::test]
async fn one_tables_metadata_in_insforges_export_shape() {
    let server = TestServer::start().await;
    server
        .sql(
            r#"CREATE TABLE public.authors (id int PRIMARY KEY, email text UNIQUE);
               CREATE TABLE public.posts (
                 id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                 author_id int NOT NULL REFERENCES public.authors (id) ON DELETE CASCADE,
                 title varchar(80) DEFAULT 'untitled',
                 CONSTRAINT posts_title_author UNIQUE (author_id, title));
               CREATE INDEX posts_title ON public.posts (title);
               ALTER TABLE public.posts ENABLE ROW LEVEL SECURITY;
               CREATE POLICY readers ON public.posts FOR SELECT TO anon, authenticated USING (true);
               CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
               CREATE TRIGGER posts_touch BEFORE UPDATE ON public.posts FOR EACH ROW EXECUTE FUNCTION public.touch();
               CREATE TABLE public."api-key" (id int);"#,
        )
        .await;
    let (status, body) = send(admin(&server, Method::GET, "/api/metadata/posts")).await;
    assert_eq!(status, 200, "{body}");
    let posts = &body["posts"];
    assert_eq!(
        posts["schema"][2],
        json!({"columnName": "title", "dataType": "character varying", "characterMaximumLength": 80,
               "isNullable": "YES", "columnDefault": "'untitled'::character varying"})
    );
    assert_eq!(posts["schema"][1]["isNullable"], "NO");
    assert_eq!(posts["primaryKey"], json!(["id"]));
    assert_eq!(
        posts["uniqueConstraints"],
        json!([{"constraintName": "posts_title_author", "columns": ["author_id", "title"]}])
    );
    assert_eq!(
        posts["foreignKeys"],
        json!([{"constraintName": "posts_author_id_fkey", "columnName": "author_id", "foreignTableName": "authors",
                "foreignColumnName": "id", "ordinalPosition": 1, "deleteRule": "CASCADE", "updateRule": "NO ACTION"}])
    );
    let indexes: Vec<(&str, bool, bool)> = posts["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["indexname"].as_str().unwrap(),
                i["isUnique"] == true,
                i["isPrimary"] == true,
            )
        })
        .collect();
    assert_eq!(
        indexes,
        [
            ("posts_pkey", true, true),
            ("posts_title", false, false),
            ("posts_title_author", true, false)
        ]
    );
    assert_eq!(posts["rlsEnabled"], true);
    assert_eq!(
        posts["policies"],
        json!([{"policyname": "readers", "cmd": "SELECT", "roles": ["anon", "authenticated"], "qual": "true", "withCheck": null}])
    );
    assert_eq!(posts["triggers"][0]["triggerName"], "posts_touch");
    assert_eq!(posts["triggers"][0]["actionTiming"], "BEFORE");
    assert_eq!(posts["triggers"][0]["eventManipulation"], "UPDATE");
    assert_eq!(posts["rows"], json!([]));

    // The static routes keep winning over a table of the same name.
    let (_, body) = send(admin(&server, Method::GET, "/api/metadata/api-key")).await;
    assert_eq!(body, json!({"apiKey": server.api_key()}));
    let (_, body) = send(admin(&server, Method::GET, "/api/metadata/authors?schema=public")).await;
    assert_eq!(body["authors"]["uniqueConstraints"][0]["columns"], json!(["email"]));

    // Unknown tables, injection attempts and impossible names: the 404 envelope, no SQL error.
    for (path, shown) in [
        ("/api/metadata/nope", "public.nope"),
        ("/api/metadata/posts'%20OR%20'1'='1", "public.posts' OR '1'='1"),
        (
            "/api/metadata/posts%22;%20DROP%20TABLE%20posts;--",
            "public.posts\"; DROP TABLE posts;--",
        ),
        ("/api/metadata/posts%00", "public.posts\0"),
        ("/api/metadata/posts?schema=nope", "nope.posts"),
        ("/api/metadata/pg_class", "public.pg_class"),
    ] {
        let (status, body) = send(admin(&server, Method::GET, path)).await;
        assert_envelope(
            status,
            &body,
            404,
            "TABLE_NOT_FOUND",
            &format!("Table {shown} not found"),
        );
    }
    let long = "x".repeat(64);
    let (status, body) = send(admin(&server, Method::GET, &format!("/api/metadata/{long}"))).await;
    assert_envelope(
        status,
        &body,
        404,
        "TABLE_NOT_FOUND",
        &format!("Table public.{long} not found"),
    );
    assert_eq!(
        send(admin(&server, Method::GET, "/api/metadata/posts")).await.0,
        200,
        "posts survived"
    );
    server.stop().await;
}

#[tokio::test]
async fn mcp_usage_reports_are_kept_and_read_back() {
    let server = TestServer::start().await;
    let report = |body: Value| send(admin(&server, Method::POST, "/api/usage/mcp").json(&body));
    for body in [
        json!({"tool_name": "get-backend-metadata"}),
        json!({"tool_name": "run-raw-sql", "success": false}),
        json!({"tool_name": "get-table-schema", "success": true}),
        json!({"tool": "no tool_name: answered, not kept"}),
    ] {
        assert_eq!(report(body).await, (reqwest::StatusCode::OK, json!({"success": true})));
    }
    let raw = send(admin(&server, Method::POST, "/api/usage/mcp").body("not json")).await;
    assert_eq!(raw.0, 200, "a body that is not JSON is still answered at once");

    let (status, body) = send(admin(&server, Method::GET, "/api/usage/mcp?limit=200&success=true")).await;
    assert_eq!(status, 200, "{body}");
    let tools: Vec<&str> = body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["tool_name"].as_str())
        .collect();
    assert_eq!(tools, ["get-table-schema", "get-backend-metadata"]);
    assert_eq!(body["total"], 2);
    assert!(
        body["records"][0]["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let (_, body) = send(admin(&server, Method::GET, "/api/usage/mcp?limit=1")).await;
    assert_eq!(
        (body["records"].as_array().map(Vec::len), &body["total"]),
        (Some(1), &json!(2))
    );
    let (_, body) = send(admin(&server, Method::GET, "/api/usage/mcp?success=false")).await;
    assert_eq!(body["records"][0]["tool_name"], "run-raw-sql");
    for bad in ["abc", "0", "-1"] {
        let (status, body) = send(admin(&server, Method::GET, &format!("/api/usage/mcp?limit={bad}"))).await;
        assert_envelope(
            status,
            &body,
            400,
            "INVALID_INPUT",
            &format!("limit: Expected a positive integer, got {bad}"),
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn the_new_routes_refuse_anon_keys_and_user_tokens() {
    let server = TestServer::start().await;
    server.sql("CREATE TABLE public.todos (id int)").await;
    let user = hs256(
        server.jwt_secret(),
        &json!({"sub": "7f1e6c1a-8d3e-4a53-9b5e-1f2c3d4e5f60", "role": "authenticated", "aud": "insforge-api", "exp": now() + 600}),
    );
    let calls = [
        (Method::GET, "/api/metadata/todos", Value::Null),
        (Method::GET, "/api/metadata/storage", Value::Null),
        (Method::GET, "/api/usage/mcp", Value::Null),
        (Method::POST, "/api/usage/mcp", json!({"tool_name": "x"})),
        (
            Method::POST,
            "/api/database/advance/rawsql",
            json!({"query": "SELECT 1", "explain": true}),
        ),
    ];
    for token in [server.anon_key().to_owned(), user] {
        for (method, path, body) in &calls {
            let request = http().request(method.clone(), server.at(path)).bearer_auth(&token);
            let request = if body.is_null() { request } else { request.json(body) };
            let (status, body) = send(request).await;
            assert_envelope(status, &body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
        }
    }
    let (_, body) = send(admin(&server, Method::GET, "/api/usage/mcp")).await;
    assert_eq!(body["total"], 0, "a refused report is not kept");
    server.stop().await;
}
