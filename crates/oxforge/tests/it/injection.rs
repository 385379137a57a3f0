//! Classic SQL-injection payloads in every position a request can carry. Requests run with the
//! API key (the most privileged credential), so a payload that reached SQL as text would be able
//! to drop or change the canary. Invariants: no 5xx, nothing slept, the canary and the data are
//! exactly as before.

use std::time::{Duration, Instant};

use oxforge_testkit::TestServer;
use reqwest::{Method, RequestBuilder};
use serde_json::json;

use crate::support::{Data, send_raw};

/// Payloads from the usual cheat sheets: statement stacking, quote breaking, comment tricks,
/// identifier-quote breaking, time-based blind probes, and PostgREST-syntax confusion.
const PAYLOADS: &[&str] = &[
    "'; DROP TABLE public.canary; --",
    "\"; DROP TABLE public.canary; --",
    "x\" ; DELETE FROM public.canary; --",
    "1; DELETE FROM public.canary",
    "1) ; DELETE FROM public.canary; --",
    "' OR '1'='1",
    "\" OR \"1\"=\"1",
    "1 OR 1=1",
    "name) OR (1=1",
    "'||(SELECT pg_sleep(3))||'",
    "1;SELECT pg_sleep(3)",
    "pg_sleep(3)",
    "(SELECT pg_sleep(3))",
    "$$; DROP TABLE public.canary; $$",
    "E'\\x27; DROP TABLE public.canary; --",
    "name;INSERT INTO public.canary VALUES (666)",
    "canary",
    "public.canary",
    "../canary",
    "items,canary(*)",
    "*,canary!inner(*)",
    "id::text;DROP TABLE public.canary",
    "/* */ UNION SELECT id, 'x' FROM public.canary --",
    "%27%3B%20DROP%20TABLE%20canary",
    "\u{0}",
    // Keyword-only payloads: no quote, semicolon or comment, so a letters-and-spaces check passes them.
    "text AS x FROM items UNION SELECT session_user AS name FROM items UNION SELECT name",
    "text FROM items CROSS JOIN pg_class a CROSS JOIN pg_class b CROSS JOIN pg_class c",
    "text FROM pg_authid WHERE rolsuper",
    "int FROM items WHERE false UNION ALL SELECT count FROM canary",
];

