//! The RPC endpoint: argument passing, result shapes, errors.

use oxforge_testkit::TestServer;
use reqwest::Method;
use serde_json::json;

use crate::support::{Data, assert_pgrst, send_raw};

const FIXTURE: &str = r#"
CREATE TABLE public.scores (id serial PRIMARY KEY, player text, points int);
INSERT INTO public.scores (player, points) VALUES ('ann', 10), ('bob', 30), ('cy', 20);
CREATE FUNCTION public.add(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE FUNCTION public.top(min_points int) RETURNS SETOF public.scores LANGUAGE sql STABLE
  AS 'SELECT * FROM public.scores WHERE points >= min_points';
CREATE FUNCTION public.best() RETURNS public.scores LANGUAGE sql STABLE
  AS 'SELECT * FROM public.scores ORDER BY points DESC LIMIT 1';
CREATE FUNCTION public.numbers() RETURNS SETOF int LANGUAGE sql AS 'SELECT generate_series(1, 3)';
CREATE FUNCTION public.touch() RETURNS void LANGUAGE sql AS 'UPDATE public.scores SET points = points';
CREATE FUNCTION public.echo(payload jsonb, tags text[]) RETURNS jsonb LANGUAGE sql
  AS 'SELECT jsonb_build_object(''payload'', payload, ''tags'', to_jsonb(tags))';
CREATE FUNCTION public.whoami() RETURNS jsonb LANGUAGE sql STABLE AS 'SELECT auth.jwt()';
CREATE FUNCTION public.fail() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'nope' USING HINT = 'try again'; END $$;
"#;

#[tokio::test]
async fn calls_and_result_shapes() {
    let server = TestServer::start().await;
    server.sql(FIXTURE).await;
    let data = Data::new(&server, server.anon_key());
    let post = |f: &str, body: serde_json::Value| data.rpc(Method::POST, f).json(&body);

    let raw = send_raw(post("add", json!({"a": 2, "b": 3}))).await;
    assert_eq!((raw.status.as_u16(), raw.text.as_str()), (200, "5"));
    let raw = send_raw(post("add", json!({"a": 2}))).await;
    assert_eq!(raw.text, "3", "defaults apply");
    let raw = send_raw(data.rpc(Method::GET, "add?a=40&b=2")).await;
    assert_eq!(raw.text, "42");

    let raw = send_raw(
        post("top?select=player&order=points.desc", json!({"min_points": 15})).header("Prefer", "count=exact"),
    )
    .await;
    assert_eq!(raw.json(), json!([{"player":"bob"},{"player":"cy"}]));
    assert_eq!(raw.header("content-range"), Some("0-1/2"));
    let raw = send_raw(data.rpc(Method::GET, "top?min_points=0&player=eq.ann&select=points")).await;
    assert_eq!(raw.json(), json!([{"points":10}]), "filters apply to the result");
    let raw = send_raw(
        data.rpc(Method::GET, "top?min_points=0&limit=1&order=id")
            .header("Accept", "application/vnd.pgrst.object+json"),
    )
    .await;
    assert_eq!(raw.json()["player"], "ann");

    let raw = send_raw(post("best", json!({}))).await;
    assert_eq!(
        raw.json(),
        json!({"id":2,"player":"bob","points":30}),
        "a single composite is an object"
    );
    let raw = send_raw(post("numbers", json!({}))).await;
    assert_eq!(raw.json(), json!([1, 2, 3]));
    let raw = send_raw(data.rpc(Method::POST, "numbers")).await;
    assert_eq!(raw.json(), json!([1, 2, 3]), "an empty body means no arguments");
    let raw = send_raw(post("touch", json!({}))).await;
    assert_eq!((raw.status.as_u16(), raw.text.as_str()), (204, ""));
    let raw = send_raw(post("echo", json!({"payload": {"k": [1, 2]}, "tags": ["a", "b"]}))).await;
    assert_eq!(raw.json(), json!({"payload":{"k":[1,2]},"tags":["a","b"]}));
    server.stop().await;
}

#[tokio::test]
async fn errors() {
    let server = TestServer::start().await;
    server.sql(FIXTURE).await;
    let data = Data::new(&server, server.anon_key());
    assert_pgrst(
        &send_raw(data.rpc(Method::POST, "missing").json(&json!({}))).await,
        404,
        "PGRST202",
    );
    assert_pgrst(
        &send_raw(data.rpc(Method::POST, "add").json(&json!({"zz": 1}))).await,
        404,
        "PGRST202",
    );
    assert_pgrst(
        &send_raw(data.rpc(Method::POST, "add").json(&json!({"a": "x"}))).await,
        400,
        "22P02",
    );
    assert_pgrst(
        &send_raw(data.rpc(Method::POST, "add").json(&json!([1]))).await,
        400,
        "PGRST102",
    );
    // GET runs read-only: a volatile function that writes is refused.
    assert_pgrst(&send_raw(data.rpc(Method::GET, "touch")).await, 405, "25006");
    let body = assert_pgrst(
        &send_raw(data.rpc(Method::POST, "fail").json(&json!({}))).await,
        400,
        "P0001",
    );
    assert_eq!(
        (body["message"].as_str(), body["hint"].as_str()),
        (Some("nope"), Some("try again"))
    );
    server.stop().await;
}

#[tokio::test]
async fn statement_timeout_per_request() {
    let server = TestServer::start_with(|c| c.capabilities.data.statement_timeout_ms = 300).await;
    server
        .sql("CREATE FUNCTION public.slow() RETURNS int LANGUAGE sql AS 'SELECT 1 FROM pg_sleep(5)'")
        .await;
    let started = std::time::Instant::now();
    let raw = send_raw(
        Data::new(&server, server.anon_key())
            .rpc(Method::POST, "slow")
            .json(&json!({})),
    )
    .await;
    assert_pgrst(&raw, 504, "57014");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the statement was cancelled"
    );
    server.stop().await;
}
