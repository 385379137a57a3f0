//! The schema cache follows DDL through `NOTIFY pgrst` (event triggers), with no request needed.

use std::time::{Duration, Instant};

use oxforge_schema::{SchemaCacheHandle, spawn_listener};
use oxforge_testkit::cluster;

async fn wait_for(handle: &SchemaCacheHandle, what: &str, done: impl Fn(&oxforge_schema::SchemaCache) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&handle.snapshot()) {
        assert!(Instant::now() < deadline, "the cache never saw: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn ddl_reaches_every_listening_process() {
    let database = cluster().database_from_template().await;
    let conn = cluster().connection_string(&database);
    // Two independent caches, as two oxforge processes on one database would have.
    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let pool = oxforge_db::connect(&conn, &Default::default()).unwrap();
        let handle = SchemaCacheHandle::load(pool).await.unwrap();
        tasks.push(spawn_listener(handle.clone(), conn.clone()));
        handles.push(handle);
    }
    assert!(handles[0].snapshot().table("public", "gadgets").is_none());
    // The listeners connect in the background; DDL is retried until both have seen one change.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    while handles
        .iter()
        .any(|h| h.snapshot().table("public", &format!("probe{n}")).is_none())
    {
        assert!(Instant::now() < deadline, "listeners never saw a table appear");
        n += 1;
        cluster()
            .execute_on(&database, &format!("CREATE TABLE public.probe{n} (id int)"))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cluster()
        .execute_on(&database, "CREATE TABLE public.gadgets (id int PRIMARY KEY, name text); CREATE FUNCTION public.gizmo() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        .await
        .unwrap();
    for handle in &handles {
        wait_for(handle, "gadgets", |c| c.table("public", "gadgets").is_some()).await;
        wait_for(handle, "gizmo()", |c| !c.routines("public", "gizmo").is_empty()).await;
    }
    cluster()
        .execute_on(&database, "ALTER TABLE public.gadgets ADD COLUMN price numeric")
        .await
        .unwrap();
    for handle in &handles {
        wait_for(handle, "gadgets.price", |c| {
            c.table("public", "gadgets")
                .is_some_and(|t| t.column("price").is_some())
        })
        .await;
    }
    cluster()
        .execute_on(&database, "DROP TABLE public.gadgets")
        .await
        .unwrap();
    for handle in &handles {
        wait_for(handle, "gadgets dropped", |c| c.table("public", "gadgets").is_none()).await;
    }
    for task in tasks {
        task.abort();
    }
}
