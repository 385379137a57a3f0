//! The dashboard's table grid (`/api/database/admin/tables/{t}/records[/lookup]`).

use oxforge_testkit::{TestServer, hs256, http, now};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Data, Raw, assert_envelope, send, send_raw};

const SCHEMA: &str = "
CREATE TABLE public.people (id int PRIMARY KEY, name text NOT NULL, nick varchar(20), age int,
  born date, tags jsonb, active boolean NOT NULL DEFAULT true);
INSERT INTO public.people VALUES
  (1, 'Ada', 'countess', 36, '1815-12-10', '{\"a\": 1}', true),
  (2, 'Grace', '50%_off', 85, '1906-12-09', NULL, true),
  (3, 'Alan', NULL, 41, '1912-06-23', NULL, false),
  (4, 'Edsger', 'ew\\d', 72, NULL, NULL, true),
  (5, 'Barbara', '100% sure', 36, NULL, NULL, false);
CREATE TABLE public.pairs (a int, b text, v text, PRIMARY KEY (a, b));
INSERT INTO public.pairs VALUES (1, 'x', 'one-x'), (1, 'y', 'one-y'), (2, 'x', 'two-x');
CREATE TABLE public.lists (id int PRIMARY KEY, tags text[], nums int[]);
CREATE TABLE public.loose (n int, label text);
INSERT INTO public.loose VALUES (1, 'a'), (NULL, 'b');
CREATE TABLE public.secrets (id serial PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE public.secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY nobody ON public.secrets FOR ALL USING (false);
INSERT INTO public.secrets (owner, body) VALUES ('x', 'hidden'), ('y', 'hidden too');
";

/// A server with the tables of `SCHEMA`.
async fn started() -> TestServer {
    let server = TestServer::start().await;
    server.sql(SCHEMA).await;
    server
}

fn url(server: &TestServer, table: &str, query: &str) -> String {
    server.at(&format!("/api/database/admin/tables/{table}/records{query}"))
}

async fn get_as(server: &TestServer, token: &str, table: &str, query: &str) -> Raw {
    send_raw(http().get(url(server, table, query)).bearer_auth(token)).await
}

async fn get(server: &TestServer, table: &str, query: &str) -> Raw {
    get_as(server, server.api_key(), table, query).await
}

async fn write(server: &TestServer, method: Method, table: &str, body: Value) -> (reqwest::StatusCode, Value) {
    send(
        http()
            .request(method, url(server, table, ""))
            .bearer_auth(server.api_key())
            .json(&body),
    )
    .await
}

fn ids(raw: &Raw) -> Vec<i64> {
    raw.json()
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {}", raw.text))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn grid_pages_sorts_searches_and_filters() {
    let server = started().await;

    let all = get(&server, "people", "").await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(ids(&all), [1, 2, 3, 4, 5], "primary-key order by default");
    assert_eq!(all.header("content-range"), Some("0-4/5"));
    assert_eq!(all.header("preference-applied"), Some("count=exact"));
    assert_eq!(all.json()[0]["tags"], json!({"a": 1}), "JSON built by PostgreSQL");

    let page = get(&server, "people", "?limit=2&offset=2").await;
    assert_eq!(page.status, 206);
    assert_eq!(ids(&page), [3, 4]);
    assert_eq!(page.header("content-range"), Some("2-3/5"));
    let past = get(&server, "people", "?limit=2&offset=10").await;
    assert_eq!((past.status.as_u16(), past.json()), (206, json!([])));
    assert_eq!(past.header("content-range"), Some("*/5"));

    let sorted = get(&server, "people", "?sort=age:desc,name:asc").await;
    assert_eq!(ids(&sorted), [2, 4, 3, 1, 5]);
    let sorted = get(&server, "people", "?sort=age:asc,name:desc").await;
    assert_eq!(ids(&sorted), [5, 1, 3, 4, 2]);
    for bad in ["age:sideways", "age:asc;drop", "nope:asc", ":desc", "age:asc,:"] {
        let raw = get(&server, "people", &format!("?sort={}", urlencode(bad))).await;
        assert_eq!(raw.status, 400, "{bad}: {}", raw.text);
        assert_eq!(raw.json()["error"], "INVALID_INPUT", "{bad}");
    }

    let found = get(&server, "people", "?search=%20a%20").await;
    assert_eq!(ids(&found), [1, 2, 3, 5], "trimmed, case-insensitive, any text column");
    let percent = get(&server, "people", "?search=50%25_").await;
    assert_eq!(ids(&percent), [2], "% and _ are literal");
    assert_eq!(percent.header("content-range"), Some("0-0/1"));
    let underscore = get(&server, "people", "?search=_").await;
    assert_eq!(ids(&underscore), [2]);
    let backslash = get(&server, "people", "?search=w%5Cd").await;
    assert_eq!(ids(&backslash), [4]);
    let percent = get(&server, "people", "?search=%25").await;
    assert_eq!(ids(&percent), [2, 5]);

    let filtered = get(&server, "people", "?filterColumn=age&filterValue=36&sort=id:desc").await;
    assert_eq!(ids(&filtered), [5, 1]);
    assert_eq!(filtered.header("content-range"), Some("0-1/2"));
    let filtered = get(&server, "people", "?filterColumn=active&filterValue=false&search=bar").await;
    assert_eq!(ids(&filtered), [5]);
    let bad = get(&server, "people", "?filterColumn=age&filterValue=old").await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let bad = get(&server, "people", "?filterColumn=age").await;
    assert_eq!(bad.status, 400, "{}", bad.text);

    for limit in ["0", "501", "-5", "99999999999999999999999", "ten"] {
        let raw = get(&server, "people", &format!("?limit={limit}")).await;
        assert_eq!(raw.status, 400, "limit={limit}: {}", raw.text);
    }
    let raw = get(&server, "people", "?offset=-1").await;
    assert_eq!(raw.status, 400);
    let raw = get(&server, "people", "?limit=500").await;
    assert_eq!(raw.status, 200);

    let keyless = get(&server, "loose", "?sort=n:desc").await;
    assert_eq!(
        keyless.json(),
        json!([{"n": null, "label": "b"}, {"n": 1, "label": "a"}])
    );
    server.stop().await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn grid_lookup_finds_the_first_row_or_null() {
    let server = started().await;
    let one = get(&server, "pairs", "/lookup?column=a&value=1&column=b&value=y").await;
    assert_eq!(
        (one.status.as_u16(), one.json()),
        (200, json!({"a": 1, "b": "y", "v": "one-y"}))
    );
    let first = get(&server, "people", "/lookup?column=age&value=36").await;
    assert_eq!(first.json()["age"], 36);
    let none = get(&server, "pairs", "/lookup?column=a&value=9&column=b&value=x").await;
    assert_eq!((none.status.as_u16(), none.text.as_str()), (200, "null"));
    for bad in ["", "?column=a", "?column=a&value=1&column=b", "?column=zz&value=1"] {
        let raw = get(&server, "pairs", &format!("/lookup{bad}")).await;
        assert_eq!(raw.status, 400, "{bad}: {}", raw.text);
    }
    server.stop().await;
}

#[tokio::test]
async fn grid_insert_patch_delete_round_trip() {
    let server = started().await;
    let (status, body) = write(
        &server,
        Method::POST,
        "people",
        json!([
            {"id": 10, "name": "Hedy", "age": "", "born": "1914-11-09", "tags": {"x": [1]}, "nick": ""},
            {"id": "11", "name": "Kathleen", "active": false}
        ]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body,
        json!([
            {"id": 10, "name": "Hedy", "nick": "", "age": null, "born": "1914-11-09", "tags": {"x": [1]}, "active": true},
            {"id": 11, "name": "Kathleen", "nick": null, "age": null, "born": null, "tags": null, "active": false}
        ])
    );
    let tags = json!(["a", "b \"c\" {d}, \\e", null]);
    let (status, body) = write(
        &server,
        Method::POST,
        "lists",
        json!([{"id": 1, "tags": tags, "nums": [1, 2]}]),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (201, json!([{"id": 1, "tags": tags, "nums": [1, 2]}])),
        "JSON arrays for array columns"
    );
    let (status, body) = write(&server, Method::POST, "loose", json!([{}])).await;
    assert_eq!(
        (status.as_u16(), body),
        (201, json!([{"n": null, "label": null}])),
        "DEFAULT VALUES"
    );
    for bad in [json!([]), json!({}), json!([1]), json!([{"nope": 1}])] {
        let (status, body) = write(&server, Method::POST, "people", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, body) = write(&server, Method::POST, "people", json!([{"id": 1, "name": "dup"}])).await;
    assert_eq!(status, 409, "{body}");

    let (status, body) = write(
        &server,
        Method::PATCH,
        "people",
        json!({"pkKeys": {"id": 10}, "data": {"age": 52, "born": "", "nick": ""}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["age"], &body["born"], &body["nick"]),
        (&json!(52), &Value::Null, &json!(""))
    );
    let (status, body) = write(
        &server,
        Method::PATCH,
        "pairs",
        json!({"pkKeys": {"a": 1, "b": "y"}, "data": {"v": "changed"}}),
    )
    .await;
    assert_eq!((status.as_u16(), &body["v"]), (200, &json!("changed")), "{body}");
    let (status, body) = write(
        &server,
        Method::PATCH,
        "loose",
        json!({"pkKeys": {"n": null, "label": "b"}, "data": {"n": 7}}),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"n": 7, "label": "b"})),
        "keyless: null IS NULL"
    );
    let (status, body) = write(
        &server,
        Method::PATCH,
        "people",
        json!({"pkKeys": {"id": 999}, "data": {"age": 1}}),
    )
    .await;
    assert_envelope(status, &body, 404, "DATABASE_NOT_FOUND", "Record not found");
    for bad in [
        json!({"pkKeys": {"a": 1}, "data": {"v": "x"}}),
        json!({"pkKeys": {"a": 1, "b": "x", "v": "one-x"}, "data": {"v": "x"}}),
        json!({"pkKeys": {"a": 1, "b": "x"}, "data": {}}),
        json!({"pkKeys": {"a": 1, "b": "x"}}),
        json!({"pkKeys": {"a": 1, "b": "x"}, "data": {"a\" = 1; --": 2}}),
    ] {
        let (status, body) = write(&server, Method::PATCH, "pairs", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    let (status, body) = write(
        &server,
        Method::DELETE,
        "pairs",
        json!({"pkKeys": [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}, {"a": 5, "b": "q"}]}),
    )
    .await;
    assert_eq!((status.as_u16(), body), (200, json!({"deletedCount": 2})));
    let (status, body) = write(
        &server,
        Method::DELETE,
        "loose",
        json!({"pkKeys": [{"n": null, "label": null}, {"n": 1, "label": "a"}]}),
    )
    .await;
    assert_eq!((status.as_u16(), body), (200, json!({"deletedCount": 2})));
    assert_eq!(get(&server, "loose", "").await.json(), json!([{"n": 7, "label": "b"}]));
    assert_eq!(
        get(&server, "pairs", "").await.json(),
        json!([{"a": 1, "b": "y", "v": "changed"}])
    );
    for bad in [
        json!({"pkKeys": []}),
        json!({"pkKeys": {"a": 1}}),
        json!({"pkKeys": [{"a": 1}]}),
    ] {
        let (status, body) = write(&server, Method::DELETE, "pairs", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    server.stop().await;
}

#[tokio::test]
async fn grid_bypasses_rls() {
    let server = started().await;
    let anon = Data::new(&server, server.anon_key());
    let hidden = send_raw(anon.get("secrets")).await;
    assert_eq!(hidden.json(), json!([]), "{}", hidden.text);
    let grid = get(&server, "secrets", "").await;
    assert_eq!(grid.status, 200);
    assert_eq!(ids(&grid), [1, 2], "the grid shows every row");
    let (status, body) = write(&server, Method::POST, "secrets", json!([{"owner": "z"}])).await;
    assert_eq!((status.as_u16(), &body[0]["id"]), (201, &json!(3)), "{body}");
    let (status, body) = write(
        &server,
        Method::PATCH,
        "secrets",
        json!({"pkKeys": {"id": 1}, "data": {"body": "seen"}}),
    )
    .await;
    assert_eq!((status.as_u16(), &body["body"]), (200, &json!("seen")), "{body}");
    let (status, body) = write(&server, Method::DELETE, "secrets", json!({"pkKeys": [{"id": 2}]})).await;
    assert_eq!((status.as_u16(), body), (200, json!({"deletedCount": 1})));
    server.stop().await;
}

fn refused(status: reqwest::StatusCode, body: &Value) {
    assert_envelope(status, body, 403, "AUTH_UNAUTHORIZED", "Admin access required");
}

#[tokio::test]
async fn grid_refuses_non_admins_and_injection() {
    let server = started().await;
    let user = hs256(
        server.jwt_secret(),
        &json!({"sub": "8d0c6e6e-6f4c-4a59-9d7a-2f1f4f0b3a11", "role": "authenticated", "exp": now() + 60}),
    );
    for token in [server.anon_key().to_owned(), user] {
        let raw = get_as(&server, &token, "people", "").await;
        refused(raw.status, &raw.json());
        let raw = get_as(&server, &token, "people", "/lookup?column=id&value=1").await;
        refused(raw.status, &raw.json());
        for (method, body) in [
            (Method::POST, json!([{"id": 99, "name": "x"}])),
            (Method::PATCH, json!({"pkKeys": {"id": 1}, "data": {"name": "x"}})),
            (Method::DELETE, json!({"pkKeys": [{"id": 1}]})),
        ] {
            let (status, body) = send(
                http()
                    .request(method, url(&server, "people", ""))
                    .bearer_auth(&token)
                    .json(&body),
            )
            .await;
            refused(status, &body);
        }
    }
    let raw = send_raw(http().get(url(&server, "people", ""))).await;
    assert!(matches!(raw.status.as_u16(), 401 | 403), "{}", raw.text);

    let evil = urlencode("people\"; DROP TABLE people; --");
    let raw = get(&server, &evil, "").await;
    assert_envelope(
        raw.status,
        &raw.json(),
        404,
        "TABLE_NOT_FOUND",
        "Table public.people\"; DROP TABLE people; -- not found",
    );
    let raw = get(
        &server,
        "people",
        &format!("?schema={}", urlencode("public\".\"people")),
    )
    .await;
    assert_eq!(raw.status, 404);
    let (status, _) = write(&server, Method::POST, &evil, json!([{"id": 1}])).await;
    assert_eq!(status, 404);
    let evil_column = urlencode("id\" = 1 OR 1=1; DROP TABLE people; --");
    for query in [
        format!("?sort={evil_column}:asc"),
        format!("?sort=id:{}", urlencode("asc; DROP TABLE people")),
        format!("?filterColumn={evil_column}&filterValue=1"),
        format!("/lookup?column={evil_column}&value=1"),
    ] {
        let raw = get(&server, "people", &query).await;
        assert_eq!(raw.status, 400, "{query}: {}", raw.text);
        assert_eq!(raw.json()["error"], "INVALID_INPUT");
    }
    let raw = get(
        &server,
        "people",
        &format!("?filterColumn=name&filterValue={}", urlencode("x' OR '1'='1")),
    )
    .await;
    assert_eq!((raw.status.as_u16(), raw.json()), (200, json!([])), "a value is data");
    let raw = get(&server, "people", &format!("?search={}", urlencode("' OR 1=1 --"))).await;
    assert_eq!(raw.json(), json!([]));
    let (status, body) = write(
        &server,
        Method::POST,
        "people",
        json!([{"id": 20, "name": "'); DROP TABLE people; --"}]),
    )
    .await;
    assert_eq!(
        (status.as_u16(), &body[0]["name"]),
        (201, &json!("'); DROP TABLE people; --"))
    );
    let (status, body) = write(
        &server,
        Method::POST,
        "people",
        json!([{"id\"); DROP TABLE people; --": 1}]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = write(
        &server,
        Method::DELETE,
        "people",
        json!({"pkKeys": [{"id": "1 OR 1=1"}]}),
    )
    .await;
    assert_eq!(status, 400, "a key is typed: {body}");
    assert_eq!(get(&server, "people", "").await.header("content-range"), Some("0-5/6"));
    server.stop().await;
}

/// `Content-Range` and `Preference-Applied`.
fn counted(raw: &Raw) -> (Option<&str>, Option<&str>) {
    (raw.header("content-range"), raw.header("preference-applied"))
}

/// More rows than the estimate threshold (50,000), analyzed; and a table never analyzed.
const BIG: &str = "CREATE TABLE public.big (id int PRIMARY KEY, label text);
    INSERT INTO public.big SELECT g, 'row ' || g FROM generate_series(1, 120000) g;
    ANALYZE public.big;
    CREATE TABLE public.fresh (id int PRIMARY KEY);
    INSERT INTO public.fresh SELECT generate_series(1, 80000);
    CREATE TABLE public.small (id int PRIMARY KEY);
    INSERT INTO public.small SELECT generate_series(1, 1000);
    ANALYZE public.small;";

/// A list call with `Prefer: <prefer>`.
async fn get_prefer(server: &TestServer, table: &str, query: &str, prefer: &str) -> Raw {
    send_raw(
        http()
            .get(url(server, table, query))
            .bearer_auth(server.api_key())
            .header("Prefer", prefer),
    )
    .await
}

fn total_of(raw: &Raw) -> i64 {
    raw.header("content-range")
        .and_then(|r| r.split('/').nth(1))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no total in {:?}", raw.header("content-range")))
}

#[tokio::test]
async fn grid_estimates_large_tables_when_asked() {
    let server = TestServer::start().await;
    server.sql(BIG).await;
    // Without the preference the count is exact (InsForge's grid), however big the table.
    let plain = get(&server, "big", "?limit=3").await;
    assert_eq!((plain.status.as_u16(), ids(&plain)), (206, vec![1, 2, 3]));
    assert_eq!(counted(&plain), (Some("0-2/120000"), Some("count=exact")));
    let exact = get_prefer(&server, "big", "?limit=3", "count=exact").await;
    assert_eq!(counted(&exact), (Some("0-2/120000"), Some("count=exact")));

    let raw = get_prefer(&server, "big", "?limit=3", "return=representation, count=estimated").await;
    assert_eq!((raw.status.as_u16(), ids(&raw)), (206, vec![1, 2, 3]));
    assert_eq!(raw.header("preference-applied"), Some("count=estimated"));
    let total = total_of(&raw);
    assert!((100_000..=140_000).contains(&total), "{total}");
    let planned = get_prefer(&server, "big", "?limit=3", "count=planned").await;
    assert_eq!(planned.header("preference-applied"), Some("count=estimated"));

    // Never analyzed: the planner still reckons from the table's size.
    let fresh = get_prefer(&server, "fresh", "?limit=3", "count=estimated").await;
    assert_eq!(fresh.header("preference-applied"), Some("count=estimated"));
    let total = total_of(&fresh);
    assert!((50_001..=200_000).contains(&total), "fresh: {total}");

    // Below the threshold, asking changes nothing.
    let small = get_prefer(&server, "small", "?limit=3", "count=estimated").await;
    assert_eq!(counted(&small), (Some("0-2/1000"), Some("count=exact")));

    let last = get_prefer(&server, "big", "?limit=500&offset=119900", "count=estimated").await;
    assert_eq!(
        counted(&last),
        (Some("119900-119999/120000"), Some("count=exact")),
        "a short page knows the total"
    );
    let beyond = get_prefer(&server, "big", "?limit=5&offset=200000", "count=estimated").await;
    assert_eq!((beyond.status.as_u16(), beyond.json()), (206, json!([])));
    assert_eq!(beyond.header("preference-applied"), Some("count=estimated"));
    assert!(beyond.header("content-range").is_some_and(|r| r.starts_with("*/")));
    let searched = get_prefer(&server, "big", "?limit=3&search=row%2011999", "count=estimated").await;
    assert_eq!(
        counted(&searched),
        (Some("0-2/11"), Some("count=exact")),
        "search counts exactly"
    );
    let filtered = get_prefer(
        &server,
        "big",
        "?limit=3&filterColumn=label&filterValue=row%207",
        "count=estimated",
    )
    .await;
    assert_eq!(
        counted(&filtered),
        (Some("0-0/1"), Some("count=exact")),
        "a filter counts exactly"
    );
    server.stop().await;
}
