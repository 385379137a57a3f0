//! The records endpoint: PostgREST's read, write and error behaviour over real HTTP.

use oxforge_testkit::TestServer;
use reqwest::Method;
use serde_json::json;

use crate::support::{Data, assert_envelope, assert_pgrst, send, send_raw};

const FIXTURE: &str = r#"
CREATE TABLE public.items (
  id serial PRIMARY KEY,
  name text NOT NULL,
  qty int,
  tags text[] DEFAULT '{}',
  meta jsonb,
  body text,
  created date DEFAULT '2020-01-01',
  period int4range
);
CREATE UNIQUE INDEX items_name ON public.items (name);
-- `period` is set after the inserts below.
INSERT INTO public.items (name, qty, tags, meta, body) VALUES
  ('apple', 5, '{fruit,red}', '{"origin":{"country":"NZ"}}', 'the quick brown fox'),
  ('banana', 12, '{fruit,yellow}', '{"origin":{"country":"EC"}}', 'lazy dogs sleep'),
  ('carrot', NULL, '{veg}', NULL, 'quick carrots'),
  ('dates', 30, '{fruit}', '{"origin":{"country":"TN"}}', NULL);
UPDATE public.items SET period = int4range(id * 10, id * 10 + 10);
"#;

async fn server() -> (TestServer, Data) {
    let server = TestServer::start().await;
    server.sql(FIXTURE).await;
    let data = Data::new(&server, server.api_key());
    (server, data)
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn select_columns_aliases_casts_and_json_paths() {
    let (server, data) = server().await;
    let raw = send_raw(data.get("items?select=id,label:name,q:qty::text,country:meta->origin->>country&id=eq.1")).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    assert_eq!(raw.json(), json!([{"id":1,"label":"apple","q":"5","country":"NZ"}]));
    assert!(raw.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(raw.header("content-range"), Some("0-0/*"));
    let raw = send_raw(data.get("items?select=meta->origin&id=eq.2")).await;
    assert_eq!(raw.json(), json!([{"origin":{"country":"EC"}}]));
    server.stop().await;
}

#[tokio::test]
async fn filters() {
    let (server, data) = server().await;
    let cases = [
        ("name=eq.apple", vec!["apple"]),
        ("name=neq.apple&order=id", vec!["banana", "carrot", "dates"]),
        ("qty=gte.5&qty=lte.12&order=id", vec!["apple", "banana"]),
        ("qty=gt.5&order=qty.desc", vec!["dates", "banana"]),
        ("id=in.(1,3)&order=id", vec!["apple", "carrot"]),
        ("id=not.in.(1,3)&order=id", vec!["banana", "dates"]),
        ("qty=is.null", vec!["carrot"]),
        ("qty=not.is.null&order=id&limit=1", vec!["apple"]),
        ("name=like.*an*", vec!["banana"]),
        ("name=ilike.APP*", vec!["apple"]),
        ("name=like(any).{a*,d*}&order=id", vec!["apple", "dates"]),
        ("name=match.^b", vec!["banana"]),
        ("tags=cs.{fruit,red}", vec!["apple"]),
        ("tags=ov.{veg,yellow}&order=id", vec!["banana", "carrot"]),
        ("meta->origin->>country=eq.TN", vec!["dates"]),
        ("body=fts.quick&order=id", vec!["apple", "carrot"]),
        ("body=wfts(english).lazy dog", vec!["banana"]),
        ("body=plfts.quick brown", vec!["apple"]),
        ("or=(qty.lt.6,name.eq.dates)&order=id", vec!["apple", "dates"]),
        (
            "or=(qty.is.null,and(qty.gt.10,name.like.b*))&order=id",
            vec!["banana", "carrot"],
        ),
        ("not.or=(qty.is.null,qty.gt.10)", vec!["apple"]),
        ("qty=isdistinct.5&order=id", vec!["banana", "carrot", "dates"]),
        ("period=adj.[30,40)", vec!["banana", "dates"]),
        ("period=sl.[30,31)&order=id", vec!["apple", "banana"]),
        ("period=sr.[30,31)", vec!["dates"]),
        ("period=nxr.[20,30)&order=id", vec!["apple", "banana"]),
        ("period=nxl.[30,31)&order=id", vec!["carrot", "dates"]),
        ("period=cs.[25,26)", vec!["banana"]),
    ];
    for (query, want) in cases {
        let raw = send_raw(data.get(&format!("items?select=name&{query}"))).await;
        assert_eq!(raw.status, 200, "{query}: {}", raw.text);
        assert_eq!(names(&raw.json()), want, "{query}");
    }
    server.stop().await;
}

#[tokio::test]
async fn order_paging_counts_and_ranges() {
    let (server, data) = server().await;
    let raw = send_raw(
        data.get("items?select=name&order=qty.desc.nullslast&limit=2&offset=1")
            .header("Prefer", "count=exact"),
    )
    .await;
    assert_eq!(raw.status, 206);
    assert_eq!(names(&raw.json()), ["banana", "apple"]);
    assert_eq!(raw.header("content-range"), Some("1-2/4"));
    assert_eq!(raw.header("preference-applied"), Some("count=exact"));
    let raw = send_raw(data.get("items?select=name&order=qty.asc.nullsfirst&limit=1")).await;
    assert_eq!(names(&raw.json()), ["carrot"]);
    let raw = send_raw(data.get("items?select=name").header("Prefer", "count=exact")).await;
    assert_eq!((raw.status.as_u16(), raw.header("content-range")), (200, Some("0-3/4")));
    // The Range header pages too.
    let raw = send_raw(data.get("items?select=name&order=id").header("Range", "1-2")).await;
    assert_eq!(names(&raw.json()), ["banana", "carrot"]);
    // HEAD: headers, no body.
    let raw = send_raw(
        data.records(Method::HEAD, "items?qty=gt.10")
            .header("Prefer", "count=exact"),
    )
    .await;
    assert_eq!(
        (raw.status.as_u16(), raw.header("content-range"), raw.text.as_str()),
        (200, Some("0-1/2"), "")
    );
    // No rows, and an offset past the end.
    let raw = send_raw(data.get("items?name=eq.none").header("Prefer", "count=exact")).await;
    assert_eq!((raw.text.as_str(), raw.header("content-range")), ("[]", Some("*/0")));
    let raw = send_raw(data.get("items?offset=10").header("Prefer", "count=exact")).await;
    assert_pgrst(&raw, 416, "PGRST103");
    // Planned: the planner's estimate (after ANALYZE it is exact for this small table).
    server.sql("ANALYZE public.items").await;
    let raw = send_raw(data.get("items?select=name&qty=gt.0").header("Prefer", "count=planned")).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    let range = raw.header("content-range").unwrap().to_owned();
    let planned: i64 = range
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{range}"));
    assert!((1..=4).contains(&planned), "{range}");
    assert_eq!(raw.header("preference-applied"), Some("count=planned"));
    // Estimated: exact while small.
    let raw = send_raw(
        data.get("items?select=name&limit=1")
            .header("Prefer", "count=estimated"),
    )
    .await;
    assert_eq!((raw.status.as_u16(), raw.header("content-range")), (206, Some("0-0/4")));
    server.stop().await;
}

#[tokio::test]
async fn single_object() {
    let (server, data) = server().await;
    let single = |q: &str| data.get(q).header("Accept", "application/vnd.pgrst.object+json");
    let raw = send_raw(single("items?select=name,qty&id=eq.2")).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json(), json!({"name":"banana","qty":12}));
    assert!(
        raw.header("content-type")
            .unwrap()
            .starts_with("application/vnd.pgrst.object+json")
    );
    let body = assert_pgrst(&send_raw(single("items?id=eq.99")).await, 406, "PGRST116");
    assert!(body["details"].as_str().unwrap().contains("0 rows"), "{body}");
    let body = assert_pgrst(&send_raw(single("items")).await, 406, "PGRST116");
    assert!(body["details"].as_str().unwrap().contains("4 rows"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn inserts_updates_deletes_and_upserts() {
    let (server, data) = server().await;
    // Default return: 201 and InsForge's `[]`.
    let raw = send_raw(data.post("items", json!({"name":"egg"}))).await;
    assert_eq!((raw.status.as_u16(), raw.text.as_str()), (201, "[]"));
    // Representation, with `""` dropped for non-text columns (qty → default NULL) but kept for text.
    let raw = send_raw(
        data.post(
            "items?select=name,qty,body,created",
            json!({"name":"fig","qty":"","body":""}),
        )
        .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.status, 201, "{}", raw.text);
    assert_eq!(
        raw.json(),
        json!([{"name":"fig","qty":null,"body":"","created":"2020-01-01"}])
    );
    assert_eq!(raw.header("preference-applied"), Some("return=representation"));
    // Arrays, with ?columns=.
    let raw = send_raw(
        data.post(
            "items?columns=%22name%22,%22qty%22&select=name,qty",
            json!([{"name":"g1","qty":1},{"name":"g2"}]),
        )
        .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.json(), json!([{"name":"g1","qty":1},{"name":"g2","qty":null}]));
    // Upserts on the primary key and on another unique column.
    let raw = send_raw(
        data.post("items?select=id,name,qty", json!({"id":1,"name":"apple","qty":99}))
            .header("Prefer", "return=representation,resolution=merge-duplicates"),
    )
    .await;
    assert_eq!(raw.status, 201, "{}", raw.text);
    assert_eq!(raw.json(), json!([{"id":1,"name":"apple","qty":99}]));
    assert_eq!(
        raw.header("preference-applied"),
        Some("return=representation, resolution=merge-duplicates")
    );
    let raw = send_raw(
        data.post(
            "items?on_conflict=name&select=name,qty",
            json!([{"name":"banana","qty":1},{"name":"kiwi","qty":2}]),
        )
        .header("Prefer", "return=representation,resolution=ignore-duplicates"),
    )
    .await;
    assert_eq!(raw.json(), json!([{"name":"kiwi","qty":2}]), "the duplicate is skipped");
    // PATCH and DELETE: 204 by default, rows with representation.
    let raw = send_raw(data.patch("items?name=eq.egg", json!({"qty":7}))).await;
    assert_eq!((raw.status.as_u16(), raw.text.as_str()), (204, ""));
    let raw = send_raw(
        data.patch("items?name=eq.egg&select=name,qty", json!({"qty":8}))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.json(), json!([{"name":"egg","qty":8}]));
    let raw = send_raw(
        data.delete("items?name=like.g*&select=name")
            .header("Prefer", "return=representation,count=exact"),
    )
    .await;
    assert_eq!(raw.status, 200);
    assert_eq!(names(&raw.json()), ["g1", "g2"]);
    assert_eq!(raw.header("content-range"), Some("0-1/2"));
    let raw = send_raw(data.delete("items?name=eq.egg")).await;
    assert_eq!(raw.status, 204);
    let (_, rest) = send(data.get("items?select=name&name=in.(egg,g1,g2)")).await;
    assert_eq!(rest, json!([]));
    // An empty array inserts nothing.
    let raw = send_raw(data.post("items", json!([]))).await;
    assert_eq!((raw.status.as_u16(), raw.text.as_str()), (201, "[]"));
    server.stop().await;
}

#[tokio::test]
async fn errors_are_postgrest_bodies() {
    let (server, data) = server().await;
    assert_pgrst(&send_raw(data.get("items?id=eq.abc")).await, 400, "22P02");
    assert_pgrst(&send_raw(data.get("nope")).await, 404, "42P01");
    assert_pgrst(&send_raw(data.get("items?select=id,zzz")).await, 400, "42703");
    for bad in [
        "items?id=foo.1",
        "items?id=5",
        "items?select=a(",
        "items?or=(id.eq.1",
        "items?limit=-1",
        "items?order=",
    ] {
        assert_pgrst(&send_raw(data.get(bad)).await, 400, "PGRST100");
    }
    assert_pgrst(&send_raw(data.post("items", json!({"nope":1}))).await, 400, "PGRST204");
    assert_pgrst(
        &send_raw(data.post("items", json!({"name":"apple"}))).await,
        409,
        "23505",
    );
    assert_pgrst(&send_raw(data.post("items", json!({"qty":1}))).await, 400, "23502");
    assert_pgrst(
        &send_raw(data.post("items", json!({"name":"x","qty":"many"}))).await,
        400,
        "22P02",
    );
    let raw = send_raw(
        data.records(Method::POST, "items")
            .header("content-type", "application/json")
            .body("{oops"),
    )
    .await;
    assert_pgrst(&raw, 400, "PGRST102");
    assert_pgrst(&send_raw(data.post("items", json!(5))).await, 400, "PGRST102");
    assert_pgrst(
        &send_raw(data.get("items").header("Accept", "image/png")).await,
        406,
        "PGRST107",
    );
    assert_pgrst(
        &send_raw(data.get("items").header("Accept-Profile", "nosuch")).await,
        406,
        "PGRST106",
    );
    assert_pgrst(&send_raw(data.get("items?select=nope(*)")).await, 400, "PGRST200");
    // Gateway errors keep InsForge's envelope.
    let (status, body) = send(data.get("items?schema=pg_catalog")).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("INVALID_INPUT")));
    let (status, body) = send(oxforge_testkit::http().get(format!("{}/api/database/records/items", server.url))).await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_CREDENTIALS", "No token provided");
    server.stop().await;
}

#[tokio::test]
async fn sdk_url_quirks_and_new_tables() {
    let (server, data) = server().await;
    // A trailing slash in baseUrl gives `//api/...`.
    let raw = send_raw(
        oxforge_testkit::http()
            .get(format!(
                "{}//api/database/records/items?select=name&id=eq.1",
                server.url
            ))
            .bearer_auth(&data.token),
    )
    .await;
    assert_eq!(raw.json(), json!([{"name":"apple"}]));
    // A table created a moment ago is usable at once (the cache reloads on a miss).
    server
        .sql("CREATE TABLE public.fresh (id int PRIMARY KEY); INSERT INTO public.fresh VALUES (1)")
        .await;
    let raw = send_raw(data.get("fresh")).await;
    assert_eq!(raw.json(), json!([{"id":1}]));
    // ...and so is a column added a moment ago.
    server.sql("ALTER TABLE public.fresh ADD COLUMN note text").await;
    let raw = send_raw(
        data.post("fresh?select=id,note", json!({"id":2,"note":"n"}))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.json(), json!([{"id":2,"note":"n"}]), "{}", raw.text);
    server.stop().await;
}

#[tokio::test]
async fn missing_default_and_csv() {
    let (server, data) = server().await;
    let rows = json!([{"name":"m1","qty":1,"tags":["x"]},{"name":"m2","qty":2}]);
    let raw = send_raw(
        data.post("items?select=name,tags", rows.clone())
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(
        raw.json(),
        json!([{"name":"m1","tags":["x"]},{"name":"m2","tags":null}]),
        "PostgREST's default: NULL"
    );
    let rows = json!([{"name":"n1","qty":1,"tags":["x"]},{"name":"n2","qty":2}]);
    let raw = send_raw(
        data.post("items?select=name,tags", rows)
            .header("Prefer", "return=representation,missing=default"),
    )
    .await;
    assert_eq!(raw.status, 201, "{}", raw.text);
    assert_eq!(
        raw.json(),
        json!([{"name":"n1","tags":["x"]},{"name":"n2","tags":[]}]),
        "the column default"
    );
    assert_eq!(
        raw.header("preference-applied"),
        Some("return=representation, missing=default")
    );

    let raw = send_raw(
        data.get("items?select=id,name,qty,body&id=lte.3&order=id")
            .header("Accept", "text/csv"),
    )
    .await;
    assert_eq!(raw.status, 200);
    assert!(raw.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(
        raw.text,
        "id,name,qty,body\n1,apple,5,the quick brown fox\n2,banana,12,lazy dogs sleep\n3,carrot,,quick carrots"
    );
    server
        .sql("UPDATE public.items SET body = 'say \"hi\", then go' WHERE id = 1")
        .await;
    let raw = send_raw(data.get("items?select=name,body&id=eq.1").header("Accept", "text/csv")).await;
    assert_eq!(raw.text, "name,body\napple,\"say \"\"hi\"\", then go\"");
    server.stop().await;
}

#[tokio::test]
async fn hostile_nesting_and_sizes_are_4xx_not_crashes() {
    let (server, data) = server().await;
    // Deep nesting used to overflow a worker's stack and abort the process.
    let deep_select = format!("items?select={}id{}", "a(".repeat(5_000), ")".repeat(5_000));
    assert_pgrst(&send_raw(data.get(&deep_select)).await, 400, "PGRST100");
    let deep_or = format!("items?or=({}id.eq.1{})", "and(".repeat(5_000), ")".repeat(5_000));
    assert_pgrst(&send_raw(data.get(&deep_or)).await, 400, "PGRST100");
    let many = (0..100).map(|i| format!("r{i}(id)")).collect::<Vec<_>>().join(",");
    let body = assert_pgrst(
        &send_raw(data.get(&format!("items?select={many}"))).await,
        400,
        "PGRST100",
    );
    assert!(
        body["details"]
            .as_str()
            .unwrap()
            .contains("too many embedded resources"),
        "{body}"
    );
    let long = format!("items?name=in.({})", "x,".repeat(20_000));
    let (status, body) = send(data.get(&long)).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (414, Some("URI_TOO_LONG")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().starts_with("The query string is"),
        "{body}"
    );
    // Still serving.
    assert_eq!(
        send(data.get("items?select=name&id=eq.1")).await.1,
        json!([{"name": "apple"}])
    );
    server.stop().await;
}

#[tokio::test]
async fn batches_over_the_row_limit_are_413() {
    let server = TestServer::start_with(|c| c.capabilities.data.max_batch_rows = 100).await;
    server.sql("CREATE TABLE public.bulk (id int PRIMARY KEY)").await;
    let data = Data::new(&server, server.api_key());
    let rows = |n: i32| serde_json::Value::Array((0..n).map(|i| json!({"id": i})).collect());
    let (status, body) = send(data.post("bulk", rows(101))).await;
    assert_envelope(
        status,
        &body,
        413,
        "PAYLOAD_TOO_LARGE",
        "One request may insert at most 100 rows; this one has 101",
    );
    let (status, _) = send(data.post("bulk", rows(100))).await;
    assert_eq!(status, 201);
    server.stop().await;
}
