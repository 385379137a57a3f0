//! Regression tests for the holes of the security audit (issue 13): each reproduces an attack
//! that worked before its fix. Casts in `select`, views around RLS, admin tokens from the shared
//! JWT secret, superuser sessions on the request path, pool starvation and `tx=rollback`.

use std::time::{Duration, Instant};

use oxforge_testkit::{TestServer, hs256, http, now};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{AUTH0_GUIDE_SQL, Data, assert_envelope, assert_pgrst, send, send_raw};

/// Restricted SQL (`/rawsql`, as `project_admin`) with the API key.
pub(crate) async fn rawsql(server: &TestServer, query: &str) -> (u16, Value) {
    let (status, body) = send(
        http()
            .post(server.at("/api/database/advance/rawsql"))
            .bearer_auth(server.api_key())
            .json(&json!({ "query": query })),
    )
    .await;
    (status.as_u16(), body)
}

fn user_token(server: &TestServer, sub: &str) -> String {
    hs256(
        server.jwt_secret(),
        &json!({"sub": sub, "role": "authenticated", "aud": "insforge-api", "exp": now() + 600}),
    )
}

#[tokio::test]
async fn a_cast_in_select_cannot_carry_sql() {
    let server = TestServer::start().await;
    server
        .sql(
            "CREATE TYPE public.mood AS ENUM ('ok', 'sad');
             CREATE TABLE public.posts (id int PRIMARY KEY, body text, score numeric, m public.mood);
             INSERT INTO public.posts VALUES (1, '42', 2.5, 'ok');",
        )
        .await;
    let anon = Data::new(&server, server.anon_key());
    // The audit's payload: with the anon key it returned `postgres` (session_user).
    for payload in [
        "body::text AS x FROM posts UNION SELECT session_user AS body FROM posts UNION SELECT body",
        "body::text FROM pg_authid",
        "body::int) FROM posts; SELECT (1",
        "body::regclass",
        "body::pg_catalog.text",
        "body::\"text\"",
        "body::record",
    ] {
        let raw = send_raw(anon.get("posts").query(&[("select", payload)])).await;
        let err = assert_pgrst(&raw, 400, "PGRST100");
        assert!(!raw.text.contains("postgres"), "{payload}: {err}");
    }
    // A type that is neither built in nor used by an exposed table is refused before SQL.
    let raw = send_raw(anon.get("posts").query(&[("select", "body::nosuchtype")])).await;
    assert_pgrst(&raw, 400, "PGRST100");
    // Legitimate casts, including multi-word types, modifiers, arrays and a project enum.
    let (status, body) = send(anon.get("posts").query(&[(
        "select",
        "n:body::integer,d:score::double precision,v:body::character varying,ts:id::text,m::mood",
    )]))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["ts"], "1");
    assert_eq!(body[0]["n"], 42);
    assert_eq!(body[0]["d"], 2.5);
    assert_eq!(body[0]["v"], "42");
    assert_eq!(body[0]["m"], "ok");
    server.stop().await;
}

