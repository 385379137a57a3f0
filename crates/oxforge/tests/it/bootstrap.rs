//! The bootstrap schema and the project's secrets: concurrency, restarts, configuration.

use oxforge_testkit::{TestServer, cluster, hs256, http, now};
use serde_json::json;

use crate::support::send;

#[tokio::test]
async fn two_servers_bootstrap_one_empty_database_safely() {
    let database = cluster().empty_database().await;
    let (a, b) = tokio::join!(
        TestServer::try_start_on(&database, |_| {}),
        TestServer::try_start_on(&database, |_| {})
    );
    let (a, b) = (a.expect("first server"), b.expect("second server"));
    let (sa, sb) = (&a.info().secrets, &b.info().secrets);
    assert_eq!(sa.api_key, sb.api_key);
    assert_eq!(sa.anon_key, sb.anon_key);
    assert_eq!(sa.jwt_secret, sb.jwt_secret);
    assert_eq!(sa.key_pair.kid, sb.key_pair.kid);
    assert_eq!(sa.admin_password, sb.admin_password);

    let db = cluster().connect(&database).await.unwrap();
    let components = oxforge_server::sql_components();
    let names: Vec<&str> = components.iter().map(|c| c.name).collect();
    let steps: Vec<(String, i32)> = db
        .query(
            "SELECT component, version FROM system.oxforge_bootstrap
             ORDER BY array_position($1::text[], component), version",
            &[&names],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let expected: Vec<(String, i32)> = components
        .iter()
        .flat_map(|c| c.versions().into_iter().map(|v| (c.name.to_owned(), v)))
        .collect();
    assert_eq!(steps, expected, "each step applied once");
    let dupes = db
        .query(
            "SELECT key FROM system.secrets WHERE is_active GROUP BY key HAVING count(*) > 1",
            &[],
        )
        .await
        .unwrap();
    assert!(dupes.is_empty());

    // Tokens minted for one server are accepted by the other: they behave as one.
    let admin = http()
        .post(a.at("/api/auth/admin/sessions"))
        .json(&json!({"username":"admin","password": sa.admin_password}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let token = admin["accessToken"].as_str().unwrap();
    let (status, _) = send(http().get(b.at("/api/metadata/api-key")).bearer_auth(token)).await;
    assert_eq!(status, 200);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn restart_keeps_generated_secrets() {
    let first = TestServer::start().await;
    let database = first.database.clone();
    let before = first.info().secrets.clone();
    first.stop().await;
    let second = TestServer::start_on(&database, |_| {}).await;
    let after = &second.info().secrets;
    assert_eq!(before.api_key, after.api_key);
    assert_eq!(before.anon_key, after.anon_key);
    assert_eq!(before.jwt_secret, after.jwt_secret);
    assert_eq!(before.key_pair.kid, after.key_pair.kid);
    assert_eq!(before.key_pair.private_pem, after.key_pair.private_pem);
    second.stop().await;
}

#[tokio::test]
async fn configured_secrets_win_and_get_their_prefixes() {
    let server = TestServer::start_with(|c| {
        c.jwt_secret = Some("configured-secret".into());
        c.access_api_key = Some("abc123".into());
        c.access_anon_key = Some("def456".into());
    })
    .await;
    assert_eq!(server.api_key(), "ik_abc123");
    assert_eq!(server.anon_key(), "anon_def456");
    let token = hs256(
        "configured-secret",
        &json!({"sub":"auth0|1","role":"authenticated","exp":now()+60}),
    );
    let (status, body) = send(http().get(server.at("/api/oxforge/whoami")).bearer_auth(token)).await;
    assert_eq!(status, 200, "{body}");
    let database = server.database.clone();
    server.stop().await;

    // A new configured secret replaces the stored one on the next start.
    let again = TestServer::start_on(&database, |c| c.jwt_secret = Some("rotated".into())).await;
    assert_eq!(again.jwt_secret(), "rotated");
    assert_eq!(again.api_key(), "ik_abc123", "a key set once stays stored");
    again.stop().await;
}

#[tokio::test]
async fn roles_grants_and_helpers_match_the_contract() {
    let server = TestServer::start().await;
    let db = cluster().connect(&server.database).await.unwrap();
    let rows = db
        .query(
            "SELECT rolname, rolcanlogin, rolbypassrls FROM pg_roles
             WHERE rolname IN ('anon','authenticated','project_admin') ORDER BY rolname",
            &[],
        )
        .await
        .unwrap();
    let roles: Vec<(String, bool, bool)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(
        roles,
        [
            ("anon".into(), false, false),
            ("authenticated".into(), false, false),
            ("project_admin".into(), false, true)
        ]
    );

    // auth.* read request.jwt.claims as set per transaction.
    db.batch_execute(
        "BEGIN; SET LOCAL ROLE authenticated;
         SELECT set_config('request.jwt.claims', '{\"sub\":\"8d0c6e6e-6f4c-4a59-9d7a-2f1f4f0b3a11\",\"role\":\"authenticated\",\"email\":\"a@b.c\"}', true);",
    )
    .await
    .unwrap();
    let row = db
        .query_one(
            "SELECT auth.uid()::text, auth.role(), auth.email(), auth.jwt()->>'sub'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "8d0c6e6e-6f4c-4a59-9d7a-2f1f4f0b3a11");
    assert_eq!(row.get::<_, String>(1), "authenticated");
    assert_eq!(row.get::<_, String>(2), "a@b.c");
    // A third-party subject is not a uuid: auth.uid() fails loudly (22P02), as in InsForge.
    db.batch_execute("SELECT set_config('request.jwt.claims', '{\"sub\":\"auth0|1\"}', true)")
        .await
        .unwrap();
    let err = db.query_one("SELECT auth.uid()", &[]).await.unwrap_err();
    assert_eq!(err.code().map(|c| c.code()), Some("22P02"));
    db.batch_execute("ROLLBACK").await.unwrap();

    // New public tables are usable by the API roles; the secret store is not.
    db.batch_execute("CREATE TABLE public.notes (id serial primary key, body text)")
        .await
        .unwrap();
    for role in ["anon", "authenticated"] {
        db.batch_execute(&format!(
            "BEGIN; SET LOCAL ROLE {role}; INSERT INTO public.notes (body) VALUES ('x'); ROLLBACK"
        ))
        .await
        .unwrap_or_else(|e| panic!("{role} cannot use a new public table: {e}"));
        let err = db
            .batch_execute(&format!("BEGIN; SET LOCAL ROLE {role}; SELECT * FROM system.secrets"))
            .await
            .unwrap_err();
        assert_eq!(err.code().map(|c| c.code()), Some("42501"), "{role}: {err}");
        db.batch_execute("ROLLBACK").await.unwrap();
    }
    let err = db
        .batch_execute("BEGIN; SET LOCAL ROLE project_admin; SELECT * FROM system.secrets")
        .await
        .unwrap_err();
    assert_eq!(
        err.code().map(|c| c.code()),
        Some("42501"),
        "project_admin must not read secrets: {err}"
    );
    db.batch_execute("ROLLBACK").await.unwrap();
    // project_admin can create tables (raw SQL and migrations run as it).
    db.batch_execute("BEGIN; SET LOCAL ROLE project_admin; CREATE TABLE public.by_admin (id int); ROLLBACK")
        .await
        .unwrap();
    server.stop().await;
}
