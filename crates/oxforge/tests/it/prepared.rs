//! Data-API statements are prepared once per connection and cached: a schema change must not
//! leave a statement with stale parameter types behind, and statements deallocated behind
//! oxforge's back (`DEALLOCATE ALL` from the SQL editor) must not break the next request.
//! (`DISCARD ALL` cannot run there: the SQL editor runs in a transaction.)

use std::time::{Duration, Instant};

use oxforge_testkit::{TestServer, http};
use serde_json::json;

use crate::support::{Data, send};

#[tokio::test]
async fn a_column_type_change_does_not_leave_a_stale_prepared_statement() {
    let server = TestServer::start_with(|c| c.pool_size = 1).await;
    server
        .sql("CREATE TABLE public.shape (id int PRIMARY KEY); INSERT INTO public.shape VALUES (1)")
        .await;
    let data = Data::new(&server, server.api_key());
    for _ in 0..3 {
        let (status, body) = send(data.get("shape?id=eq.1")).await;
        assert_eq!((status.as_u16(), body), (200, json!([{"id": 1}])));
    }
    // The same request shape now compares text: a statement prepared for an integer would reject 'x1'.
    server
        .sql("ALTER TABLE public.shape ALTER COLUMN id TYPE text; INSERT INTO public.shape VALUES ('x1')")
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = send(data.get("shape?id=eq.x1")).await;
        if status == 200 {
            assert_eq!(body, json!([{"id": "x1"}]));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still failing after the schema reload: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn statements_deallocated_behind_our_back_are_prepared_again() {
    let server = TestServer::start_with(|c| c.pool_size = 1).await;
    server
        .sql("CREATE TABLE public.kept (id int PRIMARY KEY); INSERT INTO public.kept VALUES (7)")
        .await;
    let data = Data::new(&server, server.api_key());
    let (status, _) = send(data.get("kept?id=eq.7")).await;
    assert_eq!(status, 200);
    let (status, body) = send(
        http()
            .post(server.at("/api/database/advance/rawsql/unrestricted"))
            .bearer_auth(server.api_key())
            .json(&json!({ "query": "DEALLOCATE ALL" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for _ in 0..2 {
        let (status, body) = send(data.get("kept?id=eq.7")).await;
        assert_eq!((status.as_u16(), body), (200, json!([{"id": 7}])));
    }
    server.stop().await;
}