#[tokio::test]
async fn views_cannot_read_around_row_level_security() {
    let server = TestServer::start().await;
    server.sql(AUTH0_GUIDE_SQL).await;
    let (alice, bob) = (user_token(&server, "auth0|alice"), user_token(&server, "auth0|bob"));
    let todos = Data::new(&server, &alice);
    assert_eq!(
        send(todos.post("todos", json!({"title": "alice's secret"}))).await.0,
        201
    );
    // An ordinary view from the SQL editor (as project_admin, which bypasses RLS and owns it).
    let (status, body) = rawsql(&server, "create view public.all_todos as select * from public.todos").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = rawsql(
        &server,
        "create materialized view public.todo_titles as select title from public.todos",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The view runs with the caller's rights: anon and Bob see nothing, Alice her row.
    let anon = Data::new(&server, server.anon_key());
    let (status, body) = send(anon.get("all_todos")).await;
    assert_eq!((status.as_u16(), body), (200, json!([])));
    let (status, body) = send(Data::new(&server, &bob).get("all_todos")).await;
    assert_eq!((status.as_u16(), body), (200, json!([])));
    let (status, body) = send(todos.get("all_todos?select=title")).await;
    assert_eq!((status.as_u16(), body), (200, json!([{"title": "alice's secret"}])));
    // Writes through the view obey RLS too.
    let raw = send_raw(anon.patch("all_todos", json!({"title": "pwned"}))).await;
    assert!(raw.status.as_u16() < 300 || raw.status.as_u16() == 401, "{}", raw.text);
    let _ = send_raw(anon.delete("all_todos")).await;
    let _ = send_raw(Data::new(&server, &bob).delete("all_todos")).await;
    let (_, body) = send(todos.get("todos?select=title")).await;
    assert_eq!(body, json!([{"title": "alice's secret"}]), "the row is untouched");
    // The materialized view (RLS cannot protect it) is not open to anon or users.
    let raw = send_raw(anon.get("todo_titles")).await;
    assert_eq!(raw.status.as_u16(), 401, "{}", raw.text);
    let raw = send_raw(Data::new(&server, &bob).get("todo_titles")).await;
    assert_eq!(raw.status.as_u16(), 403, "{}", raw.text);
    server.stop().await;
}

#[tokio::test]
async fn the_sql_editor_warns_about_tables_without_row_level_security() {
    let server = TestServer::start().await;
    let (status, body) = rawsql(&server, "create table public.open_notes (id int)").await;
    assert_eq!(status, 200, "{body}");
    let warnings = body["warnings"].as_array().cloned().unwrap_or_default();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.contains("public.open_notes") && w.contains("ENABLE ROW LEVEL SECURITY"))),
        "{body}"
    );
    let (_, body) = rawsql(&server, "alter table public.open_notes enable row level security").await;
    assert!(body.get("warnings").is_none(), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn the_shared_jwt_secret_never_makes_an_admin() {
    let server = TestServer::start().await;
    let forged = hs256(
        server.jwt_secret(),
        &json!({"sub": "local:admin", "role": "project_admin", "exp": now() + 600}),
    );
    let message =
        "Tokens signed with the JWT secret cannot carry the project_admin role; use the API key or an admin session";
    for (method, path, body) in [
        (
            Method::POST,
            "/api/database/advance/rawsql/unrestricted",
            json!({"query": "select 1"}),
        ),
        (Method::GET, "/api/secrets/JWT_PRIVATE_KEY", Value::Null),
        (Method::GET, "/api/database/records/anything", Value::Null),
    ] {
        let mut request = http().request(method, server.at(path)).bearer_auth(&forged);
        if !body.is_null() {
            request = request.json(&body);
        }
        let (status, body) = send(request).await;
        assert_envelope(status, &body, 403, "FORBIDDEN", message);
    }
    server.stop().await;
}

#[tokio::test]
async fn request_sessions_cannot_become_the_superuser() {
    let server = TestServer::start().await;
    // Restricted SQL runs as the authenticator, switched to project_admin.
    let (status, body) = rawsql(&server, "select session_user::text as s, current_user::text as c").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], json!([{"s": "authenticator", "c": "project_admin"}]));
    // The audit's escapes: `reset role` lands on a role without rights; no way to the owner.
    let (status, body) = rawsql(&server, "reset role; select current_user::text as c").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], json!([{"c": "authenticator"}]));
    for escape in [
        "select set_config('role', 'postgres', true)",
        "set role postgres",
        "set session authorization postgres",
        "reset role; select * from system.secrets",
        "reset role; select value from system.secrets",
        "copy (select 1) to program 'id'",
    ] {
        let (status, body) = rawsql(&server, escape).await;
        assert!((400..500).contains(&status), "{escape}: {status} {body}");
    }
    // Migrations too.
    let (status, body) = send(
        http()
            .post(server.at("/api/database/migrations"))
            .bearer_auth(server.api_key())
            .json(&json!({"version": "1", "name": "escape", "sql": "select set_config('role', 'postgres', false)"})),
    )
    .await;
    assert!(status.as_u16() >= 400, "{status} {body}");
    // Session state left by the SQL editor does not reach the next request.
    let (status, _) = rawsql(&server, "set search_path to pg_temp; set role anon; commit").await;
    assert!(status < 500);
    for _ in 0..6 {
        let (status, body) = rawsql(
            &server,
            "select current_user::text as c, current_setting('search_path') as p",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rows"][0]["c"], "project_admin", "{body}");
        assert_eq!(body["rows"][0]["p"], "\"$user\", public", "{body}");
    }
    // Accounts run as `oxforge_accounts`: users and sessions, nothing else.
    let cluster = oxforge_testkit::cluster();
    for (statement, allowed) in [
        ("SET ROLE oxforge_accounts; SELECT count(*) FROM auth.sessions", true),
        ("SET ROLE oxforge_accounts; SELECT count(*) FROM system.secrets", false),
        ("SET ROLE oxforge_accounts; CREATE TABLE public.x (id int)", false),
        ("SET ROLE authenticator; SELECT count(*) FROM auth.users", false),
    ] {
        let outcome = cluster
            .execute_on(&server.database, &format!("BEGIN; {statement}; ROLLBACK"))
            .await;
        assert_eq!(outcome.is_ok(), allowed, "{statement}: {outcome:?}");
    }
    // The data API's session is the authenticator too.
    server
        .sql(
            "CREATE FUNCTION public.who() RETURNS text LANGUAGE sql AS $$ SELECT session_user::text || '/' || current_user::text $$",
        )
        .await;
    let (status, body) = send(
        Data::new(&server, server.anon_key())
            .rpc(Method::POST, "who")
            .json(&json!({})),
    )
    .await;
    assert_eq!((status.as_u16(), body), (200, json!("authenticator/anon")));
    server.stop().await;
}

