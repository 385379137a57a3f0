//! PostgreSQL goes away under a running server: fast 503s with Retry-After, then recovery on its
//! own when PostgreSQL is back, with every acknowledged write still there.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use oxforge_embedded_pg::{EmbeddedPostgres, Options};
use oxforge_server::Config;
use oxforge_testkit::http;
use serde_json::json;

#[tokio::test]
async fn postgres_restart_gives_fast_503s_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut options = Options::new(dir.path().join("data"));
    options.durable = false;
    let start_pg = |options: Options| async move {
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(options))
            .await
            .unwrap()
            .unwrap()
    };
    let pg = start_pg(options.clone()).await;
    let server = oxforge_server::start(Config {
        port: 0,
        database_url: Some(pg.connection_string("postgres")),
        pool_size: 4,
        auth_rate_limit: 0,
        ..Config::default()
    })
    .await
    .unwrap();
    let url = format!("http://{}/api/database/records/events", server.local_addr());
    let key = server.info().secrets.api_key.clone();
    let (client, connection) = tokio_postgres::connect(&pg.connection_string("postgres"), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("CREATE TABLE public.events (id int PRIMARY KEY)")
        .await
        .unwrap();

    let mut acknowledged = Vec::new();
    for id in 0..20 {
        let response = http()
            .post(&url)
            .bearer_auth(&key)
            .json(&json!({"id": id}))
            .send()
            .await
            .unwrap();
        if response.status() == 201 {
            acknowledged.push(id);
        }
    }
    assert_eq!(acknowledged.len(), 20);

    tokio::task::spawn_blocking(move || pg.stop()).await.unwrap().unwrap();
    for _ in 0..5 {
        let started = Instant::now();
        let response = http().get(&url).bearer_auth(&key).send().await.unwrap();
        assert_eq!(response.status(), 503, "while PostgreSQL is down");
        assert_eq!(response.headers()["retry-after"], "1");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "DATABASE_UNAVAILABLE");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "an outage answer must be fast"
        );
    }

    let _pg = start_pg(options).await;
    let back = Instant::now();
    loop {
        let response = http()
            .get(format!("{url}?select=id&order=id"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            let rows: Vec<serde_json::Value> = response.json().await.unwrap();
            let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
            assert_eq!(ids, acknowledged, "every acknowledged write survived");
            eprintln!(
                "outage: recovered {:?} after PostgreSQL returned; {} acknowledged writes checked, 0 lost",
                back.elapsed(),
                acknowledged.len()
            );
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "no recovery within 5 s of PostgreSQL's return"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_after_the_configured_wait() {
    let server = oxforge_testkit::TestServer::start_with(|c| {
        c.pool_size = 1;
        c.pool_timeout_ms = 200;
    })
    .await;
    server
        .sql(
            "CREATE TABLE public.t (id int); GRANT SELECT ON public.t TO anon; \
             CREATE FUNCTION public.hold() RETURNS int LANGUAGE sql AS 'SELECT 1 FROM pg_sleep(2)'",
        )
        .await;
    let data = crate::support::Data::new(&server, server.anon_key());
    // Let the schema cache learn both first (its reload also needs the one connection).
    assert_eq!(data.get("t").send().await.unwrap().status(), 200);
    let holder = tokio::spawn(data.rpc(reqwest::Method::POST, "hold").json(&json!({})).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let response = data.get("t").send().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 503, "{:?}", response.text().await);
    assert!(elapsed < Duration::from_millis(1500), "waited {elapsed:?}");
    assert_eq!(
        holder.await.unwrap().unwrap().status(),
        200,
        "the request holding the connection completes"
    );
    server.stop().await;
}
