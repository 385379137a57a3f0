//! PostgreSQL goes away under a running server and concurrent writes: fast 503s with Retry-After,
//! then recovery on its own when PostgreSQL is back, with every acknowledged write still there.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use oxforge_embedded_pg::{EmbeddedPostgres, Options};
use oxforge_server::Config;
use oxforge_testkit::http;
use serde_json::json;

use crate::write_load::WriteLoad;

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
    let mut config = Config {
        port: 0,
        database_url: Some(pg.connection_string("postgres")),
        pool_size: 4,
        ..Config::default()
    };
    config.capabilities.accounts.auth_rate_limit = 0;
    let server = oxforge_server::start(config).await.unwrap();
    let url = format!("http://{}/api/database/records/events", server.local_addr());
    let key = server.info().secrets.api_key.clone();
    let (client, connection) = tokio_postgres::connect(&pg.connection_string("postgres"), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("CREATE TABLE public.events (id bigint PRIMARY KEY)")
        .await
        .unwrap();

    // Writers keep going through the whole outage.
    let load = WriteLoad::start(&url, &key, 4);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stopped = Instant::now();
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
    tokio::time::sleep(Duration::from_secs(2)).await;

    let restarted = start_pg(options).await;
    let back = Instant::now();
    let recovered = loop {
        let response = http()
            .get(format!("{url}?select=id&limit=1"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            break back.elapsed();
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "no recovery within 5 s of PostgreSQL's return"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = load.finish().await;
    let (failed, slowest) = report.assert_failures_are_fast_503s(Duration::from_secs(3));
    assert!(failed > 0, "the writers saw the outage");
    let writes_back = report.first_success_after(back).expect("writes succeed again");
    assert!(
        writes_back < Duration::from_secs(5),
        "writes back after {writes_back:?}"
    );
    let rows = client_after(&restarted)
        .await
        .query("SELECT id FROM public.events", &[])
        .await
        .unwrap();
    let stored = rows.iter().map(|r| r.get::<_, i64>(0)).collect();
    let checked = report.assert_none_lost(&stored);
    eprintln!(
        "outage: down {:?}; {failed} writes answered 503 (slowest {slowest:?}); reads back {recovered:?} and writes back {writes_back:?} after PostgreSQL returned; {checked} acknowledged writes checked, 0 lost",
        back - stopped
    );
    server.shutdown().await.unwrap();
}

async fn client_after(pg: &EmbeddedPostgres) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&pg.connection_string("postgres"), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_after_the_configured_wait() {
    let server = oxforge_testkit::TestServer::start_with(|c| {
        c.pool_size = 1;
        c.pool_timeout_ms = 200;
        // The pool, not the per-client bound, is what this test exhausts.
        c.capabilities.data.client_concurrency = Some(0);
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