/// A client (one address) with slow statements is bounded to its share of the data pool, and a
/// full data pool does not stop sign-up or admin calls; users' statements end at their timeout.
#[tokio::test]
async fn one_client_cannot_starve_the_others() {
    let server = TestServer::start_with(|c| {
        c.pool_size = 4;
        c.pool_timeout_ms = 1_000;
        c.capabilities.data.client_concurrency = Some(2);
        c.capabilities.data.statement_timeout_ms = 1_500;
    })
    .await;
    server
        .sql(
            "CREATE FUNCTION public.slow() RETURNS int LANGUAGE sql AS 'SELECT 1 FROM pg_sleep(30)';
             CREATE FUNCTION public.nap() RETURNS int LANGUAGE sql AS 'SELECT 1 FROM pg_sleep(2)';
             CREATE TABLE public.items (id int); INSERT INTO public.items VALUES (1);",
        )
        .await;
    let from = |address: &str| {
        reqwest::Client::builder()
            .local_address(address.parse::<std::net::IpAddr>().ok())
            .build()
            .unwrap()
    };
    let slow_from = |client: &reqwest::Client, n: usize| {
        (0..n)
            .map(|_| {
                let request = client
                    .post(server.at("/api/database/rpc/slow"))
                    .bearer_auth(server.anon_key())
                    .json(&json!({}));
                tokio::spawn(request.send())
            })
            .collect::<Vec<_>>()
    };
    let (greedy, other, third) = (from("127.0.0.1"), from("127.0.0.2"), from("127.0.0.3"));
    assert_eq!(
        other
            .get(server.at("/api/database/records/items"))
            .bearer_auth(server.anon_key())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Six slow calls from one address: two run, the others wait for a turn, then get 429.
    let greedy_calls = slow_from(&greedy, 6);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another address is served meanwhile.
    let response = other
        .get(server.at("/api/database/records/items"))
        .bearer_auth(server.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // A third address takes the last two connections: the data pool is full now.
    let third_calls = slow_from(&third, 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Sign-up and admin calls have their own connections.
    let started = Instant::now();
    let (status, body) = rawsql(&server, "select 1 as one").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        http()
            .post(server.at("/api/auth/users?client_type=mobile"))
            .json(&json!({"email": "starve@example.com", "password": "secret123"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    let mut statuses = Vec::new();
    for task in greedy_calls {
        statuses.push(task.await.unwrap().unwrap().status().as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [429, 429, 429, 429, 504, 504], "greedy client");
    for task in third_calls {
        assert_eq!(
            task.await.unwrap().unwrap().status(),
            504,
            "cut by the user statement timeout"
        );
    }
    // An admin's statement may run longer than a user's.
    let (status, body) = send(
        Data::new(&server, server.api_key())
            .rpc(Method::POST, "nap")
            .json(&json!({})),
    )
    .await;
    assert_eq!((status.as_u16(), body), (200, json!(1)));
    server.stop().await;
}

#[tokio::test]
async fn tx_rollback_is_for_admins_only() {
    let server = TestServer::start().await;
    server
        .sql("CREATE TABLE public.notes (id int PRIMARY KEY, body text); GRANT ALL ON public.notes TO anon")
        .await;
    let anon = Data::new(&server, server.anon_key());
    let raw = send_raw(
        anon.post("notes", json!({"id": 1, "body": "kept"}))
            .header("Prefer", "tx=rollback"),
    )
    .await;
    assert_eq!(raw.status.as_u16(), 201, "{}", raw.text);
    assert!(
        raw.header("preference-applied")
            .is_none_or(|p| !p.contains("tx=rollback"))
    );
    let admin = Data::new(&server, server.api_key());
    let raw = send_raw(
        admin
            .post("notes", json!({"id": 2, "body": "gone"}))
            .header("Prefer", "tx=rollback"),
    )
    .await;
    assert_eq!(raw.status.as_u16(), 201, "{}", raw.text);
    assert!(
        raw.header("preference-applied")
            .is_some_and(|p| p.contains("tx=rollback"))
    );
    let (_, body) = send(admin.get("notes?select=id")).await;
    assert_eq!(body, json!([{"id": 1}]));
    server.stop().await;
}

/// A request for a table that does not exist reloads the schema cache, but must not make every
/// connection prepare its statements again (a cheap way to slow everyone down).
#[tokio::test]
async fn a_missing_table_does_not_drop_prepared_statements() {
    let server = TestServer::start_with(|c| c.pool_size = 1).await;
    server
        .sql("CREATE TABLE public.kept (id int PRIMARY KEY); INSERT INTO public.kept VALUES (1)")
        .await;
    let admin = Data::new(&server, server.api_key());
    assert_eq!(send(admin.get("kept?id=eq.1")).await.0, 200);
    let prepared = || async {
        let (_, body) = send(admin.rpc(Method::GET, "prepared_count")).await;
        body.as_i64().unwrap_or(-1)
    };
    server
        .sql(
            "CREATE FUNCTION public.prepared_count() RETURNS bigint LANGUAGE sql STABLE AS
             $$ SELECT count(*) FROM pg_prepared_statements $$",
        )
        .await;
    // Learn the function (one reload that changes the schema), prepare `kept` again, count.
    while prepared().await <= 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(send(admin.get("kept?id=eq.1")).await.0, 200);
    let before = prepared().await;
    assert!(before >= 3, "setup, kept and the count itself: {before}");
    for i in 0..3 {
        let raw = send_raw(admin.get(&format!("no_such_table_{i}"))).await;
        assert_eq!(raw.status.as_u16(), 404, "{}", raw.text);
    }
    assert!(
        prepared().await >= before,
        "prepared statements were dropped by reloads that changed nothing"
    );
    server.stop().await;
}

/// A database from before the fix: its existing views become `security_invoker` and its
/// materialized views are closed to anon when the new bootstrap step runs.
#[tokio::test]
async fn existing_views_are_secured_on_upgrade() {
    let server = TestServer::start().await;
    let database = server.database.clone();
    server.stop().await;
    oxforge_testkit::cluster()
        .execute_on(
            &database,
            "CREATE TABLE public.private_notes (id int, owner text);
             ALTER TABLE public.private_notes ENABLE ROW LEVEL SECURITY;
             INSERT INTO public.private_notes VALUES (1, 'someone');
             CREATE VIEW public.old_view AS SELECT * FROM public.private_notes;
             ALTER VIEW public.old_view SET (security_invoker = false);
             GRANT SELECT ON public.old_view TO anon;
             CREATE MATERIALIZED VIEW public.old_matview AS SELECT * FROM public.private_notes;
             GRANT SELECT ON public.old_matview TO anon;
             DELETE FROM system.oxforge_bootstrap WHERE version >= 6;",
        )
        .await
        .unwrap();
    let server = TestServer::start_on(&database, |_| {}).await;
    let anon = Data::new(&server, server.anon_key());
    let (status, body) = send(anon.get("old_view")).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!([])),
        "RLS applies through the old view"
    );
    assert_eq!(send_raw(anon.get("old_matview")).await.status.as_u16(), 401);
    server.stop().await;
}