/// Every position a payload can take; `p` is the payload.
fn positions(data: &Data, p: &str) -> Vec<(&'static str, RequestBuilder)> {
    let e = |s: &str| urlencoding(s);
    let mut out = vec![
        ("table", data.get(&e(p))),
        ("select", data.get("items").query(&[("select", p)])),
        (
            "select alias",
            data.get("items").query(&[("select", format!("{p}:name"))]),
        ),
        (
            "select cast",
            data.get("items").query(&[("select", format!("name::{p}"))]),
        ),
        ("embed", data.get("items").query(&[("select", format!("*,{p}(*)"))])),
        ("filter column", data.get(&format!("items?{}=eq.1", e(p)))),
        ("filter value", data.get("items").query(&[("name", format!("eq.{p}"))])),
        (
            "int filter value",
            data.get("items").query(&[("id", format!("eq.{p}"))]),
        ),
        ("operator", data.get("items").query(&[("name", format!("{p}.x"))])),
        ("in list", data.get("items").query(&[("name", format!("in.({p})"))])),
        ("like", data.get("items").query(&[("name", format!("like.{p}"))])),
        (
            "fts config",
            data.get("items").query(&[("name", format!("fts({p}).x"))]),
        ),
        (
            "or tree",
            data.get("items").query(&[("or", format!("(name.eq.{p},id.eq.1)"))]),
        ),
        ("order", data.get("items").query(&[("order", p)])),
        ("order dir", data.get("items").query(&[("order", format!("name.{p}"))])),
        ("limit", data.get("items").query(&[("limit", p)])),
        ("offset", data.get("items").query(&[("offset", p)])),
        (
            "json path",
            data.get("items").query(&[("select", format!("doc->>{p}"))]),
        ),
        ("range header", data.get("items").header("Range", format!("0-{p}"))),
        ("accept", data.get("items").header("Accept", p)),
        ("prefer", data.get("items").header("Prefer", format!("count={p}"))),
        ("accept-profile", data.get("items").header("Accept-Profile", p)),
        (
            "content-profile",
            data.post("items", json!({"name": "p"})).header("Content-Profile", p),
        ),
        ("body key", data.post("items", json!({ p: "v" }))),
        ("body value", data.post("items?select=id", json!({"name": p}))),
        (
            "columns",
            data.post("items", json!({"name": "c"})).query(&[("columns", p)]),
        ),
        (
            "on_conflict",
            data.post("items", json!({"id": 1, "name": "one"}))
                .query(&[("on_conflict", p)])
                .header("Prefer", "resolution=merge-duplicates"),
        ),
        ("patch key", data.patch("items?id=eq.-1", json!({ p: "v" }))),
        (
            "delete filter",
            data.delete("items").query(&[("name", format!("eq.{p}"))]),
        ),
        ("rpc name", data.rpc(Method::POST, &e(p)).json(&json!({}))),
        ("rpc arg name", data.rpc(Method::POST, "echo").json(&json!({ p: "v" }))),
        ("rpc arg value", data.rpc(Method::POST, "echo").json(&json!({"t": p}))),
        ("rpc get arg", data.rpc(Method::GET, "echo").query(&[("t", p)])),
    ];
    out.push(("rpc get arg name", data.rpc(Method::GET, "echo").query(&[(p, "v")])));
    out
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn injection_payloads_in_every_position_execute_nothing() {
    let server = TestServer::start().await;
    server
        .sql(
            "CREATE TABLE public.canary (id int PRIMARY KEY); INSERT INTO public.canary VALUES (1); \
             CREATE TABLE public.items (id serial PRIMARY KEY, name text UNIQUE, doc jsonb); \
             INSERT INTO public.items (name, doc) VALUES ('one', '{\"a\":1}'), ('two', '{\"a\":2}'); \
             CREATE FUNCTION public.echo(t text) RETURNS text LANGUAGE sql AS 'SELECT t';",
        )
        .await;
    let data = Data::new(&server, server.api_key());
    let items_before = send_raw(data.get("items?order=id")).await.json();

    let (mut tried, mut unsendable) = (0, 0);
    for payload in PAYLOADS {
        // One payload's positions go out together: misses then share one schema-cache reload.
        let mut in_flight = tokio::task::JoinSet::new();
        for (position, request) in positions(&data, payload) {
            in_flight.spawn(async move {
                let started = Instant::now();
                let answer = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        Ok((status, response.text().await.unwrap_or_default()))
                    }
                    Err(e) => Err(e),
                };
                (position, answer, started.elapsed())
            });
        }
        while let Some(joined) = in_flight.join_next().await {
            let (position, answer, elapsed) = joined.unwrap();
            let (status, text) = match answer {
                Ok(answer) => answer,
                // A header value with a NUL byte cannot even be sent; counted, not hidden.
                Err(e) if e.is_builder() => {
                    unsendable += 1;
                    continue;
                }
                Err(e) => panic!("{position} with {payload:?}: {e}"),
            };
            tried += 1;
            assert!(status.as_u16() < 500, "{position} with {payload:?}: {status} {text}");
            // A payload that reached SQL would read the session's role or the catalogs.
            assert!(
                !(status.is_success() && (text.contains("\"postgres\"") || text.contains("\"rolsuper\":"))),
                "{position} with {payload:?} leaked: {text}"
            );
            assert!(
                elapsed < Duration::from_millis(2500),
                "{position} with {payload:?} took {elapsed:?}: a sleep probe executed"
            );
        }
    }
    eprintln!(
        "injection corpus: {} payloads, {tried} requests answered, {unsendable} unsendable by the client",
        PAYLOADS.len()
    );
    assert!(
        unsendable <= 5,
        "only the NUL payload in header positions may be unsendable"
    );

    assert_eq!(
        send_raw(data.get("canary")).await.json(),
        json!([{"id": 1}]),
        "the canary is untouched"
    );
    // Only the literal inserts the payload tests made on purpose ("body value", "content-profile",
    // "columns") may have added rows; the two original rows are unchanged.
    let items_after = send_raw(data.get("items?order=id")).await.json();
    assert_eq!(
        items_after.as_array().unwrap()[..2],
        items_before.as_array().unwrap()[..]
    );
    for row in &items_after.as_array().unwrap()[2..] {
        let name = row["name"].as_str().unwrap_or_default();
        assert!(
            name == "p" || name == "c" || PAYLOADS.contains(&name),
            "an unexpected row appeared: {row}"
        );
    }
    server.stop().await;
}
